package main

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/sysfence/sysfence/internal/cgroups"
	"github.com/sysfence/sysfence/internal/cli"
)

// selected is what --pid, --cgroup or --container select, for watch and
// record alike.
type selected struct {
	pid       int
	cgroup    *cgroups.Cgroup
	container string // the container's ID, when --container found one
}

// selectWorkload resolves --pid, --cgroup and --container. flags names
// every selecting flag the command has, set says which are set (same
// order): at most one may be. With none set it returns the zero selected.
func selectWorkload(pid int, cgroup, container string, flags []string, set []bool) (selected, error) {
	n := 0
	for _, s := range set {
		if s {
			n++
		}
	}
	if n > 1 {
		return selected{}, cli.Usagef("%s and %s select different things: give one",
			strings.Join(flags[:len(flags)-1], ", "), flags[len(flags)-1])
	}
	switch {
	case pid < 0:
		return selected{}, cli.Usagef("--pid %d: not a process ID", pid)
	case pid > 0:
		if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
			return selected{}, cli.Usagef("--pid %d: no such process", pid)
		}
		return selected{pid: pid}, nil
	case cgroup != "":
		cg, err := cgroups.Resolve(cgroup)
		if err != nil {
			return selected{}, cli.Usagef("--cgroup: %v", err)
		}
		return selected{cgroup: cg}, nil
	case container != "":
		cg, err := cgroups.FindContainer(container)
		if err != nil {
			return selected{}, cli.Usagef("--container: %v", err)
		}
		id := container
		if ct, ok := cgroups.ContainerID(cg.Path); ok {
			id = ct.ID
		}
		return selected{cgroup: cg, container: id}, nil
	}
	return selected{}, nil
}

// String names the selected in messages.
func (w selected) String() string {
	switch {
	case w.pid != 0:
		return fmt.Sprintf("process %d", w.pid)
	case w.container != "":
		return "container " + cgroups.ShortID(w.container)
	case w.cgroup != nil:
		return "cgroup " + w.cgroup.Path
	}
	return "every process on this machine"
}
