package recorder

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sysfence/sysfence/internal/cgroups"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/record/ebpf"
)

// Target is what AttachTo records: processes that are already running.
type Target struct {
	// Pid is a process to record with its threads, its descendants and
	// everything they start from then on.
	Pid int
	// Cgroup is a cgroup (of the unified hierarchy) whose processes are
	// recorded, whenever they arrive in it or below it.
	Cgroup *cgroups.Cgroup
}

// Attached is a recording of running processes.
type Attached struct {
	eb     *ebpf.Recorder
	target Target
	mu     sync.Mutex
	closed bool
	gone   bool // every process of the target exited
}

// AttachTo starts recording target with the eBPF backend (the ptrace
// backend installs its filter when it starts a command, and cannot join
// a running one). Calls made before it returns are not recorded.
func AttachTo(opts Options, t Target) (*Attached, error) {
	switch {
	case opts.Backend == Ptrace:
		return nil, errors.New("the ptrace recorder starts the commands it records; attaching to running processes needs the eBPF recorder")
	case opts.Errors:
		return nil, errors.New("the eBPF recorder does not count errors, and attaching needs it")
	case opts.Backend != "" && opts.Backend != Auto && opts.Backend != EBPF:
		return nil, fmt.Errorf("%w %q (want auto, ptrace or ebpf)", ErrUnknownBackend, string(opts.Backend))
	case (t.Pid > 0) == (t.Cgroup != nil):
		return nil, errors.New("recorder: attach to a process or to a cgroup")
	}
	eo := ebpf.Options{Args: opts.Args}
	if t.Cgroup != nil {
		eo.Cgroup = ebpf.CgroupSelector{ID: t.Cgroup.ID, Level: t.Cgroup.Level}
	}
	r, err := ebpf.New(eo)
	if err != nil {
		return nil, err
	}
	if t.Pid > 0 {
		if err := r.Attach(t.Pid); err != nil {
			r.Close()
			return nil, err
		}
	}
	return &Attached{eb: r, target: t}, nil
}

// Wait returns when every recorded process has exited (a cgroup's: when
// none is left in it), or when ctx ends (Ctrl-C, a duration): Finish then
// returns what was recorded until then.
func (a *Attached) Wait(ctx context.Context) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		live, err := a.live()
		if err != nil {
			return err
		}
		if !live {
			a.mu.Lock()
			a.gone = true
			a.mu.Unlock()
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (a *Attached) live() (bool, error) {
	if a.target.Cgroup != nil {
		return cgroups.Populated(a.target.Cgroup)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false, nil
	}
	n, err := a.eb.Live()
	return n > 0, err
}

// Progress returns what has been recorded so far.
func (a *Attached) Progress() record.Progress {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return record.Progress{}
	}
	p, _ := a.eb.Progress()
	if a.target.Cgroup != nil {
		// The programs count no processes for a cgroup: those in it now.
		if pids, err := cgroups.Pids(a.target.Cgroup); err == nil {
			p.Processes = uint64(len(pids))
		}
	}
	return p
}

// Finish ends the recording and returns it; Stopped says that recorded
// processes were still running.
func (a *Attached) Finish() (*Recording, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	o, err := a.eb.Stop()
	if err != nil {
		return nil, err
	}
	return &Recording{Observations: o, Stopped: !a.gone}, nil
}

// Close frees the programs and maps.
func (a *Attached) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	return a.eb.Close()
}
