package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/cli"
	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/seccomp"
)

// The CLI tests run sysfence as a separate process: the test binary
// re-executed into TestHelperSysfence, which runs main with the
// arguments after "--".
func TestHelperSysfence(t *testing.T) {
	if os.Getenv("SYSFENCE_HELPER") != "1" {
		return
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	root := newRootCmd()
	root.SetArgs(args)
	cli.Exit(os.Stderr, root.Execute())
}

// sysfence returns a command running sysfence with args.
func sysfence(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestHelperSysfence$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "SYSFENCE_HELPER=1")
	return cmd
}

func requireRun(t testing.TB) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		testenv.Skip(t, "sysfence run injects filters on x86_64 only")
	}
	if err := seccomp.CheckFilter(); err != nil {
		testenv.Skip(t, err.Error())
	}
}

// writeFilter writes a filter file: x86_64 only; the listed syscall
// numbers get deny, everything else ALLOW.
func writeFilter(t *testing.T, deny policy.Action, nrs ...uint32) string {
	t.Helper()
	p := bpf.Program{bpf.LoadAbs(bpf.OffArch), bpf.Jump(bpf.JmpJEQ, 0xc000003e, 1, 0),
		bpf.Ret(uint32(policy.ActKillProcess)), bpf.LoadAbs(bpf.OffNr)}
	for _, nr := range nrs {
		p = append(p, bpf.Jump(bpf.JmpJEQ, nr, 0, 1), bpf.Ret(uint32(deny)))
	}
	p = append(p, bpf.Ret(uint32(policy.ActAllow)))
	path := filepath.Join(t.TempDir(), "f.bpf")
	if err := os.WriteFile(path, p.Encode(binary.NativeEndian), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// exitCode is the status as a shell reports it: 128+N when the process
// died from signal N (sysfence dies by the signal that ended CMD).
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return -1
}

func TestRunCommand(t *testing.T) {
	requireRun(t)
	allowAll := writeFilter(t, policy.ActAllow)
	const sysUname = 63
	killUname := writeFilter(t, policy.ActKillProcess, sysUname)
	dir := t.TempDir()
	short := filepath.Join(dir, "short.bpf")
	os.WriteFile(short, []byte{1, 2, 3}, 0o644)
	refused := filepath.Join(dir, "refused.bpf")
	os.WriteFile(refused, bpf.Program{bpf.LoadAbs(bpf.OffNr)}.Encode(binary.NativeEndian), 0o644) // falls off its end
	badInterp := filepath.Join(dir, "bad-interp")
	os.WriteFile(badInterp, []byte("#!/no/such/interpreter\n"), 0o755)
	asProfile := filepath.Join(dir, "as-profile.bpf")
	b, _ := os.ReadFile(killUname)
	os.WriteFile(asProfile, b, 0o644)

	for _, tc := range []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string
		stderr string // a prefix of stderr; "" means empty
	}{
		// Dynamic /bin/true: its loader reads the time stamp counter,
		// which strict mode disables (SIGSEGV) where the machine lets it.
		{"strict", []string{"run", "--strict", "--", "/bin/true"}, "", 139, "",
			"sysfence: /bin/true was killed: the rdtsc instruction is not allowed (strict mode also disables the time stamp counter)\n"},
		{"strict-quiet", []string{"run", "--quiet", "--strict", "--", "/bin/true"}, "", 139, "", ""},
		{"exit-status", []string{"run", "--filter", allowAll, "--", "/bin/sh", "-c", "exit 5"}, "", 5, "", ""},
		{"signal-status", []string{"run", "--filter", allowAll, "--", "/bin/sh", "-c", "kill -HUP $$"}, "", 129, "", ""},
		{"flags-after-cmd-belong-to-it", []string{"run", "--filter", allowAll, "/bin/echo", "-n", "--strict"}, "", 0, "--strict", ""},
		{"stdin-passes", []string{"run", "--filter", allowAll, "--", "/bin/cat"}, "through stdin\n", 0, "through stdin\n", ""},
		{"killed-report", []string{"run", "--filter", killUname, "--", "/bin/uname"}, "", 159, "",
			"sysfence: /bin/uname was killed: uname(0x"},
		{"p-takes-bpf", []string{"run", "-p", asProfile, "--", "/bin/uname"}, "", 159, "", "sysfence: /bin/uname was killed: uname("},
		{"not-found", []string{"run", "--filter", allowAll, "--", "no-such-command-x"}, "", 127, "",
			"sysfence: no-such-command-x: command not found\n"},
		{"empty-command", []string{"run", "--filter", allowAll, "--", ""}, "", 127, "", "sysfence: \"\": command not found\n"},
		{"missing-interpreter", []string{"run", "--filter", allowAll, "--", badInterp}, "", 127, "",
			"sysfence: " + badInterp + ": cannot execute: required file not found (its #! interpreter or ELF loader is missing)\n"},
		{"missing-interpreter-quiet", []string{"run", "--quiet", "--filter", allowAll, "--", badInterp}, "", 127, "",
			"sysfence: " + badInterp + ": cannot execute: required file not found (its #! interpreter or ELF loader is missing)\n"},
		{"not-executable", []string{"run", "--filter", allowAll, "--", "/etc/passwd"}, "", 126, "",
			"sysfence: /etc/passwd: cannot execute: permission denied\n"},
		{"unreadable-filter", []string{"run", "--filter", filepath.Join(dir, "nope.bpf"), "--", "/bin/true"}, "", 2, "",
			"sysfence: " + filepath.Join(dir, "nope.bpf") + ": cannot read it: no such file or directory\n"},
		{"short-filter", []string{"run", "--filter", short, "--", "/bin/true"}, "", 2, "", "sysfence: " + short + ": 3 bytes is not a raw filter: it must be a multiple of 8 bytes (one struct sock_filter each)\n"},
		{"kernel-refuses-filter", []string{"run", "--filter", refused, "--", "/bin/true"}, "", 2, "",
			"sysfence: " + refused + ": not a seccomp filter the kernel would load (bpf: pc 0: the last instruction must be a return)\n"},
		{"docker-default", []string{"run", "--", "/bin/echo", "hi"}, "", 0, "hi\n", ""},
		{"default-denies", []string{"run", "--", "/bin/sh", "-c", "exec unshare -U true"}, "", 1, "",
			"sysfence: unshare: unshare(CLONE_NEWUSER) was denied: EPERM (default action ERRNO(1))\n"},
		{"repeated-denials", []string{"run", "--", "/bin/sh", "-c", "unshare -U true 2>/dev/null; unshare -m true 2>/dev/null; exit 0"}, "", 0, "",
			"sysfence: unshare: unshare(CLONE_NEWUSER) was denied: EPERM (default action ERRNO(1))\n" +
				"sysfence: note: also denied, not reported again: unshare 1 more (EPERM)\n"},
		{"unknown-profile", []string{"run", "-p", "no-such-profile", "--", "/bin/true"}, "", 2, "", "sysfence: unknown profile \"no-such-profile\": "},
		{"foreign-arch", []string{"run", "--arch", "aarch64", "--", "/bin/true"}, "", 2, "", "sysfence: --arch aarch64: the command runs on this machine"},
		{"two-sources", []string{"run", "--strict", "--filter", allowAll, "--", "/bin/true"}, "", 2, "",
			"sysfence: give only one of --strict, --filter and -p\n"},
		{"resolution-flags", []string{"run", "--strict", "--cap", "CAP_SYS_ADMIN", "--", "/bin/true"}, "", 2, "",
			"sysfence: --arch, --cap, --kernel, --no-enosys and --strict-profile apply to profiles, not to --strict\n"},
		{"no-command", []string{"run", "--strict"}, "", 2, "", "sysfence: sysfence run needs at least 1 argument(s), got 0"},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			if strings.HasPrefix(tc.name, "strict") && !testenv.StrictTrapsTSC(t) {
				// /bin/true dies at its loader's first syscall instead.
				tc.code = 128 + 9
				if tc.stderr != "" {
					tc.stderr = "sysfence: /bin/true was killed: brk(NULL) is not allowed (strict mode allows only read, write, _exit and rt_sigreturn)\n"
				}
			}
			cmd := sysfence(tc.args...)
			cmd.Stdin = strings.NewReader(tc.stdin)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if got := exitCode(err); got != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", got, tc.code, stderr.String())
			}
			if stdout.String() != tc.stdout {
				t.Errorf("stdout %q, want %q", stdout.String(), tc.stdout)
			}
			if tc.stderr == "" && stderr.Len() != 0 || !strings.HasPrefix(stderr.String(), tc.stderr) {
				t.Errorf("stderr %q, want %q...", stderr.String(), tc.stderr)
			}
		})
	}
}

