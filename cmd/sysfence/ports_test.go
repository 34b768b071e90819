//go:build linux

package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/internal/testenv"
)

// Port rules through `sysfence run` (Landlock ABI 4), with busybox nc as
// the client and server, and a Go listener for MPTCP.

// freePort returns a TCP port nothing listens on: want if it is free
// (the 4000 and 4001), else one the kernel picks.
func freePort(t testing.TB, want int) int {
	t.Helper()
	if want != 0 {
		if l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(want)); err == nil {
			l.Close()
			return want
		}
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func busybox(t *testing.T) string {
	return testenv.LookPath(t, "busybox", "busybox-static")
}

// --allow-bind 4000: `busybox nc -l -p 4000` listens and gets what a
// client sends; port 4001 is refused.
func TestRunAllowBind(t *testing.T) {
	requireRun(t)
	requireLandlock(t, 4)
	bb := busybox(t)
	allowed, refused := freePort(t, 4000), freePort(t, 4001)
	for refused == allowed {
		refused = freePort(t, 0)
	}
	a := strconv.Itoa(allowed)

	cmd := sysfence("run", "--allow-bind", a, "--", bb, "nc", "-l", "-p", a)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var conn net.Conn
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if conn, err = net.Dial("tcp4", "127.0.0.1:"+a); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nc never listened on %s: %v (stderr %q)", a, err, stderr.String())
		}
	}
	fmt.Fprintln(conn, "through port", a)
	conn.Close()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "through port "+a+"\n" {
		t.Errorf("nc printed %q", line)
	}
	cmd.Wait()

	code, _, errOut := runOut(t, "run", "--allow-bind", a, "--", bb, "nc", "-l", "-p", strconv.Itoa(refused))
	if code == 0 || !strings.Contains(errOut, "Permission denied") {
		t.Errorf("nc -l -p %d under --allow-bind %s: exit %d, stderr %q; want a permission error", refused, a, code, errOut)
	}
}

// --allow-connect: `busybox nc HOST PORT` reaches a listener on the
// allowed port; another listener's port is refused (and never accepts).
func TestRunAllowConnect(t *testing.T) {
	requireRun(t)
	requireLandlock(t, 4)
	bb := busybox(t)
	listen := func() (net.Listener, string) {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l, strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	}
	ok, okPort := listen()
	other, otherPort := listen()
	got := make(chan string, 1)
	go func() {
		c, err := ok.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		line, _ := bufio.NewReader(c).ReadString('\n')
		c.Close()
		got <- line
	}()
	accepted := make(chan bool, 1)
	go func() {
		c, err := other.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err == nil
	}()

	cmd := sysfence("run", "--allow-connect", okPort, "--", bb, "nc", "127.0.0.1", okPort)
	cmd.Stdin = strings.NewReader("hello\n")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("nc to the allowed port: %v: %s", err, b)
	}
	select {
	case line := <-got:
		if line != "hello\n" {
			t.Errorf("listener got %q", line)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the listener got nothing")
	}

	cmd = sysfence("run", "--allow-connect", okPort, "--", bb, "nc", "127.0.0.1", otherPort)
	cmd.Stdin = strings.NewReader("hello\n")
	b, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(b), "Permission denied") {
		t.Errorf("nc to port %s under --allow-connect %s: %v: %s; want a permission error", otherPort, okPort, err, b)
	}
	select {
	case <-accepted:
		t.Error("the other listener accepted a connection")
	case <-time.After(100 * time.Millisecond):
	}
}

// TestHelperListen is the Go program of TestRunMPTCP: net.Listen on the
// port SYSFENCE_LISTEN names, reporting the socket's protocol (Go listens
// with MPTCP by default since 1.24, where the kernel has it), or, with
// port "mptcp", an explicit MPTCP socket's errno.
func TestHelperListen(t *testing.T) {
	port := os.Getenv("SYSFENCE_LISTEN")
	if port == "" {
		return
	}
	if port == "mptcp" {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_MPTCP)
		if err != nil {
			fmt.Println("socket:", unix.ErrnoName(err.(syscall.Errno)))
		} else {
			unix.Close(fd)
			fmt.Println("socket: ok")
		}
		os.Exit(0)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(0)
	}
	raw, _ := l.(*net.TCPListener).SyscallConn()
	proto := -1
	raw.Control(func(fd uintptr) { proto, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PROTOCOL) })
	fmt.Printf("listening proto=%d\n", proto)
	os.Exit(0)
}

