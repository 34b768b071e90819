//go:build linux && amd64

package ebpf

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sysfence/sysfence/internal/cgroups"
	"github.com/sysfence/sysfence/internal/testenv"
)

// loopScript waits for a file, then runs a few rounds of commands: each
// round execs what it runs, so a recording attached in the middle sees
// whole command starts.
const loopScript = `while [ ! -e "$1" ]; do sleep 0.02; done; for i in 1 2 3; do cat /etc/hostname >/dev/null; uname >/dev/null; done`

// TestAttachRunning: Attach records a shell that is already running and
// the commands it starts afterwards, and waits for the tree to end.
func TestAttachRunning(t *testing.T) {
	r := newRecorder(t, Options{})
	gate := filepath.Join(t.TempDir(), "go")
	cmd := exec.Command("/bin/sh", "-c", loopScript, "sh", gate)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if err := r.Attach(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.Wait(ctx); err != nil {
		t.Fatalf("waiting for the tree: %v", err)
	}
	o, err := r.Stop()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range o.Warnings {
		t.Errorf("warning: %s", w)
	}
	got := names(o, "x86_64")
	// The shell's wait4, and what cat and uname do from their exec on.
	for _, n := range []string{"wait4", "execve", "openat", "read", "uname", "exit_group"} {
		if got[n] == 0 {
			t.Errorf("%s not recorded: %v", n, got)
		}
	}
	if got["execve"] < 6 {
		t.Errorf("execve ×%d, want the 6 of cat and uname", got["execve"])
	}
	if o.Processes < 7 {
		t.Errorf("%d processes, want the shell and its 6 commands", o.Processes)
	}
}

// TestRecordCgroup: with a cgroup selected, every task in it or below
// it is recorded, none outside.
func TestRecordCgroup(t *testing.T) {
	mnt, err := cgroups.UnifiedMount()
	if err != nil {
		testenv.Skip(t, err.Error())
	}
	testenv.RequireRoot(t)
	dir := filepath.Join(mnt, fmt.Sprintf("sysfence-ebpf-%d", os.Getpid()))
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, d := range []string{filepath.Join(dir, "sub"), dir} {
			for i := 0; i < 100 && os.Remove(d) != nil; i++ {
				time.Sleep(20 * time.Millisecond)
			}
		}
	}()
	cg, err := cgroups.Resolve(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder(t, Options{Cgroup: CgroupSelector{ID: cg.ID, Level: cg.Level}})
	gate := filepath.Join(t.TempDir(), "go")
	inside := exec.Command("/bin/sh", "-c", loopScript, "sh", gate)
	outside := exec.Command("/bin/sh", "-c", `while [ ! -e "$1" ]; do sleep 0.02; done; ls / >/dev/null`, "sh", gate)
	for _, c := range []*exec.Cmd{inside, outside} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		defer c.Process.Kill()
	}
	// In a sub-cgroup: below the selected one counts.
	if err := os.WriteFile(filepath.Join(dir, "sub", "cgroup.procs"), []byte(fmt.Sprint(inside.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(gate, nil, 0o644)
	inside.Wait()
	outside.Wait()
	o, err := r.Stop()
	if err != nil {
		t.Fatal(err)
	}
	got := names(o, "x86_64")
	if got["uname"] == 0 || got["wait4"] == 0 {
		t.Errorf("the cgroup's calls are missing: %v", got)
	}
	if got["getdents64"] != 0 {
		t.Errorf("ls, outside the cgroup, was recorded: %v", got)
	}
	if len(o.Warnings) > 0 {
		t.Errorf("warnings: %q", o.Warnings)
	}
}
