package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/policy"
)

// Every filter in these tests is installed in a child process by Run (or
// by a C program itself); the test process only ever sets no_new_privs on
// Run's own short-lived tracer thread.

const eperm = 1

// staticStartup is what a statically linked glibc program does before
// main when the filter is in force from its first instruction.
var staticStartup = []string{"brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq",
	"prlimit64", "readlink", "getrandom", "mprotect"}

// helloNeeds is what a C hello world needs once it runs: stdio's fstat of
// stdout, the write, and the exit.
var helloNeeds = []string{"newfstatat", "fstat", "write", "exit_group"}

// modes runs a subtest in reporting and in quiet mode.
func modes(t *testing.T, f func(t *testing.T, report bool)) {
	for _, report := range []bool{true, false} {
		name := "mode=report"
		if !report {
			name = "mode=quiet"
		}
		t.Run(name, func(t *testing.T) { f(t, report) })
	}
}

// Scenario 1: a hello world that enables strict mode itself is killed
// (SIGKILL) at its first other syscall.
func TestStrictModeSelf(t *testing.T) {
	requireSandbox(t)
	bin := cprog(t, "strict_self", false)
	out, err := exec.Command(bin).Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("strict_self: %v (output %q)", err, out)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("strict_self ended with %v, want SIGKILL", ee)
	}
	if string(out) != "hello\nin strict mode\n" {
		t.Errorf("strict_self printed %q", out)
	}
}

// Scenario 1 under sysfence: strict mode from the command's first
// instruction; the report names what killed it.
func TestRunStrict(t *testing.T) {
	requireSandbox(t)
	hello := cprog(t, "hello", true)
	modes(t, func(t *testing.T, report bool) {
		// A static program's first syscall is brk.
		o := runCmd(t, Options{Strict: true}, report, hello)
		o.wantExit(t, 128+9, syscall.SIGKILL)
		if o.stdout != "" {
			t.Errorf("printed %q under strict mode", o.stdout)
		}
		if report {
			o.wantEvents(t, hello+" was killed: brk(NULL) is not allowed (strict mode allows only read, write, _exit and rt_sigreturn)")
		} else {
			o.wantEvents(t)
		}
		// A dynamic one dies earlier where strict mode's disabling of the
		// time stamp counter holds: its loader reads the counter before
		// its first syscall (SIGSEGV). Elsewhere it dies at that syscall,
		// brk, as the static one does.
		o = runCmd(t, Options{Strict: true}, report, "/bin/true")
		if testenv.StrictTrapsTSC(t) {
			o.wantExit(t, 128+11, syscall.SIGSEGV)
			if report {
				o.wantEvents(t, "/bin/true was killed: the rdtsc instruction is not allowed (strict mode also disables the time stamp counter)")
			}
		} else {
			o.wantExit(t, 128+9, syscall.SIGKILL)
			if report {
				o.wantEvents(t, "/bin/true was killed: brk(NULL) is not allowed (strict mode allows only read, write, _exit and rt_sigreturn)")
			}
		}
		if !report {
			o.wantEvents(t)
		}
	})
}

