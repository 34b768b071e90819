package seccomp

import (
	"errors"
	"fmt"

	"github.com/sysfence/sysfence/bpf"
)

// ErrNoFilter is wrapped by ReadFilters' error for a process or thread
// that has no seccomp filter (its Seccomp: mode is 0 or 1).
var ErrNoFilter = errors.New("no seccomp filter")

// ErrTraced is wrapped by ReadFilters' error for a thread another process
// traces: the kernel hands a thread's filters only to its tracer.
var ErrTraced = errors.New("traced by another process")

// Task is what /proc/PID/task/TID/status says about a thread's seccomp
// state.
type Task struct {
	PID, TID int
	Name     string // the thread's comm
	Mode     Mode   // Seccomp:
	// NumFilters is Seccomp_filters: the number of filters the thread
	// is under (-1 before Linux 5.9, which does not report it).
	NumFilters int
	NoNewPrivs bool
	TracerPid  int
}

// Describe names the thread for messages: "process 1234 (nginx)", or
// "thread 1236 of process 1234 (nginx)".
func (t Task) Describe() string {
	if t.TID == t.PID || t.TID == 0 {
		return fmt.Sprintf("process %d (%s)", t.PID, t.Name)
	}
	return fmt.Sprintf("thread %d of process %d (%s)", t.TID, t.PID, t.Name)
}

// modeWords is the Seccomp: line as a person reads it.
func (t Task) modeWords() string {
	s := fmt.Sprintf("Seccomp: %d, %s", int(t.Mode), t.Mode)
	if t.Mode == ModeFilter && t.NumFilters >= 0 {
		s += fmt.Sprintf("; Seccomp_filters: %d", t.NumFilters)
	}
	return s
}

// dumpError is an error of ReadFilters whose message already says what
// its sentinel says.
type dumpError struct {
	msg  string
	kind error
}

func (e *dumpError) Error() string { return e.msg }
func (e *dumpError) Unwrap() error { return e.kind }

func dumpErrorf(kind error, format string, args ...any) error {
	return &dumpError{msg: "seccomp: " + fmt.Sprintf(format, args...), kind: kind}
}

// Filter is one seccomp filter as the kernel keeps it.
type Filter struct {
	Program bpf.Program
	// Flags are the filter's flags that the kernel reports
	// (PTRACE_SECCOMP_GET_METADATA: FlagLog only).
	Flags FilterFlag
}

// ThreadFilters is the stack of filters a thread runs under, in the
// order they were installed: Filters[0] is the first (inherited from the
// furthest ancestor), as PTRACE_SECCOMP_GET_FILTER numbers them; the
// kernel runs the last one first.
type ThreadFilters struct {
	Task
	Filters []Filter
}
