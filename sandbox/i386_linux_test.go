package sandbox

import (
	"errors"
	"syscall"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/policy"
)

// An i386 program cannot be injected into at its exec stop: where the
// kernel runs i386 programs, Run refuses it with ErrNotSupported (it used
// to die of the exec SIGTRAP); Exec, which needs no injection, runs it
// (cmd/sysfence's TestRunI386Program). Where the kernel refuses i386
// programs, the exec fails as for any file it cannot run: exit status
// 126, exec format error (the same as for a file no kernel runs, checked
// on every machine).
func TestI386Program(t *testing.T) {
	requireSandbox(t)
	prog, _ := filter(t, policy.ActAllow)
	wantENOEXEC := func(t *testing.T, path string) {
		t.Helper()
		_, err := Run(&Command{Path: path}, &Options{Filter: prog})
		var ee *ExecError
		if !errors.As(err, &ee) || !errors.Is(err, ErrNotExecutable) || !errors.Is(err, syscall.ENOEXEC) || ee.ExitCode() != 126 {
			t.Errorf("Run: %v, want an ExecError (126): cannot execute: exec format error", err)
		}
	}
	hi := testenv.I386Hello(t)
	if testenv.CanExecI386(t) {
		_, err := Run(&Command{Path: hi}, &Options{Filter: prog})
		if !errors.Is(err, ErrNotSupported) {
			t.Errorf("Run: %v, want ErrNotSupported", err)
		}
	} else {
		wantENOEXEC(t, hi)
	}
	wantENOEXEC(t, testenv.UnrunnableELF(t))
}
