package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeProfile writes a profile file and returns its path.
func writeProfile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A call made through the x32 ABI from an x86_64 program is reported as
// an x32 call: its number names another call there, and the profile rules
// on it apart. (seccomp sees the call before the kernel's x32 check, so
// this holds on kernels without x32 support too.)
func TestRunReportsNameTheABI(t *testing.T) {
	requireRun(t)
	prog := buildC(t, t.TempDir(), "x32call", true)
	const call = `x32 openat(AT_FDCWD, "/etc/hostname", O_RDONLY)`
	x86only := writeProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": []}`)
	code, stdout, stderr := runOut(t, "run", "-p", x86only, "--", prog)
	if code != 128+31 || stdout != "before\n" || stderr != "sysfence: "+prog+" was killed: "+call+" is not allowed (architecture not in the filter (bad-arch action KILL))\n" {
		t.Errorf("bad-arch kill: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	denies := writeProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"],
  "syscalls": [{"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}`)
	code, stdout, stderr = runOut(t, "run", "-p", denies, "--", prog)
	if code != 0 || stdout != "before\nx32 openat: Permission denied\n" || !strings.HasPrefix(stderr, "sysfence: "+prog+": "+call+" was denied: EACCES (syscalls[0] (") {
		t.Errorf("errno denial: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = runOut(t, "run", "--audit", "-p", x86only, "--", prog)
	if code != 0 || !strings.Contains(stderr, "]: "+call+" would be killed") || !strings.Contains(stderr, "sysfence:   x32 openat: 1 call would be killed") {
		t.Errorf("audit: exit %d, stderr %q", code, stderr)
	}
}
