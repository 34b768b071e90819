package landlock

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sysfence/sysfence/internal/notsup"
)

var (
	// ErrNotSupported: Landlock is not available (not Linux, a kernel built
	// without it, or not enabled at boot: it must be in the lsm= list).
	// It is the same value in every sysfence package.
	ErrNotSupported = notsup.ErrNotSupported

	// ErrUnenforceable: a rule cannot be enforced at the kernel's ABI and
	// best effort was not requested. The CLI exits 2.
	ErrUnenforceable = errors.New("rule cannot be enforced")

	// ErrPath: a path rule names no usable file.
	ErrPath = errors.New("bad path rule")
)

// UnenforceableError names everything a plan could not enforce.
type UnenforceableError struct {
	ABI  int
	Gaps []Gap
}

func (e *UnenforceableError) Error() string {
	var what []string
	for _, g := range e.Gaps {
		what = append(what, g.String())
	}
	abi := fmt.Sprintf("the kernel's Landlock ABI %d", e.ABI)
	if e.ABI == 0 {
		abi = "this kernel (no Landlock)"
	}
	return fmt.Sprintf("%s cannot enforce: %s; use --best-effort to run anyway", abi, strings.Join(what, "; "))
}

// Is makes errors.Is(err, ErrUnenforceable) true, and also
// errors.Is(err, ErrNotSupported) when there is no Landlock at all.
func (e *UnenforceableError) Is(target error) bool {
	return target == ErrUnenforceable || (target == ErrNotSupported && e.ABI == 0)
}

// PathError is a path rule that cannot become a Landlock rule.
type PathError struct {
	Kind string // "read", "write" or "exec"
	Path string // as given
	Err  error
}

func (e *PathError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("--allow-%s: empty path", e.Kind)
	}
	return fmt.Sprintf("--allow-%s %s: %v (a rule needs an existing file or directory)", e.Kind, e.Path, e.Err)
}

func (e *PathError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrPath) true.
func (e *PathError) Is(target error) bool { return target == ErrPath }

// notSupportedError wraps the cause of ErrNotSupported.
type notSupportedError struct{ cause error }

func (e *notSupportedError) Error() string { return "landlock not supported: " + e.cause.Error() }
func (e *notSupportedError) Unwrap() error { return e.cause }
func (e *notSupportedError) Is(target error) bool {
	return target == ErrNotSupported
}
