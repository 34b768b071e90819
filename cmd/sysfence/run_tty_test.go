//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/internal/testenv"
)

// openPty opens a pseudo-terminal pair: the master, and the terminal
// (slave) a command gets as its controlling terminal.
func openPty(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// pending reads what waits in the terminal's input for the next reader
// (the user's shell, after the command).
func pending(t *testing.T, tty *os.File) string {
	t.Helper()
	fd := int(tty.Fd())
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	var out []byte
	for {
		n, err := unix.Read(fd, buf)
		if n <= 0 || err != nil {
			return string(out)
		}
		out = append(out, buf[:n]...)
	}
}

// TestRunTerminalInjection: a command confined by `sysfence run` shares
// the user's terminal, and TIOCSTI would let it type a line that the
// user's shell runs after it, outside the sandbox (bubblewrap's
// CVE-2017-5226; Flatpak's CVE-2019-10063 for the 64-bit form). The attack
// (testdata/tiocsti.c) is run without sysfence first: as root it works
// on every kernel (dev.tty.legacy_tiocsti=0 only stops unprivileged
// callers); under sysfence, in both its modes, the filter refuses it.
func TestRunTerminalInjection(t *testing.T) {
	requireRun(t)
	probe := buildC(t, t.TempDir(), "tiocsti", false)
	// The i386 ioctl through int $0x80 too, where the machine makes it
	// (a machine fact: elsewhere the probe would fault).
	var extra []string
	wantInt80 := ""
	if testenv.Int80Works(t) {
		extra, wantInt80 = []string{"int80"}, "TIOCSTI-int80 err EPERM\n"
	}
	run := func(args ...string) (string, string) {
		_, tty := openPty(t)
		cmd := exec.Command(args[0], args[1:]...)
		if args[0] == "sysfence" {
			cmd = sysfence(args[1:]...)
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, &stdout, &stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %v\nstdout: %s\nstderr: %s", args, err, stdout.String(), stderr.String())
		}
		return stdout.String(), pending(t, tty)
	}

	out, typed := run(append([]string{probe}, extra...)...)
	t.Logf("without sysfence: %q, the terminal then holds %q", out, typed)
	if os.Geteuid() == 0 && (!strings.Contains(out, "TIOCSTI ok") || !strings.Contains(typed, "echo INJECTED")) {
		t.Errorf("without sysfence, as root: %q, terminal input %q; want the attack to work (or the test shows nothing)", out, typed)
	}
	if os.Geteuid() == 0 && wantInt80 != "" && !strings.Contains(out, "TIOCSTI-int80 ok") {
		t.Errorf("without sysfence, as root: %q; want the int $0x80 attack to work", out)
	}

	for _, mode := range [][]string{{"run", "--"}, {"run", "--quiet", "--"}} {
		t.Run(strings.Join(mode, " "), func(t *testing.T) {
			out, typed := run(append(append(append([]string{"sysfence"}, mode...), probe), extra...)...)
			want := "TIOCSTI err EPERM\nTIOCSTI-high err EPERM\nTIOCLINUX err EPERM\n" + wantInt80
			if out != want || typed != "" {
				t.Errorf("under sysfence: %q, terminal input %q; want %q and nothing typed", out, typed, want)
			}
		})
	}
}
