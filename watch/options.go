package watch

import (
	"github.com/sysfence/sysfence/internal/cgroups"
	"github.com/sysfence/sysfence/internal/notsup"
)

// Options says what to watch.
type Options struct {
	// Cgroup limits the watch to the processes in this cgroup and the
	// cgroups below it; nil watches the whole machine.
	Cgroup *cgroups.Cgroup
	// Container is the ID of the container whose cgroup Cgroup is; its
	// decisions are reported with it.
	Container string
	// Pid limits the watch to this process, its descendants, and every
	// process they start from then on.
	Pid int
	// Explain, when set, names the profile entry that decides a call
	// (what run's reports say); "" keeps the filter and instruction.
	Explain func(*Decision) string
}

// ErrNotSupported is matched by the errors of New where watching cannot
// work: not Linux on x86_64, no privileges, or a kernel without what the
// programs need. It is the same value in every sysfence package.
var ErrNotSupported = notsup.ErrNotSupported

// NotSupportedError names what is missing.
type NotSupportedError struct {
	Missing string
	Err     error
}

func (e *NotSupportedError) Error() string {
	s := "watch needs " + e.Missing
	if e.Err != nil {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

// Is makes errors.Is(err, ErrNotSupported) true.
func (e *NotSupportedError) Is(target error) bool { return target == ErrNotSupported }

func (e *NotSupportedError) Unwrap() error { return e.Err }