// startReady starts sysfence on a shell script that prints its pid and
// "ready" once its traps are set, and returns the script's pid.
func startReady(t *testing.T, cmd *exec.Cmd) (cmdPid int, out *bufio.Reader) {
	t.Helper()
	pr, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	out = bufio.NewReader(pr)
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("script said %q", line)
	}
	if line, _ := out.ReadString('\n'); line != "ready\n" {
		t.Fatalf("script said %q", line)
	}
	return pid, out
}

// SIGTERM, SIGHUP and SIGINT sent to sysfence reach the command (no
// terminal here, so SIGINT cannot have reached it directly).
func TestRunForwardsSignals(t *testing.T) {
	requireRun(t)
	allowAll := writeFilter(t, policy.ActAllow)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT} {
		for _, quiet := range []bool{false, true} {
			t.Run(fmt.Sprintf("sig=%s/quiet=%v", sigName(sig), quiet), func(t *testing.T) {
				args := []string{"run", "--filter", allowAll}
				if quiet {
					args = append(args, "--quiet")
				}
				name := strings.TrimPrefix(sigName(sig), "SIG")
				script := fmt.Sprintf(`trap 'echo got %s; exit 7' %s; echo $$; echo ready; while :; do sleep 0.05; done`, name, name)
				cmd := sysfence(append(args, "--", "/bin/sh", "-c", script)...)
				_, out := startReady(t, cmd)
				cmd.Process.Signal(sig)
				line, _ := out.ReadString('\n')
				if line != "got "+name+"\n" {
					t.Errorf("command said %q", line)
				}
				err := cmd.Wait()
				if code := exitCode(err); code != 7 {
					t.Errorf("sysfence exited %d (%v), want the command's 7", code, err)
				}
			})
		}
	}
}

