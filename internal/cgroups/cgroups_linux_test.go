package cgroups

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sysfence/sysfence/internal/testenv"
)

// newCgroup makes a cgroup under the unified hierarchy's root for the
// test and removes it afterwards.
func newCgroup(t *testing.T, rel string) *Cgroup {
	t.Helper()
	testenv.RequireRoot(t)
	mnt, err := UnifiedMount()
	if err != nil {
		testenv.Skip(t, err.Error())
	}
	dir := filepath.Join(mnt, rel)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Innermost first; a cgroup goes once its processes have.
		for d := dir; d != mnt; d = filepath.Dir(d) {
			for i := 0; i < 50; i++ {
				if err := os.Remove(d); err == nil || errors.Is(err, os.ErrNotExist) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	})
	c, err := Resolve(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestResolveFindAndPids(t *testing.T) {
	id := strings.Repeat("5e", 32)
	base := fmt.Sprintf("sysfence-cgtest-%d", os.Getpid())
	c := newCgroup(t, base+"/docker-"+id+".scope")
	if c.Path != "/"+base+"/docker-"+id+".scope" || c.Level != 2 || c.ID == 0 {
		t.Fatalf("Resolve = %+v", c)
	}
	// The same cgroup by its path in the hierarchy.
	c2, err := Resolve(c.Path)
	if err != nil || c2.ID != c.ID {
		t.Fatalf("Resolve(%q) = %+v, %v", c.Path, c2, err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(c.Dir, &st); err != nil || st.Ino != c.ID {
		t.Fatalf("id %d is not the directory's inode (%v)", c.ID, err)
	}
	for _, q := range []string{id, id[:12]} {
		f, err := FindContainer(q)
		if err != nil || f.ID != c.ID {
			t.Errorf("FindContainer(%s) = %+v, %v", q, f, err)
		}
	}
	if _, err := FindContainer("nosuchcontainer-" + base); err == nil || !strings.Contains(err.Error(), "is it running?") {
		t.Errorf("FindContainer of nothing: %v", err)
	}
	if _, err := Resolve("/" + base + "/nope"); err == nil || !strings.Contains(err.Error(), "no such cgroup") {
		t.Errorf("Resolve of nothing: %v", err)
	}

	if pop, err := Populated(c); err != nil || pop {
		t.Fatalf("empty cgroup: populated %v, %v", pop, err)
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if err := os.WriteFile(filepath.Join(c.Dir, "cgroup.procs"), []byte(fmt.Sprint(cmd.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	if p, err := ProcessCgroup(cmd.Process.Pid); err != nil || p != c.Path {
		t.Errorf("ProcessCgroup = %q, %v; want %q", p, err, c.Path)
	}
	parent, err := Resolve("/" + base)
	if err != nil {
		t.Fatal(err)
	}
	if pids, err := Pids(parent); err != nil || len(pids) != 1 || pids[0] != cmd.Process.Pid {
		t.Errorf("Pids(parent) = %v, %v", pids, err)
	}
	if pop, err := Populated(parent); err != nil || !pop {
		t.Errorf("parent with a process below: populated %v, %v", pop, err)
	}
	var names Names
	if p := names.Path(c.ID); p != c.Path {
		t.Errorf("Names.Path(%d) = %q, want %q", c.ID, p, c.Path)
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		pop, err := Populated(c)
		if err != nil {
			t.Fatal(err)
		}
		if !pop {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still populated 5s after its process exited")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestResolveRefusesV1(t *testing.T) {
	mnt, err := UnifiedMount()
	if err != nil {
		testenv.Skip(t, err.Error())
	}
	_, err = Resolve("/sys/fs/cgroup/memory")
	if mnt == "/sys/fs/cgroup" {
		// A cgroup v2 machine: the path is one of the unified hierarchy.
		t.Logf("machine fact: cgroup v2 only; /sys/fs/cgroup/memory resolves in it: %v", err)
		if err != nil && !strings.Contains(err.Error(), "no such cgroup") {
			t.Errorf("Resolve: %v", err)
		}
		return
	}
	t.Logf("machine fact: hybrid cgroups, unified hierarchy at %s", mnt)
	if err == nil || !strings.Contains(err.Error(), "not in the unified (v2) hierarchy") {
		t.Errorf("Resolve of a v1 hierarchy: %v", err)
	}
}
