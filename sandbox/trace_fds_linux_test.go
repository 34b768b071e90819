package sandbox

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestTraceLeavesCallersFdsOpen: Trace (the recorders' launcher) must not
// close descriptors of the calling process. Its session had no Landlock
// ruleset, and the ruleset's descriptor field, left at its zero value,
// made it close fd 0 after every fork: the caller's stdin, or whatever
// had taken that number since (a recorder's next pipe; the stdout pipe of
// a Go example, which then never saw its end).
func TestTraceLeavesCallersFdsOpen(t *testing.T) {
	requireSandbox(t)
	var before unix.Stat_t
	if err := unix.Fstat(0, &before); err != nil {
		// fd 0 is closed here: put a file there (the lowest free number).
		f, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		if f.Fd() != 0 {
			t.Fatalf("fd 0 is closed but os.Open returned fd %d", f.Fd())
		}
		if err := unix.Fstat(0, &before); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Trace(&Command{Path: "/bin/true"}, &TraceOptions{}); err != nil {
		t.Fatal(err)
	}
	var after unix.Stat_t
	if err := unix.Fstat(0, &after); err != nil {
		t.Fatalf("fd 0 after Trace: %v", err)
	}
	if after.Dev != before.Dev || after.Ino != before.Ino {
		t.Errorf("fd 0 is another file after Trace (dev %d ino %d, was dev %d ino %d)", after.Dev, after.Ino, before.Dev, before.Ino)
	}
}
