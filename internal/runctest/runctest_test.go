package runctest

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRun(t *testing.T) {
	b := NewT(t, Config{})
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		run    Run
		code   int
		stdout string
		stderr string
	}{
		{"case=echo", Run{Args: []string{"echo", "hello from runc"}}, 0, "hello from runc\n", ""},
		{"case=stdout-and-stderr", Run{Args: []string{"sh", "-c", "echo out; echo err >&2; exit 3"}}, 3, "out\n", "err\n"},
		// The container's init cannot be signalled from inside; a child can.
		{"case=signal", Run{Args: []string{"sh", "-c", "sleep 60 & kill -TERM $!; wait $!"}}, 128 + 15, "", "Terminated\n"},
		{"case=stdin", Run{Args: []string{"cat"}, Stdin: strings.NewReader("through stdin\n")}, 0, "through stdin\n", ""},
		{"case=env-and-caps", Run{Args: []string{"sh", "-c", `echo $GREETING; grep CapBnd /proc/self/status`}, Env: []string{"GREETING=hi"}}, 0,
			"hi\nCapBnd:\t00000000a80425fb\n", ""},
		{"case=no-seccomp", Run{Args: []string{"mkdir", "/x"}}, 1, "", "mkdir: can't create directory '/x': Read-only file system\n"},
		{"case=seccomp", Run{Args: []string{"mkdir", "/x"}, Seccomp: denyAllowAll("mkdir", "mkdirat")}, 1,
			"", "mkdir: can't create directory '/x': Operation not permitted\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := b.Run(ctx, tc.run)
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != tc.code || res.Stdout != tc.stdout || res.Stderr != tc.stderr {
				t.Errorf("got %v\nwant exit %d, stdout %q, stderr %q", res, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

// denyAllowAll allows everything except names, which fail with EPERM.
func denyAllowAll(names ...string) *specs.LinuxSeccomp {
	one := uint(1)
	return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{{Names: names, Action: specs.ActErrno, ErrnoRet: &one}}}
}

func TestRunTimeout(t *testing.T) {
	b := NewT(t, Config{})
	start := time.Now()
	res, err := b.Run(context.Background(), Run{Args: []string{"sleep", "60"}, Timeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.ExitCode != 128+9 || time.Since(start) > 20*time.Second {
		t.Errorf("%v after %v", res, time.Since(start))
	}
}

// TestHostNetwork: with HostNetwork the container reaches a server of the
// test on 127.0.0.1; without it, it has a network namespace of its own.
func TestHostNetwork(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 100)
		n, _ := c.Read(buf)
		got <- string(buf[:n])
	}()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	host := NewT(t, Config{HostNetwork: true})
	res, err := host.Run(context.Background(), Run{Args: []string{"sh", "-c", "echo ping | nc 127.0.0.1 " + port}, Timeout: 10 * time.Second})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%v %v", res, err)
	}
	select {
	case s := <-got:
		if s != "ping\n" {
			t.Errorf("server got %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the container's line never arrived")
	}
	own := NewT(t, Config{})
	res, err = own.Run(context.Background(), Run{Args: []string{"sh", "-c", "echo ping | nc 127.0.0.1 " + port}, Timeout: 10 * time.Second})
	if err != nil || res.ExitCode == 0 {
		t.Fatalf("own network namespace reached the host: %v %v", res, err)
	}
}

func TestCheck(t *testing.T) {
	Require(t)
	if err := Check("/no/such/busybox"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("missing busybox: %v", err)
	}
	self, _ := os.Executable()
	if err := Check(self); err == nil && isDynamic(self) {
		t.Errorf("a dynamic binary was accepted as busybox")
	}
}

func isDynamic(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b[:min(len(b), 4096)]), "ld-linux")
}
