package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/internal/runctest"
	"github.com/sysfence/sysfence/internal/testenv"
)

// Scenario 1: strict mode. A hello world that enters strict mode itself
// prints its greeting and is killed at its first call outside read,
// write, _exit and sigreturn (returning from main calls exit_group); under
// `sysfence run --strict` any ordinary program dies, and sysfence names
// the call.
func TestScenarioStrict(t *testing.T) {
	requireRun(t)
	self := cprog(t, "strict_hello")
	r := run(t, "", "/bin/sh", "-c", `"$@"; echo "exit status $?"`, "sh", self)
	if r.stdout != "Hello from strict mode\nexit status 137\n" || !strings.Contains(r.stderr, "Killed") {
		t.Errorf("self-imposed strict mode:\n%v", r)
	}

	hello := cprog(t, "hello")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		// A static program's first call is a syscall: brk.
		{"cmd=static-hello", []string{"run", "--strict", "--", hello}, 137, "",
			"sysfence: " + hello + " was killed: brk(NULL) is not allowed (strict mode allows only read, write, _exit and rt_sigreturn)\n"},
		// A dynamically linked one dies earlier: ld.so reads the time stamp
		// counter, which strict mode disables where the machine lets it
		// (elsewhere it dies at ld.so's first syscall, brk, below).
		{"cmd=true", []string{"run", "--strict", "--", "/bin/true"}, 139, "",
			"sysfence: /bin/true was killed: the rdtsc instruction is not allowed (strict mode also disables the time stamp counter)\n"},
		{"cmd=true/quiet", []string{"run", "--strict", "--quiet", "--", "/bin/true"}, 139, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.HasPrefix(tc.name, "cmd=true") && !testenv.StrictTrapsTSC(t) {
				tc.code = 137
				if tc.stderr != "" {
					tc.stderr = "sysfence: /bin/true was killed: brk(NULL) is not allowed (strict mode allows only read, write, _exit and rt_sigreturn)\n"
				}
			}
			r := sysfence(t, tc.args...)
			if r.code != tc.code || r.stdout != tc.stdout || r.stderr != tc.stderr {
				t.Errorf("got %v\nwant exit %d, stdout %q, stderr %q", r, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

// helloNeeds is what the static C hello world calls from its first
// instruction on (glibc 2.36 start-up, stdio, exit), as strace shows it:
// under `sysfence run` the filter is in force from the exec, so start-up
// is part of the allow list (execve is not: it happened before).
var helloNeeds = []string{"brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64",
	"readlink", "readlinkat", "getrandom", "mprotect", "fstat", "newfstatat", "write", "exit_group"}

// Scenario 2 under `sysfence run`: an allow list with a KILL_PROCESS
// default lets the hello world print; the same program opening
// /etc/shadow is killed, and sysfence names openat and the default that
// decided. (The Go API half of the scenario, a program that loads its own
// filter, is TestSelfFilterHello in package sysfence.)
func TestScenarioAllowList(t *testing.T) {
	hello := cprog(t, "hello")
	prof := writeProfile(t, allowList(helloNeeds...), "hello.json")
	r := sysfence(t, "run", "-p", prof, "--", hello)
	if r.code != 0 || r.stdout != "Hello, world!\n" || r.stderr != "" {
		t.Errorf("hello:\n%v", r)
	}
	r = sysfence(t, "run", "-p", prof, "--", hello, "/etc/shadow")
	want := fmt.Sprintf("sysfence: %s was killed: openat(AT_FDCWD, \"/etc/shadow\", O_RDONLY) is not allowed (default action KILL_PROCESS)\n", hello)
	if r.code != 128+31 || r.stdout != "Hello, world!\n" || r.stderr != want {
		t.Errorf("shadow:\n%v\nwant stderr %q", r, want)
	}
	// What a shell shows.
	r = run(t, "", "/bin/sh", "-c", `"$@"; echo "exit status $?"`, "sh", sysfenceBin(t), "run", "--quiet", "-p", prof, "--", hello, "/etc/shadow")
	if r.stdout != "Hello, world!\nexit status 159\n" {
		t.Errorf("through sh:\n%v", r)
	}
}

// writeToStdoutOnly is Docker's default profile with write allowed only
// for file descriptor 1.
func writeToStdoutOnly(t *testing.T) string {
	p := with(without(dockerDefault(t), "write"), []string{"write"}, specs.ActAllow,
		specs.LinuxSeccompArg{Index: 0, Value: 1, Op: specs.OpEqualTo})
	return writeProfile(t, p, "stdout-only.json")
}

// writeNotToStderr is Docker's default profile with write allowed for
// every file descriptor but 2: the form of scenario 3 that runc can run
// (its init writes to its exec fifo after it has loaded the filter).
func writeNotToStderr(t *testing.T) string {
	p := with(without(dockerDefault(t), "write"), []string{"write"}, specs.ActAllow,
		specs.LinuxSeccompArg{Index: 0, Value: 2, Op: specs.OpNotEqual})
	return writeProfile(t, p, "not-stderr.json")
}

// lsMissing writes to stdout, then has ls complain on stderr.
const lsMissing = "echo to stdout; ls /proc/self/nonexistent; echo status $?"

// Scenario 3: an argument rule. With write allowed only to file
// descriptor 1, a command's stdout gets through and its write to stderr
// fails with EPERM (the profile's default action).
func TestScenarioArgumentRule(t *testing.T) {
	outerr := cprog(t, "outerr")
	for _, prof := range []string{writeToStdoutOnly(t), writeNotToStderr(t)} {
		t.Run("profile="+strings.TrimSuffix(prof[strings.LastIndex(prof, "/")+1:], ".json"), func(t *testing.T) {
			r := sysfence(t, "run", "-p", prof, "--", outerr)
			if r.code != 0 || r.stdout != "to stdout\nstderr write: Operation not permitted\n" ||
				!strings.Contains(r.stderr, "write(2, \"to stderr\\n\", 10) was denied: EPERM (default action ERRNO(1))") {
				t.Errorf("C program:\n%v", r)
			}
			// ls writes its complaint to file descriptor 2 (a shell's
			// "echo >&2" would not: it moves stderr to fd 1 first).
			r = sysfence(t, "run", "--quiet", "-p", prof, "--", "/bin/busybox", "sh", "-c", lsMissing)
			if r.code != 0 || r.stdout != "to stdout\nstatus 1\n" || r.messages() != "" {
				t.Errorf("busybox sh:\n%v", r)
			}
		})
	}
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// sendLine connects to 127.0.0.1:port as soon as something listens there
// (or gives up at the deadline) and sends a line.
func sendLine(port int, line string, deadline time.Time) error {
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			defer c.Close()
			_, err = fmt.Fprintln(c, line)
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listened on port %d: %v", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// listenAndReceive runs start(port) — a command that runs `nc -l -p PORT`
// — while a line is sent to the port from outside, and returns the
// command's result. A port taken in between is retried with another.
func listenAndReceive(t *testing.T, start func(port int) result) result {
	const line = "a line from outside"
	for try := 0; ; try++ {
		port := freePort(t)
		sent := make(chan error, 1)
		go func() { sent <- sendLine(port, line, time.Now().Add(20*time.Second)) }()
		r := start(port)
		err := <-sent
		if strings.Contains(r.stderr, "in use") && try < 3 {
			continue
		}
		if err != nil {
			t.Errorf("sending: %v", err)
		}
		return r
	}
}

func dockerDefaultWithoutSockets(t *testing.T) string {
	return writeProfile(t, without(dockerDefault(t), "socket", "bind", "listen"), "no-sockets.json")
}

// Scenario 4: Docker's default without socket, bind and listen: `busybox
// nc -l` fails with "socket: Operation not permitted"; under the
// unmodified default (sysfence run's default profile) it listens and
// receives a line sent from outside.
func TestScenarioSockets(t *testing.T) {
	bin := sysfenceBin(t)
	prof := dockerDefaultWithoutSockets(t)
	r := sysfence(t, "run", "--quiet", "-p", prof, "--", "/bin/busybox", "nc", "-l", "-p", strconv.Itoa(freePort(t)))
	if r.code != 1 || r.stdout != "" || r.messages() != "nc: socket: Operation not permitted\n" {
		t.Errorf("without sockets:\n%v", r)
	}
	r = sysfence(t, "run", "-p", prof, "--", "/bin/busybox", "nc", "-l", "-p", strconv.Itoa(freePort(t)))
	if !strings.Contains(r.stderr, "sysfence: /bin/busybox: socket(AF_INET6, SOCK_STREAM, 0) was denied: EPERM (default action ERRNO(1))\n") {
		t.Errorf("without sockets, the report:\n%v", r)
	}
	r = listenAndReceive(t, func(port int) result {
		return run(t, "", bin, "run", "--", "/bin/busybox", "nc", "-l", "-p", strconv.Itoa(port))
	})
	if r.code != 0 || r.stdout != "a line from outside\n" || r.stderr != "" {
		t.Errorf("Docker's default:\n%v", r)
	}
}

func dockerDefaultWithoutExec(t *testing.T) string {
	return writeProfile(t, without(dockerDefault(t), "execve", "execveat"), "no-exec.json")
}

// Scenario 5: a profile without execve. The command itself starts (its
// one execve happens before the filter is in), and can exec nothing.
func TestScenarioNoExec(t *testing.T) {
	prof := dockerDefaultWithoutExec(t)
	r := sysfence(t, "run", "-p", prof, "--", "/bin/echo", "hi")
	if r.code != 0 || r.stdout != "hi\n" || r.messages() != "" {
		t.Errorf("echo:\n%v", r)
	}
	r = sysfence(t, "run", "-p", prof, "--", "/bin/sh", "-c", "/bin/echo hi")
	if r.code != 126 || r.stdout != "" || !strings.Contains(r.stderr, "/bin/echo: Operation not permitted") ||
		!strings.Contains(r.stderr, `execve("/bin/echo", ["/bin/echo", "hi"], `) {
		t.Errorf("sh -c /bin/echo:\n%v", r)
	}
}

// Scenario 6, the real runtime: scenarios 3 to 5 under runc, with the
// profile resolved as Docker resolves it and placed in config.json's
// linux.seccomp. Where runc and sysfence differ, the difference is the
// point of the test and is asserted as such.
func TestScenarioRunc(t *testing.T) {
	b := runctest.NewT(t, runctest.Config{HostNetwork: true})
	ctx := context.Background()
	runc := func(t *testing.T, prof string, args ...string) *runctest.Result {
		t.Helper()
		res, err := b.Run(ctx, runctest.Run{Args: args, Seccomp: runctest.ResolvedOCI(t, prof)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	t.Run("scenario=3-argument-rule", func(t *testing.T) {
		res := runc(t, writeNotToStderr(t), "sh", "-c", lsMissing)
		if res.ExitCode != 0 || res.Stdout != "to stdout\nstatus 1\n" || res.Stderr != "" {
			t.Errorf("write not to stderr:\n%v", res)
		}
		// The same command under the unmodified default complains.
		res = runc(t, writeProfile(t, dockerDefault(t), "default.json"), "sh", "-c", lsMissing)
		if res.ExitCode != 0 || res.Stdout != "to stdout\nstatus 1\n" || res.Stderr != "ls: /proc/self/nonexistent: No such file or directory\n" {
			t.Errorf("Docker's default:\n%v", res)
		}
		// Write only to stdout: runc's init itself writes to its exec fifo
		// after loading the filter, so it cannot start the container
		// (sysfence loads the filter at the command's exec and can).
		res = runc(t, writeToStdoutOnly(t), "sh", "-c", "echo to stdout")
		if res.ExitCode != 1 || res.Stdout != "" || !strings.Contains(res.RuncLog, "cannot start an already running container") {
			t.Errorf("write only to stdout: runc started the container:\n%v", res)
		}
		t.Logf("runc with write only to fd 1: exit %d, %s", res.ExitCode, strings.TrimSpace(res.RuncLog))
	})
	t.Run("scenario=4-sockets", func(t *testing.T) {
		res := runc(t, dockerDefaultWithoutSockets(t), "nc", "-l", "-p", strconv.Itoa(freePort(t)))
		if res.ExitCode != 1 || res.Stdout != "" || res.Stderr != "nc: socket: Operation not permitted\n" {
			t.Errorf("without sockets:\n%v", res)
		}
		def := writeProfile(t, dockerDefault(t), "default.json")
		var res2 *runctest.Result
		r := listenAndReceive(t, func(port int) result {
			res2 = runc(t, def, "nc", "-l", "-p", strconv.Itoa(port))
			return result{stdout: res2.Stdout, stderr: res2.Stderr, code: res2.ExitCode}
		})
		if r.code != 0 || r.stdout != "a line from outside\n" || r.stderr != "" {
			t.Errorf("Docker's default:\n%v", res2)
		}
	})
	t.Run("scenario=5-no-exec", func(t *testing.T) {
		// runc execs the container's command after loading the filter: a
		// profile without execve cannot start any container under runc.
		res := runc(t, dockerDefaultWithoutExec(t), "echo", "hi")
		if res.ExitCode != 1 || res.Stdout != "" || res.Stderr != "exec /bin/echo: operation not permitted\n" {
			t.Errorf("runc started a container whose profile forbids execve:\n%v", res)
		}
		t.Logf("runc without execve: %v", res)
	})
}

// TestNoSeccompKernel: on a kernel without seccomp filters (played by a
// filter that makes seccomp(2) and prctl's seccomp options fail as they
// do there), `sysfence run` says so in one sentence and runs nothing.
func TestNoSeccompKernel(t *testing.T) {
	bin := sysfenceBin(t)
	for _, tc := range []struct {
		name, mode string
		args       []string
		want       string
	}{
		{"kernel=no-filter-support", "einval", []string{"run", "--", "/bin/echo", "ran"},
			"sysfence: seccomp: the kernel was built without seccomp filter support (CONFIG_SECCOMP_FILTER): not supported\n"},
		{"kernel=no-seccomp-syscall", "enosys", []string{"run", "--", "/bin/echo", "ran"},
			"sysfence: seccomp: the kernel has no seccomp(2) system call (Linux 3.17 or later is needed): not supported\n"},
		{"kernel=no-seccomp/strict", "einval", []string{"run", "--strict", "--", "/bin/echo", "ran"},
			"sysfence: seccomp: kernel built without CONFIG_SECCOMP: not supported\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--", bin}, tc.args...)...)
			cmd.Env = append(os.Environ(), fakeKernelEnv+"="+tc.mode)
			var o, e bytes.Buffer
			cmd.Stdout, cmd.Stderr = &o, &e
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != 2 || o.String() != "" || e.String() != tc.want {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, stderr %q", code, o.String(), e.String(), tc.want)
			}
		})
	}
}

// On a kernel without user notification (before 5.0), reporting mode runs
// and reports kills, and says that calls denied with an errno go
// unreported.
func TestNoNotifyKernel(t *testing.T) {
	bin := sysfenceBin(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$", "--", bin, "run", "--", "/bin/sh", "-c", "unshare -U true 2>/dev/null; echo ran")
	cmd.Env = append(os.Environ(), fakeKernelEnv+"=nonotify")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	want := "sysfence: note: calls the filter denies with an errno are not reported: seccomp: the kernel has no user notification (Linux 5.0 or later is needed): not supported\n"
	if err != nil || o.String() != "ran\n" || e.String() != want {
		t.Errorf("%v, stdout %q, stderr %q; want stderr %q", err, o.String(), e.String(), want)
	}
}