// Scenario 2: a program that loads its own allow-list filter after its
// set-up needs only write, exit_group and fstat/newfstatat; opening
// /etc/shadow then kills it with SIGSYS.
func TestSelfFilterHello(t *testing.T) {
	requireSandbox(t)
	bin := cprog(t, "self_filter", false)
	prog, _ := filter(t, policy.ActKillProcess, allow(helloNeeds...)...)
	path := filepath.Join(t.TempDir(), "hello.bpf")
	if err := os.WriteFile(path, prog.Encode(nativeOrder()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, path).Output()
	if err != nil || string(out) != "Hello, world!\n" {
		t.Fatalf("self_filter: %v, printed %q", err, out)
	}
	out, err = exec.Command(bin, path, "shadow").Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGSYS {
		t.Fatalf("self_filter shadow: %v, want death by SIGSYS", err)
	}
	if string(out) != "Hello, world!\n" {
		t.Errorf("self_filter shadow printed %q", out)
	}
}

// Scenario 2 under sysfence: the filter is in force from the first
// instruction, so it also allows the C library's start-up; the report
// names openat with its path and the profile's default.
func TestRunHello(t *testing.T) {
	requireSandbox(t)
	hello := cprog(t, "hello", true)
	prog, pol := filter(t, policy.ActKillProcess, allow(append(staticStartup, helloNeeds...)...)...)
	opts := Options{Filter: prog, Explain: PolicyExplainer(pol)}
	modes(t, func(t *testing.T, report bool) {
		o := runCmd(t, opts, report, hello)
		o.wantExit(t, 0, 0)
		if o.stdout != "Hello, world!\n" {
			t.Errorf("printed %q", o.stdout)
		}
		o.wantEvents(t)

		o = runCmd(t, opts, report, hello, "shadow")
		o.wantExit(t, 128+31, syscall.SIGSYS)
		if o.stdout != "Hello, world!\n" {
			t.Errorf("printed %q", o.stdout)
		}
		if report {
			o.wantEvents(t, hello+` was killed: openat(AT_FDCWD, "/etc/shadow", O_RDONLY) is not allowed (default action KILL_PROCESS)`)
		} else {
			o.wantEvents(t)
		}
	})
}

// Scenario 3: write is allowed only to fd 1; the stderr write fails with
// EPERM, which the report names with the rule that decided it.
func TestRunArgumentRule(t *testing.T) {
	requireSandbox(t)
	bin := cprog(t, "outerr", true)
	rules := allow(append(staticStartup, "newfstatat", "exit_group")...)
	rules = append(rules, rule{name: "write", action: policy.ActAllow, arg0: u64(1), other: policy.Errno(eperm)})
	prog, pol := filter(t, policy.ActKillProcess, rules...)
	modes(t, func(t *testing.T, report bool) {
		o := runCmd(t, Options{Filter: prog, Explain: PolicyExplainer(pol)}, report, bin)
		o.wantExit(t, 0, 0)
		if want := "to stdout\nstderr write failed: EPERM\n"; o.stdout != want {
			t.Errorf("stdout %q, want %q", o.stdout, want)
		}
		if o.stderr != "" {
			t.Errorf("stderr got %q through", o.stderr)
		}
		if report {
			o.wantEvents(t, bin+`: write(2, "to stderr\n", 10) was denied: EPERM (syscalls[11]: write: ERRNO(1) if args[0] != 0x1)`)
		}
	})
}

// Scenario 5: without execve in the filter, the command's own exec
// happens exactly once and the command cannot exec anything.
func TestRunExecOnce(t *testing.T) {
	requireSandbox(t)
	for _, deny := range []policy.Action{policy.Errno(eperm), policy.ActKillProcess} {
		prog, pol := filter(t, policy.ActAllow, rule{name: "execve", action: deny}, rule{name: "execveat", action: deny})
		opts := Options{Filter: prog, Explain: PolicyExplainer(pol)}
		t.Run("deny="+deny.String(), func(t *testing.T) {
			modes(t, func(t *testing.T, report bool) {
				o := runCmd(t, opts, report, "/bin/echo", "hi")
				o.wantExit(t, 0, 0)
				if o.stdout != "hi\n" {
					t.Errorf("echo printed %q", o.stdout)
				}
				o.wantEvents(t)

				o = runCmd(t, opts, report, "/bin/sh", "-c", "/bin/echo not printed")
				if o.stdout != "" {
					t.Errorf("the shell could exec echo: %q", o.stdout)
				}
				if deny.IsKill() {
					// The shell forks for the command and reports its child's death.
					o.wantExit(t, 128+31, 0)
				} else {
					o.wantExit(t, 126, 0)
					if !strings.Contains(o.stderr, "Operation not permitted") {
						t.Errorf("the shell said %q", o.stderr)
					}
				}
				if !report {
					o.wantEvents(t)
					return
				}
				call := `execve("/bin/echo", ["/bin/echo", "not", "printed"], `
				if len(o.events) != 1 || !strings.HasPrefix(o.events[0], "/bin/sh") || !strings.Contains(o.events[0], call) ||
					!strings.HasSuffix(o.events[0], "(syscalls[0]: execve: "+deny.String()+")") {
					t.Errorf("events %q, want one naming %s", o.events, call)
				}
			})
		})
	}
}

// A descendant's death is reported with the descendant's name.
func TestRunReportsDescendants(t *testing.T) {
	requireSandbox(t)
	prog, pol := filter(t, policy.ActAllow, rule{name: "uname", action: policy.ActKillProcess})
	o := runCmd(t, Options{Filter: prog, Explain: PolicyExplainer(pol)}, true,
		"/bin/sh", "-c", "uname; echo after $?")
	o.wantExit(t, 0, 0)
	if o.stdout != "after 159\n" {
		t.Errorf("stdout %q", o.stdout)
	}
	if len(o.events) != 1 || !strings.HasPrefix(o.events[0], "uname was killed: uname(0x") ||
		!strings.HasSuffix(o.events[0], ") is not allowed (syscalls[0]: uname: KILL_PROCESS)") {
		t.Errorf("events %q", o.events)
	}
}

// When the filter denies close, sysfence still closes the listener it
// leaves in the command (through the guard); the command never holds it.
func TestRunListenerNotLeaked(t *testing.T) {
	requireSandbox(t)
	bin := cprog(t, "fds", true)
	for _, closeAction := range []policy.Action{policy.ActAllow, policy.Errno(9), policy.ActKillProcess} {
		t.Run("close="+closeAction.String(), func(t *testing.T) {
			prog, _ := filter(t, policy.ActAllow, rule{name: "close", action: closeAction}, rule{name: "getppid", action: policy.Errno(eperm)})
			o := runCmd(t, Options{Filter: prog}, true, bin)
			o.wantExit(t, 0, 0)
			if strings.Contains(o.stdout, "seccomp") || !strings.HasSuffix(o.stdout, "done\n") {
				t.Errorf("the command holds the listener or failed:\n%s", o.stdout)
			}
		})
	}
}

// TRAP that the command does not handle kills it with SIGSYS; reported.
func TestRunTrap(t *testing.T) {
	requireSandbox(t)
	prog, _ := filter(t, policy.ActAllow, rule{name: "getppid", action: policy.ActTrap})
	o := runCmd(t, Options{Filter: prog}, true, "/bin/sh", "-c", "echo $PPID")
	o.wantExit(t, 128+31, syscall.SIGSYS)
	o.wantEvents(t, "/bin/sh was killed: getppid() is not allowed (the filter returns TRAP)")

	// A TRAP is confirmed against the filter's answer, data included
	// (the siginfo's si_errno).
	prog, _ = filter(t, policy.ActAllow, rule{name: "getppid", action: policy.ActTrap | 42})
	o = runCmd(t, Options{Filter: prog}, true, "/bin/sh", "-c", "echo $PPID")
	o.wantExit(t, 128+31, syscall.SIGSYS)
	o.wantEvents(t, "/bin/sh was killed: getppid() is not allowed (the filter returns TRAP)")
}

// An i386 syscall from a 64-bit program (int $0x80) carries the i386
// AUDIT_ARCH: a filter for x86_64 alone answers it with its bad-arch
// action, and the report names the i386 call, marked as one ("x86
// getpid"), not the x86_64 call with the same number. Where int $0x80
// faults, the call never reaches the filter: the program dies of SIGSEGV
// and nothing is reported as the filter's doing.
func TestRunReportsInt80(t *testing.T) {
	requireSandbox(t)
	bin := cprog(t, "int80", true)
	prog, pol := filter(t, policy.ActAllow)
	o := runCmd(t, Options{Filter: prog, Explain: PolicyExplainer(pol)}, true, bin)
	if o.stdout != "before\n" {
		t.Errorf("stdout %q", o.stdout)
	}
	if testenv.Int80Works(t) {
		o.wantExit(t, 128+31, syscall.SIGSYS)
		o.wantEvents(t, bin+" was killed: x86 getpid() is not allowed (architecture not in the filter (bad-arch action KILL_PROCESS))")
	} else {
		o.wantExit(t, 128+11, syscall.SIGSEGV)
		o.wantEvents(t)
	}
}

// Exit statuses pass through as a shell reports them.
func TestRunExitStatus(t *testing.T) {
	requireSandbox(t)
	prog, _ := filter(t, policy.ActAllow)
	for _, tc := range []struct {
		script string
		code   int
		sig    syscall.Signal
	}{
		{"exit 0", 0, 0},
		{"exit 3", 3, 0},
		{"kill -TERM $$", 128 + 15, syscall.SIGTERM},
		{"kill -USR1 $$", 128 + 10, syscall.SIGUSR1},
	} {
		t.Run("script="+tc.script, func(t *testing.T) {
			modes(t, func(t *testing.T, report bool) {
				o := runCmd(t, Options{Filter: prog}, report, "/bin/sh", "-c", tc.script)
				o.wantExit(t, tc.code, tc.sig)
			})
		})
	}
}

// Missing and non-executable commands are classified before anything
// runs: 127 and 126.
func TestRunExecErrors(t *testing.T) {
	requireSandbox(t)
	prog, _ := filter(t, policy.ActAllow)
	dir := t.TempDir()
	noexec := filepath.Join(dir, "noexec")
	os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644)
	badInterp := filepath.Join(dir, "badinterp")
	os.WriteFile(badInterp, []byte("#!/nonexistent/interpreter\n"), 0o755)
	for _, tc := range []struct {
		path string
		kind error
	}{
		{"/nonexistent/cmd", ErrNotFound},
		{"no-such-command-anywhere", ErrNotFound},
		{noexec, ErrNotExecutable},
		{dir, ErrNotExecutable},
		{badInterp, ErrNotFound}, // execve itself fails with ENOENT
	} {
		t.Run("path="+filepath.Base(tc.path), func(t *testing.T) {
			_, err := Run(&Command{Path: tc.path}, &Options{Filter: prog})
			var ee *ExecError
			if !errors.As(err, &ee) || !errors.Is(err, tc.kind) {
				t.Fatalf("Run: %v, want %v", err, tc.kind)
			}
			want := 127
			if tc.kind == ErrNotExecutable {
				want = 126
			}
			if ee.ExitCode() != want {
				t.Errorf("exit code %d, want %d", ee.ExitCode(), want)
			}
		})
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	if _, err := Run(&Command{Path: "/bin/true"}, &Options{}); err == nil {
		t.Error("neither filter nor strict: accepted")
	}
	if _, err := Run(&Command{Path: "/bin/true"}, &Options{Strict: true, Filter: bpf.Program{bpf.Ret(0)}}); err == nil {
		t.Error("both filter and strict: accepted")
	}
}

// A Go program under reporting mode: its runtime's preemption signals
// (SIGURG) pass through the tracer, and the calls the filter denies with
// an errno are answered exactly, from several threads at once.
func TestRunGoCommand(t *testing.T) {
	requireSandbox(t)
	prog, _ := filter(t, policy.ActAllow, rule{name: "getppid", action: policy.Errno(eperm)})
	var events []string
	stdout := tempFile(t)
	res, err := Run(&Command{Path: os.Args[0], Args: []string{os.Args[0], "-test.run=^$"},
		Env: append(os.Environ(), childEnv+"=getppid"), Stdout: stdout},
		&Options{Filter: prog, Report: func(e Event) { events = append(events, e.String()) }})
	if err != nil {
		t.Fatal(err)
	}
	out := readBack(t, stdout)
	if res.ExitCode != 0 || out != "getppid: 8000 x operation not permitted\n" {
		t.Errorf("exit %d, output %q", res.ExitCode, out)
	}
	if len(events) != 2 || !strings.Contains(events[0], "getppid() was denied: EPERM") ||
		events[1] != "note: also denied, not reported again: getppid 7999 more (EPERM)" {
		t.Errorf("events %q", events)
	}
}

const childEnv = "SYSFENCE_SANDBOX_TEST_CHILD"

func runChild(name string) {
	switch name {
	case "getppid":
		// 8 goroutines x 1000 denied calls, with preemption going on.
		results := make(chan string, 8)
		for range 8 {
			go func() {
				var last string
				for range 1000 {
					_, _, e := syscall.Syscall(syscall.SYS_GETPPID, 0, 0, 0)
					last = e.Error()
				}
				results <- last
			}()
		}
		seen := map[string]int{}
		for range 8 {
			seen[<-results]++
		}
		for k, v := range seen {
			fmt.Printf("getppid: %d x %s\n", v*1000, k)
		}
		os.Exit(0)
	}
	fmt.Fprintln(os.Stderr, "unknown child", name)
	os.Exit(3)
}

// A KILL_THREAD answer to a thread while others live: the kernel ends the
// thread without rolling its registers back, and the report still names
// the call.
func TestRunReportsThreadKill(t *testing.T) {
	requireSandbox(t)
	prog, pol := filter(t, policy.ActAllow, rule{name: "getppid", action: policy.ActKillThread})
	o := runCmd(t, Options{Filter: prog, Explain: PolicyExplainer(pol)}, true, cprog(t, "thread_kill", false))
	o.wantExit(t, 0, 0)
	if o.stdout != "main done\n" || len(o.events) != 1 || !strings.Contains(o.events[0], "getppid() is not allowed (") {
		t.Errorf("stdout %q, events %q", o.stdout, o.events)
	}
}

// A KILL_THREAD that ends one thread of several is said to end that
// thread, not the process, which goes on; the thread's death does not
// hide a later kill of the process; KILL_THREAD of the last thread ends
// the process and is reported so.
func TestRunReportsThreadKillWording(t *testing.T) {
	requireSandbox(t)
	bin := cprog(t, "thread_kill", false)
	prog, pol := filter(t, policy.ActAllow, rule{name: "getppid", action: policy.ActKillThread}, rule{name: "uname", action: policy.ActKillProcess})
	threadDied := regexp.MustCompile(`^` + regexp.QuoteMeta(bin) + `: thread ([0-9]+) was killed \(the process goes on\): getppid\(\) is not allowed \(syscalls\[0\]: getppid: KILL\)$`)

	o := runCmd(t, Options{Filter: prog, Explain: PolicyExplainer(pol)}, true, bin)
	o.wantExit(t, 0, 0)
	if o.stdout != "main done\n" || len(o.events) != 1 || !threadDied.MatchString(o.events[0]) {
		t.Errorf("one thread killed: stdout %q, events %q", o.stdout, o.events)
	} else if tid := threadDied.FindStringSubmatch(o.events[0])[1]; tid == strconv.Itoa(o.res.Pid) {
		t.Errorf("the killed thread %s is the main thread", tid)
	}

	o = runCmd(t, Options{Filter: prog, Explain: PolicyExplainer(pol)}, true, bin, "uname")
	o.wantExit(t, 128+31, syscall.SIGSYS)
	if len(o.events) != 2 || !threadDied.MatchString(o.events[0]) ||
		o.events[1] != bin+" was killed: uname(NULL) is not allowed (syscalls[1]: uname: KILL_PROCESS)" {
		t.Errorf("a thread, then the process killed: stdout %q, events %q", o.stdout, o.events)
	}

	o = runCmd(t, Options{Filter: prog, Explain: PolicyExplainer(pol)}, true, bin, "alone")
	o.wantExit(t, 128+31, syscall.SIGSYS)
	o.wantEvents(t, bin+" was killed: getppid() is not allowed (syscalls[0]: getppid: KILL)")
}
