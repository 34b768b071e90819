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

// A SIGSYS that the command sends itself, dressed as a seccomp TRAP
// (si_code SYS_SECCOMP, a made-up syscall and filter data), is not the
// filter's doing: the command dies of it as of any signal, and sysfence
// does not report it as a call the filter refused. A real TRAP still is.
func TestRunForgedSIGSYSNotReported(t *testing.T) {
	requireRun(t)
	prog := buildC(t, t.TempDir(), "forgesigsys", true)
	traps := writeProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_TRAP"}]}`)
	for _, tc := range []struct {
		name, mode, stdout, stderr string
	}{
		{"thread-directed", "", "forging\n", ""},
		{"process-directed", "process", "forging\n", ""},
		{"after-a-handled-trap", "handled", "handled a trap of syscall 110\nforging\n", ""},
		{"at-a-call-returning-its-number", "spin", "forging\n", ""},
		{"real-trap", "trap", "trapping\n", "sysfence: " + prog + " was killed: getppid() is not allowed (syscalls[0] ("},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			args := []string{"run", "-p", traps, "--", prog}
			if tc.mode != "" {
				args = append(args, tc.mode)
			}
			code, stdout, stderr := runOut(t, args...)
			if code != 128+31 || stdout != tc.stdout || (tc.stderr == "") != (stderr == "") || !strings.HasPrefix(stderr, tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 159, stdout %q, stderr %q...", code, stdout, stderr, tc.stdout, tc.stderr)
			}
		})
	}
}

// Under --audit the profile's kills and traps are never given (the calls
// run), so no death is the filter's doing. A command that dies of a forged
// SIGSYS right after a read the profile kills returned 0 (read's own
// number, so the registers look rolled back) was reported as killed by
// the filter.
func TestRunAuditForgedSIGSYSNotReported(t *testing.T) {
	requireRun(t)
	prog := buildC(t, t.TempDir(), "forgesigsys", true)
	killRead := writeProfile(t, `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL_PROCESS"}]}`)
	for i := 0; i < 5; i++ {
		cmd := sysfence("run", "--audit", "-p", killRead, "--", prog, "spin")
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		code := exitCode(cmd.Run())
		if code != 128+31 || stdout.String() != "forging\n" || strings.Contains(stderr.String(), "was killed") ||
			!strings.Contains(stderr.String(), "read(0, ") {
			t.Fatalf("run %d: exit %d, stdout %q, stderr %q", i, code, stdout.String(), stderr.String())
		}
	}
}
