package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sysfence/sysfence/internal/cgroups"
	"github.com/sysfence/sysfence/internal/testenv"
)

// TestWatchUsage: the selection and --update are checked before
// anything is loaded, each refusal one line, exit 2. (What watch
// reports is tested through the binary in internal/e2e.)
func TestWatchUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"two-selections", []string{"watch", "--pid", "1", "--cgroup", "/"}, "sysfence: --pid, --cgroup, --container and --all select different things: give one\n"},
		{"all-and-pid", []string{"watch", "--all", "--pid", "1"}, "sysfence: --pid, --cgroup, --container and --all select different things: give one\n"},
		{"no-process", []string{"watch", "--pid", "4194303"}, "sysfence: --pid 4194303: no such process\n"},
		{"negative-pid", []string{"watch", "--pid", "-3"}, "sysfence: --pid -3: not a process ID\n"},
		{"no-container", []string{"watch", "--container", "no-such-container-x"}, cgroupRefusal("--container", "container no-such-container-x: no cgroup of that container")},
		{"no-cgroup", []string{"watch", "--cgroup", "/no/such/cgroup-x"}, cgroupRefusal("--cgroup", "cgroup /no/such/cgroup-x: no such cgroup")},
		{"update-unwritable", []string{"watch", "--update", "/proc/version"}, "sysfence: --update: cannot write /proc/version"},
		{"profile-missing", []string{"watch", "--profile", filepath.Join(dir, "nope.json")}, "sysfence: reading profile "},
		{"arguments", []string{"watch", "extra"}, "sysfence: sysfence watch needs 0 argument(s), got 1"},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			r := runIt(t, sysfence(tc.args...))
			if r.code != 2 || !strings.HasPrefix(r.stderr, tc.stderr) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d stderr %q, want 2 %q", r.code, r.stderr, tc.stderr)
			}
		})
	}
}

// cgroupRefusal is what --cgroup or --container (flag) says when what it
// names is not found: why (named), or, on a machine without the unified
// hierarchy, that it is not mounted.
func cgroupRefusal(flag, named string) string {
	if _, err := cgroups.UnifiedMount(); err != nil {
		return "sysfence: " + flag + ": " + err.Error() + "\n"
	}
	return "sysfence: " + flag + ": " + named
}

// TestWatchUnprivileged: without CAP_BPF and CAP_PERFMON watch says so
// in one line and exits 2.
func TestWatchUnprivileged(t *testing.T) {
	testenv.RequireRoot(t)
	// A copy of the test binary that nobody may run.
	dir, err := os.MkdirTemp("", "sysfence-watch-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "sysfence.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := sysfence("watch", "--duration", "1s")
	cmd.Path, cmd.Args[0] = bin, bin
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	r := runIt(t, cmd)
	if r.code != 2 || r.stderr != "sysfence: watch needs CAP_BPF and CAP_PERFMON (run as root)\n" {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
}
