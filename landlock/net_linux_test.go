//go:build linux

package landlock

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sysfence/sysfence/internal/testenv"
)

// portPair returns two loopback TCP ports: 4000 and 4001 as in the issue
// when 4000 is free, else a free pair (other helpers share this machine).
func portPair(t *testing.T) (allowed, other int) {
	if l, err := net.Listen("tcp4", "127.0.0.1:4000"); err == nil {
		l.Close()
		return 4000, 4001
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := l.Addr().(*net.TCPAddr).Port
	t.Logf("port 4000 busy, using %d and %d", p, p+1)
	return p, p + 1
}

// listen opens a loopback listener the sandboxed child may connect to,
// accepting connections until the test ends.
func listen(t *testing.T) (int, <-chan string) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	lines := make(chan string, 8)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if s, err := bufio.NewReader(c).ReadString('\n'); err == nil {
					lines <- s
				}
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, lines
}

func TestBindPorts(t *testing.T) {
	abi := requireLandlock(t, 4)
	allowed, other := portPair(t)
	plan := mustPlan(t, Rules{Bind: []uint16{uint16(allowed)}}, abi, Options{})
	target, _ := listen(t)
	for _, c := range []struct {
		op   string
		port int
		want string
	}{
		{"bind", allowed, "ok"},
		{"bind", other, "EACCES"},
		// Any port rule handles both directions: with only bind rules,
		// connect is denied everywhere.
		{"connect", target, "EACCES"},
	} {
		t.Run(fmt.Sprintf("op=%s/port=%d", c.op, c.port), func(t *testing.T) {
			res := runHelper(t, helperSpec{Plan: plan, Op: c.op, Port: c.port})
			if got := strings.TrimSpace(res.Stdout); got != c.want {
				t.Fatalf("%s %d: %q (exit %d, stderr %q), want %s", c.op, c.port, got, res.Exit, res.Stderr, c.want)
			}
		})
	}
}

func TestConnectPorts(t *testing.T) {
	abi := requireLandlock(t, 4)
	allowed, _ := listen(t)
	other, _ := listen(t)
	plan := mustPlan(t, Rules{Connect: []uint16{uint16(allowed)}}, abi, Options{})
	for _, c := range []struct {
		op   string
		port int
		want string
	}{
		{"connect", allowed, "ok"},
		{"connect", other, "EACCES"},
		{"bind", 0, "EACCES"}, // bind is handled too, and port 0 is not allowed
	} {
		t.Run(fmt.Sprintf("op=%s/port=%d", c.op, c.port), func(t *testing.T) {
			res := runHelper(t, helperSpec{Plan: plan, Op: c.op, Port: c.port})
			if got := strings.TrimSpace(res.Stdout); got != c.want {
				t.Fatalf("%s %d: %q (exit %d, stderr %q), want %s", c.op, c.port, got, res.Exit, res.Stderr, c.want)
			}
		})
	}
}

// The scenario with a real program: busybox nc -l -p PORT listens
// on the allowed port and gets a line; on the other port it is refused.
func TestBusyboxNcListen(t *testing.T) {
	abi := requireLandlock(t, 4)
	bb := testenv.LookPath(t, "busybox", "busybox-static")
	allowed, other := portPair(t)
	plan := mustPlan(t, Rules{Bind: []uint16{uint16(allowed)}}, abi, Options{})

	res := runHelper(t, helperSpec{Plan: plan, Argv: []string{bb, "nc", "-l", "-p", fmt.Sprint(other)}})
	if res.Exit == 0 || !strings.Contains(res.Stderr, "Permission denied") {
		t.Fatalf("nc -l -p %d: exit %d, stderr %q; want bind refused", other, res.Exit, res.Stderr)
	}

	cmd := helperCmd(t, helperSpec{Plan: plan, Argv: []string{bb, "nc", "-l", "-p", fmt.Sprint(allowed)}})
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	conn := dialRetry(t, allowed)
	fmt.Fprintln(conn, "hello through landlock")
	conn.Close()
	got, _ := io.ReadAll(stdout)
	if err := cmd.Wait(); err != nil || string(got) != "hello through landlock\n" {
		t.Fatalf("nc -l -p %d: %v, stdout %q, stderr %q", allowed, err, got, stderr.String())
	}
}

// busybox nc as a client: the allowed port delivers, the other is refused.
func TestBusyboxNcConnect(t *testing.T) {
	abi := requireLandlock(t, 4)
	bb := testenv.LookPath(t, "busybox", "busybox-static")
	allowed, lines := listen(t)
	other, _ := listen(t)
	plan := mustPlan(t, Rules{Connect: []uint16{uint16(allowed)}}, abi, Options{})

	run := func(port int) (helperResult, error) {
		cmd := helperCmd(t, helperSpec{Plan: plan, Argv: []string{bb, "nc", "127.0.0.1", fmt.Sprint(port)}})
		cmd.Stdin = strings.NewReader("hi from nc\n")
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return helperResult{Stdout: out.String(), Stderr: errb.String()}, err
	}
	if res, err := run(allowed); err != nil {
		t.Fatalf("nc to allowed port %d: %v, stderr %q", allowed, err, res.Stderr)
	}
	select {
	case l := <-lines:
		if l != "hi from nc\n" {
			t.Fatalf("listener got %q", l)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("listener got nothing")
	}
	res, err := run(other)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !strings.Contains(res.Stderr, "Permission denied") {
		t.Fatalf("nc to other port %d: %v, stderr %q; want connect refused", other, err, res.Stderr)
	}
}

// Known gap: Landlock's TCP rules do not apply to MPTCP sockets (which
// serve plain TCP clients too). This test records what the kernel does; it
// fails neither way, but tells when the README's gap list needs updating.
func TestGapMPTCPBypassesPortRules(t *testing.T) {
	abi := requireLandlock(t, 4)
	_, other := portPair(t)
	plan := mustPlan(t, Rules{Bind: []uint16{4000}}, abi, Options{})
	res := runHelper(t, helperSpec{Plan: plan, Op: "mptcp-bind", Port: other})
	switch got := strings.TrimSpace(res.Stdout); {
	case strings.HasPrefix(got, "socket:"):
		t.Skipf("MPTCP not available here: %s", got)
	case got == "ok":
		t.Logf("gap confirmed: an MPTCP socket bound port %d despite --allow-bind 4000", other)
	default:
		t.Logf("MPTCP bind of port %d now gets %s: the kernel covers MPTCP, update the README gap list", other, got)
	}
}

func dialRetry(t *testing.T, port int) net.Conn {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			return c
		}
		if time.Now().After(deadline) || !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial %d: %v", port, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
