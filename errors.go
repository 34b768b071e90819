package sysfence

import (
	"errors"
	"fmt"

	"github.com/sysfence/sysfence/seccomp"
	"github.com/sysfence/sysfence/syscalls"
)

// Errors of the API, for errors.Is. The first three are the same values
// as in packages seccomp and syscalls, so errors from any layer match.
var (
	// ErrNotSupported: the kernel or OS cannot do what was asked (no
	// seccomp filters, an unknown action or flag, not Linux, a GOARCH
	// seccomp does not know).
	ErrNotSupported = seccomp.ErrNotSupported
	// ErrUnknownSyscall: a name that is not a system call (on any ABI, or
	// on every ABI of the filter).
	ErrUnknownSyscall = syscalls.ErrUnknownSyscall
	// ErrUnknownArch: AddArch with a name no ABI has.
	ErrUnknownArch = syscalls.ErrUnknownArch
	// ErrInvalidRule: an argument index out of range, an errno above
	// 4095, an action the API cannot install (SCMP_ACT_NOTIFY needs a
	// supervisor), an empty condition.
	ErrInvalidRule = errors.New("invalid rule")
	// ErrConflict: a rule for a syscall that already has an unconditional
	// rule with another action (one of the two would never apply; Remove
	// the syscall first to replace its rules).
	ErrConflict = errors.New("conflicting rules")
)

// RuleError is a rule Add or Compile refused.
type RuleError struct {
	Name   string // the syscall name
	Action Action
	Conds  []Cond
	Err    error
}

func (e *RuleError) Error() string {
	s := "sysfence: rule " + e.Name + ": " + e.Action.String()
	for i, c := range e.Conds {
		if i == 0 {
			s += " if "
		} else {
			s += " && "
		}
		s += c.String()
	}
	return fmt.Sprintf("%s: %v", s, e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }
