package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

// mobyDefaultJSON is Docker's own default.json from the module cache.
func mobyDefaultJSON(t *testing.T) string {
	t.Helper()
	goTool := testenv.LookPath(t, "go", "golang-go")
	out, err := exec.Command(goTool, "list", "-m", "-f", "{{.Dir}}", "github.com/moby/profiles/seccomp").Output()
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		t.Fatalf("go list: %v", err)
	}
	return filepath.Join(string(bytes.TrimSpace(out)), "default.json")
}

// A syscall name that some architecture has is no typo: it is skipped
// where it does not exist, silently (-v lists it), and --strict accepts
// it. Only a name that no architecture has is a warning, and an error
// under --strict. Docker's own default.json (riscv_hwprobe, chown32, ...)
// compiles for x86_64 without a word.
func TestSkippedNamesAreQuiet(t *testing.T) {
	def := mobyDefaultJSON(t)
	target := []string{"--arch", "x86_64", "--kernel", "6.8"}
	armOnly := writeFile(t, "arm.json", []byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","arm_fadvise64_64"],"action":"SCMP_ACT_ALLOW"}]}`))
	typo := writeFile(t, "typo.json", []byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","opnat"],"action":"SCMP_ACT_ALLOW"}]}`))
	for _, args := range [][]string{
		{"compile", def, "-o", "/dev/null"},
		{"compile", def, "--strict", "-o", "/dev/null"},
		{"check", def, "read"},
		{"check", def, "--strict", "read"},
		{"disasm", def},
		{"compile", armOnly, "-o", "/dev/null"},
		{"compile", armOnly, "--strict", "-o", "/dev/null"},
	} {
		if got, code := shipped(t, append(args, target...)...); code != 0 || got != "" {
			t.Errorf("%s: exit %d, stderr %q; want 0 and nothing", strings.Join(args, " "), code, got)
		}
	}
	for _, c := range []struct {
		file string
		want []string // lines -v must print
	}{
		{def, []string{`): syscall "riscv_hwprobe" does not exist on x86_64, x86, x32; skipped as runc does`, `): syscall "chown32" does not exist on x86_64, x32; skipped as runc does`}},
		{armOnly, []string{`sysfence: warning: syscalls[0] (` + armOnly + `:1:47): syscall "arm_fadvise64_64" does not exist on x86_64; skipped as runc does`}},
	} {
		got, code := shipped(t, append([]string{"compile", c.file, "-v", "-o", "/dev/null"}, target...)...)
		for _, w := range c.want {
			if code != 0 || !strings.Contains(got, w) {
				t.Errorf("compile -v %s: exit %d, stderr %q; want it to list %q", c.file, code, got, w)
			}
		}
	}
	want := "sysfence: warning: " + typo + `:1:64: syscalls[0].names[1]: unknown syscall "opnat" on every architecture (did you mean openat?); runc skips it` + "\n"
	if got, code := shipped(t, append([]string{"compile", typo, "-o", "/dev/null"}, target...)...); code != 0 || got != want {
		t.Errorf("typo: exit %d, stderr %q; want 0 and %q", code, got, want)
	}
	want = "sysfence: refused under --strict: " + typo + `:1:64: syscalls[0].names[1]: unknown syscall "opnat" on every architecture (did you mean openat?); runc skips it` + "\n"
	if got, code := shipped(t, append([]string{"compile", typo, "--strict", "-o", "/dev/null"}, target...)...); code != 2 || got != want {
		t.Errorf("typo --strict: exit %d, stderr %q; want 2 and %q", code, got, want)
	}
}
