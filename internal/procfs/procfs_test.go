package procfs

import (
	"os"
	"testing"
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
