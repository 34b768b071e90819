package procfs

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestStatus(t *testing.T) {
	if n, ok := StatusInt(os.Getpid(), "Tgid"); !ok || n != os.Getpid() {
		t.Errorf("Tgid %d %v", n, ok)
	}
	if v, ok := Status(os.Getpid(), "Seccomp"); !ok || v != "0" {
		t.Errorf("Seccomp %q %v (the test process has no filter)", v, ok)
	}
	if _, ok := Status(os.Getpid(), "NoSuchField"); ok {
		t.Error("NoSuchField found")
	}
	if v, ok := statusField([]byte("Name:\tcat\nTgid:\t12\nPid:\t13"), "Pid"); !ok || v != "13" {
		t.Errorf("last line: %q %v", v, ok)
	}
	if _, ok := statusField([]byte("PPid:\t1\n"), "Pid"); ok {
		t.Error("PPid taken for Pid")
	}
}

func TestParseStatPPid(t *testing.T) {
	for _, c := range []struct {
		line string
		want int
		ok   bool
	}{
		{"42 (sh) S 7 42 42 0", 7, true},
		{"42 (a) b) (c) R 9 1 1", 9, true}, // comm with spaces and parentheses
		{"42 (sh", 0, false},
		{"42 (sh) S", 0, false},
	} {
		got, ok := parseStatPPid(c.line)
		if got != c.want || ok != c.ok {
			t.Errorf("parseStatPPid(%q) = %d, %v; want %d, %v", c.line, got, ok, c.want, c.ok)
		}
	}
}

func TestDescendants(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 30 & wait")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, p := range Descendants(cmd.Process.Pid)[1:] {
			syscall.Kill(p, syscall.SIGKILL)
		}
		cmd.Process.Kill()
		cmd.Wait()
	}()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if d := Descendants(cmd.Process.Pid); len(d) >= 2 {
			if d[0] != cmd.Process.Pid {
				t.Fatalf("Descendants(%d) = %v; want the process first", cmd.Process.Pid, d)
			}
			return
		}
	}
	t.Fatalf("Descendants(%d) never found the shell's sleep", cmd.Process.Pid)
}