// Port rules make MPTCP sockets fail with EPROTONOSUPPORT (Landlock's
// rules cover TCP only, and an MPTCP listener binds any port): a Go
// listener, MPTCP by default, falls back to TCP, listens on the allowed
// port, and is refused the others.
func TestRunMPTCP(t *testing.T) {
	requireRun(t)
	requireLandlock(t, 4)
	allowed, refused := freePort(t, 0), freePort(t, 0)
	for refused == allowed {
		refused = freePort(t, 0)
	}
	listen := func(rules []string, port string) string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperListen$")
		cmd.Env = append(os.Environ(), "SYSFENCE_LISTEN="+port)
		args := append(append([]string{"run"}, rules...), append([]string{"--"}, cmd.Args...)...)
		sf := sysfence(args...)
		sf.Env = append(sf.Env, "SYSFENCE_LISTEN="+port)
		b, err := sf.Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return strings.TrimSpace(string(b))
	}
	rules := []string{"--allow-bind", strconv.Itoa(allowed)}
	if got := listen(rules, strconv.Itoa(allowed)); got != fmt.Sprintf("listening proto=%d", unix.IPPROTO_TCP) {
		t.Errorf("Go listener on the allowed port: %q, want a TCP listener", got)
	}
	if got := listen(rules, strconv.Itoa(refused)); !strings.Contains(got, "permission denied") {
		t.Errorf("Go listener on another port: %q, want permission denied", got)
	}
	if got := listen(rules, "mptcp"); got != "socket: EPROTONOSUPPORT" {
		t.Errorf("explicit MPTCP socket: %q", got)
	}
	// Without port rules, Go's listener is MPTCP where the kernel has it:
	// what the rule above keeps from bypassing Landlock.
	t.Logf("without port rules: %s", listen(nil, strconv.Itoa(refused)))
}

// Port rules hold whatever the profile allows. io_uring's operations
// never pass through the seccomp filter: IORING_OP_SOCKET makes the MPTCP
// socket that socket(2) is refused (and Landlock's TCP rules do not
// cover), which then binds and connects anywhere. The probe first shows
// the attack working against what sysfence did before (Landlock and the
// MPTCP socket rule, which the probe sets up itself: the test can fail);
// under sysfence io_uring_setup fails with ENOSYS.
func TestRunPortsIOURing(t *testing.T) {
	requireRun(t)
	requireLandlock(t, 4)
	dir := t.TempDir()
	probe := filepath.Join(dir, "uringnet")
	testenv.BuildC(t, filepath.Join("testdata", "uringnet.c"), probe, false)
	allowAll := filepath.Join(dir, "all.json")
	os.WriteFile(allowAll, []byte(`{"defaultAction": "SCMP_ACT_ALLOW"}`), 0o644)
	allowed := freePort(t, 4000)
	bindPort := freePort(t, 4001)
	// The connection target: a TCP listener outside the sandbox.
	target, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	connPort := target.Addr().(*net.TCPAddr).Port
	accepted := make(chan bool, 4)
	go func() {
		for {
			c, err := target.Accept()
			if err != nil {
				return
			}
			c.Close()
			accepted <- true
		}
	}()
	ports := []string{strconv.Itoa(bindPort), strconv.Itoa(connPort)}

	b, err := exec.Command(probe, append([]string{"self", strconv.Itoa(allowed)}, ports...)...).CombinedOutput()
	control := string(b)
	switch {
	case err == nil && (strings.Contains(control, "\nio_uring err ") || strings.Contains(control, "\nuring-socket err ")):
		// kernel.io_uring_disabled, net.mptcp.enabled=0, or a kernel
		// without either.
		t.Logf("io_uring or MPTCP is not available here (%q): the attack is not exercised", control)
	case err != nil || control != "socket-mptcp err EPROTONOSUPPORT\nuring-socket ok\nbind ok\nlisten ok\nconnect ok\n":
		t.Fatalf("under Landlock and the MPTCP socket rule alone, the attack did not work (%v):\n%s", err, control)
	default:
		select {
		case <-accepted:
		case <-time.After(5 * time.Second):
			t.Fatal("the attack's connection never arrived")
		}
	}

	a := strconv.Itoa(allowed)
	code, stdout, stderr := runOut(t, append([]string{"run", "-q", "-p", allowAll, "--allow-bind", a, "--allow-connect", a, "--", probe}, ports...)...)
	if code != 0 || stdout != "socket-mptcp err EPROTONOSUPPORT\nio_uring err ENOSYS\n" {
		t.Errorf("under sysfence: exit %d, stdout %q, stderr %q; want io_uring refused", code, stdout, stderr)
	}
	select {
	case <-accepted:
		t.Error("a connection reached the port the rules do not allow")
	case <-time.After(100 * time.Millisecond):
	}
}