func sigName(s syscall.Signal) string {
	return map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT"}[s]
}

// The command never outlives sysfence, even when sysfence is SIGKILLed.
func TestRunNoOrphan(t *testing.T) {
	requireRun(t)
	allowAll := writeFilter(t, policy.ActAllow)
	for _, quiet := range []bool{false, true} {
		t.Run(fmt.Sprintf("quiet=%v", quiet), func(t *testing.T) {
			args := []string{"run", "--filter", allowAll}
			if quiet {
				args = append(args, "--quiet")
			}
			cmd := sysfence(append(args, "--", "/bin/sh", "-c", "echo $$; echo ready; exec sleep 60")...)
			pid, _ := startReady(t, cmd)
			cmd.Process.Kill()
			cmd.Wait()
			deadline := time.Now().Add(5 * time.Second)
			for alive(pid) {
				if time.Now().After(deadline) {
					t.Fatalf("command %d still alive 5s after sysfence was killed", pid)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// Job control: a command that stops (SIGSTOP, as ^Z would with SIGTSTP)
// stays stopped until SIGCONT, also while sysfence observes it.
func TestRunJobControl(t *testing.T) {
	requireRun(t)
	allowAll := writeFilter(t, policy.ActAllow)
	for _, quiet := range []bool{false, true} {
		t.Run(fmt.Sprintf("quiet=%v", quiet), func(t *testing.T) {
			args := []string{"run", "--filter", allowAll}
			if quiet {
				args = append(args, "--quiet")
			}
			cmd := sysfence(append(args, "--", "/bin/sh", "-c", "echo $$; echo ready; kill -STOP $$; echo resumed")...)
			pid, out := startReady(t, cmd)
			deadline := time.Now().Add(5 * time.Second)
			for state(pid) != 'T' && state(pid) != 't' {
				if time.Now().After(deadline) {
					t.Fatalf("command never stopped (state %c)", state(pid))
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond)
			if s := state(pid); s != 'T' && s != 't' {
				t.Fatalf("command did not stay stopped (state %c)", s)
			}
			syscall.Kill(pid, syscall.SIGCONT)
			if line, _ := out.ReadString('\n'); line != "resumed\n" {
				t.Errorf("command said %q", line)
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("sysfence: %v", err)
			}
		})
	}
}

// state is the process state letter of /proc/PID/stat.
func state(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

// sysfence under sysfence: fine under a quiet one; refused, with the
// reason, under a reporting one (which already traces its children) or
// under a filter that denies ptrace.
func TestRunNested(t *testing.T) {
	requireRun(t)
	allowAll := writeFilter(t, policy.ActAllow)
	const sysPtrace = 101
	noPtrace := writeFilter(t, policy.Errno(1), sysPtrace)
	inner := []string{os.Args[0], "-test.run=^TestHelperSysfence$", "--", "run", "--filter", allowAll, "--", "/bin/echo", "inner"}
	for _, tc := range []struct {
		name   string
		outer  []string
		code   int
		stdout string
		stderr string
	}{
		{"outer=quiet", []string{"run", "--quiet", "--filter", allowAll}, 0, "inner\n", ""},
		{"outer=report", []string{"run", "--filter", allowAll}, 2, "",
			"sysfence: sandbox: cannot start /bin/echo: operation not permitted: sysfence needs ptrace to put the filter into the command, and process "},
		{"outer=no-ptrace", []string{"run", "--quiet", "--filter", noPtrace}, 2, "",
			"sysfence: sandbox: cannot start /bin/echo: operation not permitted (sysfence needs ptrace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := sysfence(append(append(tc.outer, "--"), inner...)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if code := exitCode(err); code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, stderr.String())
			}
			if stdout.String() != tc.stdout || !strings.HasPrefix(stderr.String(), tc.stderr) || tc.stderr == "" && stderr.Len() > 0 {
				t.Errorf("stdout %q stderr %q", stdout.String(), stderr.String())
			}
		})
	}
}

// With --quiet and a filter that allows execve, sysfence becomes CMD
// (same PID) with the filter in force; a filter without execve takes the
// exec-stop path instead (a child), and still runs CMD exactly once.
func TestRunQuietExecsInPlace(t *testing.T) {
	requireRun(t)
	const sysMkdir, sysMkdirat, sysExecve = 83, 258, 59
	noMkdir := writeFilter(t, policy.Errno(1), sysMkdir, sysMkdirat)
	noExec := writeFilter(t, policy.Errno(1), sysExecve)
	dir := t.TempDir()
	script := `echo $$; grep '^Seccomp:' /proc/self/status; mkdir "$1/made" && echo made`
	for _, tc := range []struct {
		name    string
		filter  string
		inPlace bool
		out     string // after the PID line
	}{
		{"filter=allows-execve", noMkdir, true, "Seccomp:\t2\n"},
		{"filter=denies-execve", noExec, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := sysfence("run", "--quiet", "--filter", tc.filter, "--", "/bin/sh", "-c", script, "sh", dir)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			pidLine, rest, _ := strings.Cut(stdout.String(), "\n")
			pid, _ := strconv.Atoi(pidLine)
			if got := pid == cmd.Process.Pid; got != tc.inPlace {
				t.Errorf("CMD ran as PID %d, sysfence was %d: in place = %v, want %v", pid, cmd.Process.Pid, got, tc.inPlace)
			}
			if tc.inPlace {
				// mkdir denied with EPERM: the filter is in force.
				if rest != tc.out || exitCode(err) != 1 || !strings.Contains(stderr.String(), "Operation not permitted") {
					t.Errorf("exit %d, stdout %q, stderr %q", exitCode(err), stdout.String(), stderr.String())
				}
				return
			}
			// The shell ran (its one exec) and could not exec grep.
			if pid == 0 || exitCode(err) == 0 || strings.Contains(rest, "Seccomp") {
				t.Errorf("exit %d, stdout %q, stderr %q", exitCode(err), stdout.String(), stderr.String())
			}
		})
	}
	// Killed by a signal: the shell around sysfence reports 128+N, as it
	// does for any command it runs.
	allowAll := writeFilter(t, policy.ActAllow)
	sh := exec.Command("/bin/sh", "-c", `"$@"; echo "status $?"`, "sh", os.Args[0], "-test.run=^TestHelperSysfence$", "--",
		"run", "--quiet", "--filter", allowAll, "--", "/bin/sh", "-c", "kill -TERM $$")
	sh.Env = append(os.Environ(), "SYSFENCE_HELPER=1")
	out, err := sh.Output()
	if err != nil || string(out) != "status 143\n" {
		t.Errorf("shell around sysfence said %q (%v), want status 143", out, err)
	}
}

// An i386 program, where the kernel runs it: refused with a clear error
// where the filter goes in at the exec stop (reports, record), run under
// the filter where sysfence execs in place (--quiet). Where the kernel
// refuses i386 programs, every mode says that it cannot execute the file
// (126, exec format error, as a shell does), which is also what each says
// of a file no kernel runs (checked on every machine).
func TestRunI386Program(t *testing.T) {
	requireRun(t)
	dir := t.TempDir()
	profile := filepath.Join(dir, "recorded.json")
	modes := map[string][]string{
		"run":       {"run", "--"},
		"run-quiet": {"run", "--quiet", "--"},
		"record":    {"record", "--quiet", "-o", profile, "--"},
	}
	check := func(t *testing.T, prog string, want map[string]ran) {
		t.Helper()
		for mode, args := range modes {
			if got := runIt(t, sysfence(append(args, prog)...)); got != want[mode] {
				t.Errorf("%s: %+v, want %+v", mode, got, want[mode])
			}
		}
		if _, err := os.Stat(profile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("record left a profile behind (%v)", err)
		}
	}
	execFormatError := func(prog string) map[string]ran {
		r := ran{stderr: "sysfence: " + prog + ": cannot execute: exec format error\n", code: 126}
		return map[string]ran{"run": r, "run-quiet": r, "record": r}
	}
	hi := testenv.I386Hello(t)
	if testenv.CanExecI386(t) {
		refused := ran{stderr: "sysfence: sandbox: " + hi + " is a 32-bit (i386) program, which sysfence cannot start at its exec stop yet (quiet runs of filters that allow execve can): not supported\n", code: 2}
		check(t, hi, map[string]ran{"run": refused, "run-quiet": {stdout: "hi\n"}, "record": refused})
	} else {
		check(t, hi, execFormatError(hi))
	}
	unrunnable := testenv.UnrunnableELF(t)
	check(t, unrunnable, execFormatError(unrunnable))
}

// When CMD dies from a signal, sysfence dies from the same signal (a
// shell reports 128+N either way, and a script's loop stops at ^C as it
// would for CMD itself), also for signals Go's runtime would handle itself
// (SIGUSR1 is ignored by Go, SIGSYS dumps its stacks), and without a core
// file of its own.
func TestRunDiesBySignal(t *testing.T) {
	requireRun(t)
	allowAll := writeFilter(t, policy.ActAllow)
	const sysUname = 63
	killUname := writeFilter(t, policy.ActKillProcess, sysUname)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		sig  syscall.Signal
	}{
		{"hup", []string{"--filter", allowAll, "--", "/bin/sh", "-c", "kill -HUP $$"}, syscall.SIGHUP},
		{"usr1", []string{"--filter", allowAll, "--", "/bin/sh", "-c", "kill -USR1 $$"}, syscall.SIGUSR1},
		{"segv", []string{"--filter", allowAll, "--", "/bin/sh", "-c", "ulimit -c 0; kill -SEGV $$"}, syscall.SIGSEGV},
		{"filter-kill", []string{"--filter", killUname, "--", "/bin/uname"}, syscall.SIGSYS},
	} {
		t.Run("sig="+tc.name, func(t *testing.T) {
			cmd := sysfence(append([]string{"run"}, tc.args...)...)
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("sysfence: %v", err)
			}
			ws := ee.Sys().(syscall.WaitStatus)
			if !ws.Signaled() || ws.Signal() != tc.sig || ws.CoreDump() {
				t.Errorf("sysfence ended %v (signaled %v, core %v), want by %v without a core", ws, ws.Signaled(), ws.CoreDump(), tc.sig)
			}
			if strings.Contains(stderr.String(), "goroutine") {
				t.Errorf("Go's runtime handled the signal: %s", stderr.String())
			}
		})
	}
}

// SIGHUP and SIGINT that sysfence was started with ignored (nohup, a
// background job) stay ignored in CMD; a report written to a closed
// stderr does not kill sysfence, nor CMD with it.
func TestRunSignalDispositions(t *testing.T) {
	requireRun(t)
	allowAll := writeFilter(t, policy.ActAllow)
	for _, quiet := range []bool{false, true} {
		args := []string{"run", "--filter", allowAll}
		if quiet {
			args = append(args, "--quiet")
		}
		// The shell's trap '' makes sysfence start with both ignored;
		// CMD prints its own SigIgn mask.
		line := `trap '' HUP INT; exec "$@"`
		sh := exec.Command("/bin/sh", append([]string{"-c", line, "sh", os.Args[0], "-test.run=^TestHelperSysfence$", "--"},
			append(args, "--", "/bin/sh", "-c", "grep '^SigIgn:' /proc/self/status")...)...)
		sh.Env = append(os.Environ(), "SYSFENCE_HELPER=1")
		out, err := sh.Output()
		const hupInt = 1<<(1-1) | 1<<(2-1)
		var mask uint64
		if _, serr := fmt.Sscanf(strings.TrimPrefix(string(out), "SigIgn:"), "%x", &mask); err != nil || serr != nil || mask&hupInt != hupInt {
			t.Errorf("quiet=%v: CMD's %q (%v): SIGHUP and SIGINT are not ignored", quiet, out, err)
		}
	}
	// stderr is a pipe whose reader is gone when the report comes.
	dir := t.TempDir()
	c := sysfence("run", "--", "/bin/sh", "-c", "sleep 0.2; unshare -U true 2>/dev/null; echo finished > "+dir+"/done")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c.Stderr = w
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	r.Close()
	err = c.Wait()
	if b, _ := os.ReadFile(dir + "/done"); string(b) != "finished\n" {
		t.Errorf("CMD did not finish (sysfence: %v)", err)
	}
}

// Where pidfd_getfd is refused (Docker's default profile without
// CAP_SYS_PTRACE), reporting mode still runs: kills are reported, calls
// denied with an errno are not, and a note says so.
func TestRunWithoutPidfdGetfd(t *testing.T) {
	requireRun(t)
	const sysPidfdGetfd = 438
	outer := writeFilter(t, policy.Errno(1), sysPidfdGetfd)
	c := sysfence("run", "--quiet", "--filter", outer, "--", os.Args[0], "-test.run=^TestHelperSysfence$", "--",
		"run", "--", "/bin/sh", "-c", "unshare -U true 2>/dev/null; echo ran")
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	if exitCode(err) != 0 || stdout.String() != "ran\n" ||
		!strings.HasPrefix(stderr.String(), "sysfence: note: calls the filter denies with an errno are not reported here: pidfd_getfd") {
		t.Errorf("exit %d, stdout %q, stderr %q", exitCode(err), stdout.String(), stderr.String())
	}
}

// A signal sent to sysfence's whole process group (a service manager's
// SIGTERM, kill -- -PGID) reaches CMD once in reporting mode, where the
// observer sees it arrive; one sent to sysfence alone is passed on.
func TestRunGroupSignalOnce(t *testing.T) {
	requireRun(t)
	allowAll := writeFilter(t, policy.ActAllow)
	prog := buildC(t, t.TempDir(), "sigcount", false)
	for _, group := range []bool{true, false} {
		t.Run(fmt.Sprintf("group=%v", group), func(t *testing.T) {
			cmd := sysfence("run", "--filter", allowAll, "--", prog)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(out)
			if line, _ := r.ReadString('\n'); line != "ready\n" {
				t.Fatalf("CMD said %q", line)
			}
			target := cmd.Process.Pid
			if group {
				target = -target
			}
			syscall.Kill(target, syscall.SIGTERM)
			line, _ := r.ReadString('\n')
			cmd.Wait()
			if line != "signals received: 1\n" {
				t.Errorf("CMD said %q, want one signal", line)
			}
		})
	}
}
