package main

import (
	"path/filepath"
	"strings"
	"testing"
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
		{"no-container", []string{"watch", "--container", "no-such-container-x"}, "sysfence: --container: container no-such-container-x: no cgroup of that container"},
		{"no-cgroup", []string{"watch", "--cgroup", "/no/such/cgroup-x"}, "sysfence: --cgroup: cgroup /no/such/cgroup-x: no such cgroup"},
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
