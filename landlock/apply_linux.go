//go:build linux

package landlock

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// probe asks the kernel once per process.
var probe = sync.OnceValues(func() (int, error) {
	v, err := llsys.LandlockGetABIVersion()
	switch {
	case errors.Is(err, unix.ENOSYS):
		return 0, &notSupportedError{fmt.Errorf("kernel built without Landlock: %w", err)}
	case errors.Is(err, unix.EOPNOTSUPP):
		return 0, &notSupportedError{fmt.Errorf("Landlock is not enabled at boot (add it to the lsm= kernel parameter): %w", err)}
	case err != nil:
		return 0, &notSupportedError{fmt.Errorf("landlock_create_ruleset(LANDLOCK_CREATE_RULESET_VERSION): %w", err)}
	case v < 1:
		return 0, &notSupportedError{fmt.Errorf("kernel reports Landlock ABI %d", v)}
	}
	// go-landlock treats ABI 6+ as 5 unless the kernel says the signal
	// scoping fix (erratum bit 1) is in: NewRulesetFD validates against
	// that view, so the plan must not claim more than go-landlock accepts.
	if v >= 6 {
		if errata, err := llsys.LandlockGetErrata(); err != nil || errata&0x2 == 0 {
			v = 5
		}
	}
	return clampABI(v), nil
})

// KernelABI returns the Landlock ABI version this kernel enforces, probed
// once (landlock_create_ruleset with LANDLOCK_CREATE_RULESET_VERSION) and
// cached. Without Landlock it returns 0 and an error matching
// ErrNotSupported that says why.
func KernelABI() (int, error) { return probe() }

// Apply restricts the calling OS thread with the plan: it locks the calling
// goroutine to its thread for good (runtime.LockOSThread, never undone),
// sets no_new_privs and calls landlock_restrict_self on that thread.
//
// It is meant for sysfence's init shim right before execve(2) of CMD: the
// exec must happen from the same goroutine, and everything CMD then does
// runs under the ruleset. Other threads of the calling process are not
// restricted; execve(2) ends them. Call it last, after everything the shim
// itself must open, and before installing the seccomp filter (which may not
// allow prctl or the Landlock syscalls).
//
// go-landlock's Restrict* functions restrict every thread instead (with
// libpsx / syscall.AllThreadsSyscall below ABI 8, LANDLOCK_RESTRICT_SELF_TSYNC
// from ABI 8): that is what a Go program sandboxing itself needs, but a
// launcher about to exec needs only the exec'ing thread, which
// NewRulesetFD + LandlockRestrictSelf give without signalling every thread.
//
// An empty plan (no rules, or best effort without Landlock) restricts
// nothing and returns a report saying so. A plan made for a higher ABI than
// the kernel's is refused (ErrUnenforceable): nothing is dropped silently.
func Apply(p *Plan) (*Report, error) {
	rep := &Report{}
	if p != nil {
		rep.Unenforced, rep.Limits = p.Unenforced, p.Limits
	}
	kabi, kerr := KernelABI()
	rep.KernelABI = kabi
	if p.Empty() {
		return rep, nil
	}
	if kerr != nil {
		return nil, kerr
	}
	fd, flags, err := p.RulesetFD()
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)

	runtime.LockOSThread() // never unlocked: the thread stays restricted and dies with the goroutine
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	if err := llsys.LandlockRestrictSelf(fd, flags); err != nil {
		return nil, fmt.Errorf("landlock_restrict_self: %w", err)
	}
	rep.ABI = p.ABI
	rep.HandledFS, rep.HandledNet = p.HandledFS, p.HandledNet
	rep.Paths, rep.Ports = len(p.Paths), len(p.Ports)
	rep.Isolated, rep.Scoped = p.Isolated, p.Scoped
	return rep, nil
}