// listenProbe runs sandbox/testdata/listenprobe under sysfence with args
// and, when it listens, connects to the port it prints (as any process
// outside could). It returns what the probe printed.
func listenProbe(t *testing.T, probe string, sysfenceArgs []string, args ...string) string {
	t.Helper()
	cmd := sysfence(append(append(sysfenceArgs, "--", probe), args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	r := bufio.NewReader(out)
	var lines strings.Builder
	line, _ := r.ReadString('\n')
	lines.WriteString(line)
	if port, ok := strings.CutPrefix(strings.TrimSpace(line), "listen ok "); ok {
		if c, err := net.DialTimeout("tcp4", "127.0.0.1:"+port, 2*time.Second); err == nil {
			c.Close()
		}
		rest, _ := r.ReadString('\n')
		lines.WriteString(rest)
	}
	cmd.Wait()
	t.Logf("%v: %q, stderr %q", args, lines.String(), stderr.String())
	return lines.String()
}

// Landlock checks the port at bind(2), not the kernel's autobind in
// listen(2): a socket listened on without bind would get a random port
// and accept connections from outside, past --allow-bind. With port
// rules sysfence's supervisor checks every listen (in quiet mode too):
// a TCP socket must be bound (to a port Landlock allowed); an unbound
// one fails with EACCES, as a refused bind does.
func TestRunListenWithoutBind(t *testing.T) {
	requireRun(t)
	requireLandlock(t, 4)
	dir := t.TempDir()
	probe := filepath.Join(dir, "listenprobe")
	testenv.BuildC(t, filepath.Join("..", "..", "sandbox", "testdata", "listenprobe.c"), probe, false)
	allowed := freePort(t, 4000)
	a := strconv.Itoa(allowed)
	for _, mode := range []struct {
		name  string
		flags []string
	}{{"report", nil}, {"quiet", []string{"-q"}}} {
		rules := append(append([]string{"run"}, mode.flags...), "--allow-bind", a)
		t.Run("mode="+mode.name+"/socket=unbound", func(t *testing.T) {
			if got := listenProbe(t, probe, rules, "unbound"); got != "listen err EACCES\n" {
				t.Errorf("listen without bind: %q, want EACCES", got)
			}
		})
		t.Run("mode="+mode.name+"/socket=bound", func(t *testing.T) {
			if got := listenProbe(t, probe, rules, "bound", a); got != "listen ok "+a+"\naccepted\n" {
				t.Errorf("listen on the allowed port: %q", got)
			}
		})
	}
	// The i386 calls (int $0x80 from this x86_64 program): listen, and
	// socketcall's SYS_LISTEN with its arguments in memory. The profile
	// must allow the i386 ABI for the probe to get that far.
	if testenv.Int80Works(t) {
		prof := filepath.Join(dir, "all3.json")
		os.WriteFile(prof, []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]}`), 0o644)
		for _, call := range []string{"listen", "socketcall"} {
			t.Run("abi=i386/call="+call, func(t *testing.T) {
				rules := []string{"run", "-q", "-p", prof, "--allow-bind", a}
				if got := listenProbe(t, probe, rules, "int80", call, "unbound"); got != "listen err EACCES\n" {
					t.Errorf("listen without bind: %q, want EACCES", got)
				}
				if got := listenProbe(t, probe, rules, "int80", call, a); got != "listen ok "+a+"\naccepted\n" {
					t.Errorf("listen on the allowed port: %q", got)
				}
			})
		}
	}
	// Without port rules listen is the kernel's alone.
	if got := listenProbe(t, probe, []string{"run", "-q"}, "unbound"); !strings.HasSuffix(got, "accepted\n") {
		t.Errorf("without port rules: %q", got)
	}
	// Another thread changing what the descriptor number names while
	// listen waits for the supervisor never gets an unbound socket to
	// listen: the supervisor checks and listens on the socket it took.
	code, stdout, stderr := runOut(t, "run", "-q", "--allow-bind", a, "--", probe, "race", a, "2")
	var listens, bad int
	if _, err := fmt.Sscanf(stdout, "listens %d bad %d", &listens, &bad); err != nil || code != 0 || listens == 0 || bad != 0 {
		t.Errorf("race: exit %d, stdout %q, stderr %q; want listens and none on an unbound socket", code, stdout, stderr)
	}
	t.Logf("race: %s", strings.TrimSpace(stdout))
}
