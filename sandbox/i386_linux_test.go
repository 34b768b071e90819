package sandbox

import (
	"errors"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/policy"
)

// An i386 program cannot be injected into at its exec stop: Run refuses
// it with ErrNotSupported (it used to die of the exec SIGTRAP). Exec,
// which needs no injection, runs it (cmd/sysfence's TestRunI386Program).
func TestI386Program(t *testing.T) {
	requireSandbox(t)
	hi := testenv.I386Hello(t)
	prog, _ := filter(t, policy.ActAllow)
	_, err := Run(&Command{Path: hi}, &Options{Filter: prog})
	if !errors.Is(err, ErrNotSupported) {
		t.Errorf("Run: %v, want ErrNotSupported", err)
	}
}
