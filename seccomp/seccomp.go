package seccomp

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sysfence/sysfence/internal/notsup"
)

// ErrNotSupported is wrapped by every error about something the running
// kernel or operating system cannot do. It is the same value in every
// sysfence package.
var ErrNotSupported = notsup.ErrNotSupported

// ErrNotifGone is returned by the notification calls when the notification
// is no longer valid: the target thread was killed or its syscall was
// interrupted (the kernel's ENOENT).
var ErrNotifGone = errors.New("seccomp notification no longer valid")

// ErrListenerClosed is returned by Receive after Close or Shutdown, and
// when no task uses the filter any more (the listener hung up).
var ErrListenerClosed = errors.New("seccomp listener closed")

// FilterFlag is a set of SECCOMP_FILTER_FLAG_* bits for LoadFilter.
type FilterFlag uint32

// The flags of seccomp(SECCOMP_SET_MODE_FILTER) (<linux/seccomp.h>).
const (
	// FlagTSync installs the filter on every thread of the process
	// (Linux 3.17). Without it only the calling thread is filtered.
	FlagTSync FilterFlag = 1 << 0
	// FlagLog logs every action except ALLOW (Linux 4.14).
	FlagLog FilterFlag = 1 << 1
	// FlagSpecAllow leaves speculative store bypass mitigation off (4.17).
	FlagSpecAllow FilterFlag = 1 << 2
	// FlagNewListener returns a user-notification listener fd (5.0).
	FlagNewListener FilterFlag = 1 << 3
	// FlagTSyncESRCH makes a TSYNC failure return ESRCH instead of a
	// thread id, which allows TSYNC together with NEW_LISTENER (5.7).
	FlagTSyncESRCH FilterFlag = 1 << 4
	// FlagWaitKillableRecv makes a notified syscall wait killably once the
	// supervisor has received it, so that non-fatal signals (Go's SIGURG
	// preemption) do not restart it (5.19).
	FlagWaitKillableRecv FilterFlag = 1 << 5
)

var flagNames = []struct {
	f    FilterFlag
	name string
}{
	{FlagTSync, "TSYNC"}, {FlagLog, "LOG"}, {FlagSpecAllow, "SPEC_ALLOW"},
	{FlagNewListener, "NEW_LISTENER"}, {FlagTSyncESRCH, "TSYNC_ESRCH"},
	{FlagWaitKillableRecv, "WAIT_KILLABLE_RECV"},
}

// FlagByName returns the flag a profile names in its "flags" list
// ("SECCOMP_FILTER_FLAG_LOG", as runc and libseccomp spell them; the
// prefix may be left out).
func FlagByName(name string) (FilterFlag, bool) {
	short := strings.TrimPrefix(name, "SECCOMP_FILTER_FLAG_")
	for _, n := range flagNames {
		if n.name == short {
			return n.f, true
		}
	}
	return 0, false
}

// String names the flags as <linux/seccomp.h> does without its prefix,
// joined by "|", e.g. "TSYNC|LOG".
func (f FilterFlag) String() string {
	if f == 0 {
		return "0"
	}
	var parts []string
	for _, n := range flagNames {
		if f&n.f != 0 {
			parts = append(parts, n.name)
			f &^= n.f
		}
	}
	if f != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(f)))
	}
	return strings.Join(parts, "|")
}

// Validate reports combinations the kernel refuses: TSYNC with
// NEW_LISTENER needs TSYNC_ESRCH, WAIT_KILLABLE_RECV needs NEW_LISTENER.
func (f FilterFlag) Validate() error {
	if f&FlagTSync != 0 && f&FlagNewListener != 0 && f&FlagTSyncESRCH == 0 {
		return fmt.Errorf("seccomp: flags %v: TSYNC with NEW_LISTENER needs TSYNC_ESRCH", f)
	}
	if f&FlagWaitKillableRecv != 0 && f&FlagNewListener == 0 {
		return fmt.Errorf("seccomp: flags %v: WAIT_KILLABLE_RECV needs NEW_LISTENER", f)
	}
	return nil
}

// Mode is a thread's seccomp mode (PR_GET_SECCOMP).
type Mode int

// The modes of <linux/seccomp.h>.
const (
	ModeDisabled Mode = 0
	ModeStrict   Mode = 1
	ModeFilter   Mode = 2
)

func (m Mode) String() string {
	switch m {
	case ModeDisabled:
		return "disabled"
	case ModeStrict:
		return "strict"
	case ModeFilter:
		return "filter"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// LoadError is a failed filter installation.
type LoadError struct {
	Flags FilterFlag
	Err   error // the errno, or a wrapped ErrNotSupported
	// TSyncTid is the thread that could not be synchronised (TSYNC
	// without TSYNC_ESRCH reports it instead of failing with an errno).
	TSyncTid int
}

func (e *LoadError) Error() string {
	if e.TSyncTid != 0 {
		return fmt.Sprintf("seccomp: cannot install the filter on every thread (flags %v): thread %d is in another seccomp state", e.Flags, e.TSyncTid)
	}
	return fmt.Sprintf("seccomp: installing the filter (flags %v): %v", e.Flags, e.Err)
}

func (e *LoadError) Unwrap() error { return e.Err }
