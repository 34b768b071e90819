package sysfence_test

import (
	"errors"
	"fmt"
	"testing"

	sf "github.com/sysfence/sysfence"
	"github.com/sysfence/sysfence/landlock"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/record/ebpf"
	"github.com/sysfence/sysfence/record/ptrace"
	"github.com/sysfence/sysfence/sandbox"
	"github.com/sysfence/sysfence/seccomp"
	"github.com/sysfence/sysfence/watch"
)

// Every package's ErrNotSupported is the one value, so that a single
// errors.Is(err, sysfence.ErrNotSupported) catches every refusal of the
// system, whichever layer made it (three different values made it miss
// Landlock's and the recorders' refusals).
func TestOneErrNotSupported(t *testing.T) {
	for name, err := range map[string]error{
		"seccomp": seccomp.ErrNotSupported, "landlock": landlock.ErrNotSupported, "record": record.ErrNotSupported,
		"record/ebpf": ebpf.ErrNotSupported, "record/ptrace": ptrace.ErrNotSupported, "sandbox": sandbox.ErrNotSupported,
		"watch": watch.ErrNotSupported,
	} {
		if err != sf.ErrNotSupported {
			t.Errorf("%s.ErrNotSupported is not sysfence.ErrNotSupported", name)
		}
	}
	// The packages' typed refusals match it too.
	refusals := []error{
		&record.NotSupportedError{Backend: "ebpf", Missing: "CAP_BPF"},
		fmt.Errorf("sandbox: %w", sandbox.ErrNotSupported),
	}
	if _, err := landlock.KernelABI(); err != nil {
		refusals = append(refusals, err)
	}
	for _, err := range refusals {
		if !errors.Is(err, sf.ErrNotSupported) {
			t.Errorf("errors.Is(%v, sysfence.ErrNotSupported) is false", err)
		}
	}
}
