//go:build linux

package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysfence/sysfence/profile"
)

// innocentSyscalls is what the static auditprobe calls without arguments
// (strace -f): its profile, written by hand as a recorder would write it.
var innocentSyscalls = []string{"arch_prctl", "brk", "exit_group", "getrandom", "ioctl", "mprotect", "newfstatat",
	"prlimit64", "readlink", "rseq", "set_robust_list", "set_tid_address", "write"}

func writeInnocent(t *testing.T, dir string, yaml bool) string {
	t.Helper()
	names := `"` + strings.Join(innocentSyscalls, `", "`) + `"`
	var text, path string
	if yaml {
		path = filepath.Join(dir, "innocent.yaml")
		text = "# recorded from auditprobe\ndefaultAction: SCMP_ACT_ERRNO\ndefaultErrnoRet: 1\narchitectures: [SCMP_ARCH_X86_64]\n" +
			"syscalls:\n  - names: [" + names + "]\n    action: SCMP_ACT_ALLOW\n"
	} else {
		path = filepath.Join(dir, "innocent.json")
		text = `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [{"names": [` + names + `], "action": "SCMP_ACT_ALLOW"}]}` + "\n"
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The learn, audit, enforce loop: a program that also opens /etc/shadow
// runs to completion under --audit with the profile of its innocent
// version; the report names openat and the path; --update adds what was
// missing (in the profile's own format), and then it runs without a
// denial.
func TestRunAudit(t *testing.T) {
	requireRun(t)
	dir := t.TempDir()
	probe := buildC(t, dir, "auditprobe", true)
	for _, yaml := range []bool{false, true} {
		t.Run(fmt.Sprintf("yaml=%v", yaml), func(t *testing.T) {
			prof := writeInnocent(t, t.TempDir(), yaml)
			if code, stdout, stderr := runOut(t, "run", "-p", prof, "--", probe); code != 0 || stdout != "hello\n" || stderr != "" {
				t.Fatalf("innocent version: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			code, stdout, stderr := runOut(t, "run", "-p", prof, "--", probe, "shadow")
			if code != 0 || stdout != "hello\nshadow opened no\n" || !strings.Contains(stderr, `openat(AT_FDCWD, "/etc/shadow", O_RDONLY) was denied: EPERM`) {
				t.Fatalf("enforced: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}

			code, stdout, stderr = runOut(t, "run", "--audit", "-p", prof, "--", probe, "shadow")
			if code != 0 || stdout != "hello\nshadow opened yes\n" {
				t.Errorf("audit: exit %d, stdout %q (stderr %q)", code, stdout, stderr)
			}
			for _, want := range []string{
				"sysfence: audit: " + probe + "[",
				`]: openat(AT_FDCWD, "/etc/shadow", O_RDONLY) would be denied: EPERM (default action ERRNO(1))` + "\n",
				"sysfence: audit: 1 syscall would have been denied (1 call):\n",
				"sysfence:   openat: 1 call would be denied: EPERM (default action ERRNO(1)), by " + probe + "[",
				`sysfence:     openat(AT_FDCWD, "/etc/shadow", O_RDONLY)` + "\n",
			} {
				if !strings.Contains(stderr, want) {
					t.Errorf("audit report lacks %q:\n%s", want, stderr)
				}
			}

			code, _, stderr = runOut(t, "run", "--audit", "--update", prof, "--", probe, "shadow")
			if code != 0 || !strings.Contains(stderr, "sysfence: audit: "+prof+" updated: 2 syscalls allowed (openat, restart_syscall)\n") {
				t.Fatalf("--update: exit %d, stderr %q", code, stderr)
			}
			p, err := profile.Load(prof)
			if err != nil {
				t.Fatalf("updated profile: %v", err)
			}
			if want := profile.JSON; yaml {
				if p.Encoding != profile.YAML {
					t.Errorf("updated profile is %v, was YAML", p.Encoding)
				}
			} else if p.Encoding != want {
				t.Errorf("updated profile is %v, was JSON", p.Encoding)
			}
			code, stdout, stderr = runOut(t, "run", "-p", prof, "--", probe, "shadow")
			if code != 0 || stdout != "hello\nshadow opened yes\n" || stderr != "" {
				t.Errorf("under the updated profile: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			code, _, stderr = runOut(t, "run", "--audit", "--update", prof, "--", probe, "shadow")
			if code != 0 || !strings.Contains(stderr, "sysfence: audit: the profile denied nothing\n") || !strings.Contains(stderr, "the profile already allows every syscall CMD made; "+prof+" not written\n") {
				t.Errorf("second --update: exit %d, stderr %q", code, stderr)
			}
		})
	}
}

// A call denied by an explicit entry (not by the default) is taken out of
// that entry by --update: an allowing entry beside it would not win.
func TestRunAuditUpdateExplicitDenial(t *testing.T) {
	requireRun(t)
	dir := t.TempDir()
	probe := buildC(t, dir, "auditprobe", true)
	innocent, err := os.ReadFile(writeInnocent(t, t.TempDir(), false))
	if err != nil {
		t.Fatal(err)
	}
	prof := filepath.Join(dir, "denies.json")
	text := strings.Replace(string(innocent), `"syscalls": [`, `"syscalls": [{"names": ["openat", "mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}, `, 1)
	if err := os.WriteFile(prof, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runOut(t, "run", "-p", prof, "--", probe, "shadow")
	if code != 0 || stdout != "hello\nshadow opened no\n" || !strings.Contains(stderr, "was denied: EACCES") {
		t.Fatalf("enforced: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = runOut(t, "run", "--audit", "--update", prof, "--", probe, "shadow")
	if code != 0 || !strings.Contains(stderr, "updated: 2 syscalls allowed (openat, restart_syscall)\n") ||
		!strings.Contains(stderr, "sysfence: audit: taken out of entries that denied them: openat (SCMP_ACT_ERRNO entry)\n") {
		t.Fatalf("--update: exit %d, stderr %q", code, stderr)
	}
	code, stdout, stderr = runOut(t, "run", "-p", prof, "--", probe, "shadow")
	if code != 0 || stdout != "hello\nshadow opened yes\n" || stderr != "" {
		t.Errorf("under the updated profile: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// The entry keeps what it denied apart from the call that was seen.
	p, err := profile.Load(prof)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range p.Seccomp.Syscalls {
		if sc.Action == "SCMP_ACT_ERRNO" && !slices.Equal(profile.EntryNames(sc), []string{"mkdir"}) {
			t.Errorf("the denying entry now names %v, want [mkdir]", profile.EntryNames(sc))
		}
	}
}

// A command that forks and execs under audit is followed: the child's
// calls are reported with the child's process, and --update learns
// fork, exec and wait as well.
func TestRunAuditFollowsForkExec(t *testing.T) {
	requireRun(t)
	dir := t.TempDir()
	probe := buildC(t, dir, "auditprobe", true)
	prof := writeInnocent(t, dir, false)
	code, stdout, stderr := runOut(t, "run", "--audit", "--update", prof, "--", probe, "fork")
	if code != 0 || stdout != "hello\nhello\nshadow opened yes\nchild exited 0\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	var parent, child int
	for _, line := range strings.Split(stderr, "\n") {
		var pid int
		rest, ok := strings.CutPrefix(line, "sysfence: audit: "+probe+"[")
		if !ok {
			continue
		}
		fmt.Sscanf(rest, "%d]", &pid)
		switch {
		case strings.Contains(line, `openat(AT_FDCWD, "/etc/shadow", O_RDONLY) would be denied`):
			child = pid
		case strings.Contains(line, "]: clone(") || strings.Contains(line, "]: clone3(") || strings.Contains(line, "]: fork("):
			parent = pid
		}
	}
	if parent == 0 || child == 0 || parent == child {
		t.Errorf("fork by %d, child's openat by %d; want two processes:\n%s", parent, child, stderr)
	}
	for _, want := range []string{"execve(", "wait4("} {
		if !strings.Contains(stderr, want) {
			t.Errorf("report lacks %s:\n%s", want, stderr)
		}
	}
	code, stdout, stderr = runOut(t, "run", "-p", prof, "--", probe, "fork")
	if code != 0 || stdout != "hello\nhello\nshadow opened yes\nchild exited 0\n" || stderr != "" {
		t.Errorf("under the updated profile: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// When sysfence dies (SIGKILL: no clean-up of its own), the command and
// its children die too, in audit mode and under supervised path rules:
// never left running with notified calls failing ENOSYS.
func TestRunSupervisorKilled(t *testing.T) {
	requireRun(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"audit", []string{"--audit"}},
		{"supervised-paths", []string{"--no-landlock", "--best-effort", "--allow-read", "/", "--allow-exec", "/usr/bin/sleep"}},
	} {
		t.Run("mode="+tc.name, func(t *testing.T) {
			args := append(append([]string{"run"}, tc.args...), "--", "/bin/sh", "-c", "sleep 60 & echo $!; echo $$; echo ready; wait")
			cmd := sysfence(args...)
			pr, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			out := bufio.NewReader(pr)
			var pids []int
			for len(pids) < 2 {
				line, err := out.ReadString('\n')
				if err != nil {
					t.Fatalf("script: %v", err)
				}
				pid, err := strconv.Atoi(strings.TrimSpace(line))
				if err != nil {
					t.Fatalf("script said %q", line)
				}
				pids = append(pids, pid)
			}
			if line, _ := out.ReadString('\n'); line != "ready\n" {
				t.Fatalf("script said %q", line)
			}
			cmd.Process.Kill()
			cmd.Wait()
			deadline := time.Now().Add(5 * time.Second)
			for _, pid := range pids {
				for alive(pid) {
					if time.Now().After(deadline) {
						t.Fatalf("process %d still alive 5s after sysfence was killed", pid)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
}

// The --update summary says what was written for each syscall: glibc's
// pthread_create calls clone3, which the recorder's rules answer with
// ENOSYS (libc falls back to clone), and the summary said "clone3
// allowed". Each name of the summary is checked against the entries of
// the written file.
func TestRunAuditUpdateSaysWhatWasWritten(t *testing.T) {
	requireRun(t)
	dir := t.TempDir()
	prog := buildC(t, dir, "thread", true)
	prof := filepath.Join(dir, "min.json")
	if err := os.WriteFile(prof, []byte(`{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [{"names": ["write", "exit_group"], "action": "SCMP_ACT_ALLOW"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runOut(t, "run", "--audit", "--update", prof, "--", prog)
	if code != 0 || stdout != "thread ran\n" {
		t.Fatalf("--update: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	prefix := "sysfence: audit: " + prof + " updated: "
	var line string
	for _, l := range strings.Split(stderr, "\n") {
		if s, ok := strings.CutPrefix(l, prefix); ok {
			line = s
		}
	}
	if line == "" {
		t.Fatalf("no summary line in %q", stderr)
	}
	// "N syscalls allowed (a, b), 1 syscall answered ENOSYS (clone3)"
	said := map[string]string{}
	for _, group := range strings.SplitAfter(line, "), ") {
		group = strings.TrimSuffix(group, ", ")
		open := strings.LastIndex(group, " (")
		if open < 0 || !strings.HasSuffix(group, ")") {
			t.Fatalf("summary group %q in %q", group, line)
		}
		_, as, _ := strings.Cut(group[:open], " syscall")
		as = strings.TrimPrefix(strings.TrimPrefix(as, "s"), " ")
		for _, n := range strings.Split(group[open+2:len(group)-1], ", ") {
			said[n] = as
		}
	}
	if said["clone3"] != "answered ENOSYS" {
		t.Errorf("the summary says clone3 %q, want answered ENOSYS: %s", said["clone3"], line)
	}
	p, err := profile.Load(prof)
	if err != nil {
		t.Fatal(err)
	}
	for name, as := range said {
		var written []string
		for _, sc := range p.Seccomp.Syscalls {
			if !slices.Contains(profile.EntryNames(sc), name) {
				continue
			}
			switch {
			case sc.Action == "SCMP_ACT_ALLOW" && len(sc.Args) == 0:
				written = append(written, "allowed")
			case sc.Action == "SCMP_ACT_ALLOW":
				written = append(written, "allowed with argument rules")
			case sc.Action == "SCMP_ACT_ERRNO" && sc.ErrnoRet != nil && *sc.ErrnoRet == 38:
				written = append(written, "answered ENOSYS")
			default:
				written = append(written, string(sc.Action))
			}
		}
		if len(written) != 1 || written[0] != as {
			t.Errorf("the summary says %s %s, the file has %v", name, as, written)
		}
	}
	code, stdout, _ = runOut(t, "run", "-q", "-p", prof, "--", prog)
	if code != 0 || stdout != "thread ran\n" {
		t.Errorf("under the updated profile: exit %d, stdout %q", code, stdout)
	}
}
