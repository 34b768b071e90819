package sandbox

import (
	"syscall"

	"github.com/sysfence/sysfence/bpf"
)

// TraceOptions say how Trace starts a command for a tracer of the
// caller's own (a syscall recorder).
type TraceOptions struct {
	// Filter is installed in the command at its exec stop, as Run installs
	// its filter (the command's first instruction runs under it); nil
	// installs none. no_new_privs is set either way.
	Filter bpf.Program
	// Ready, if set, is called on the tracer thread once the command is
	// set up (filter in, back in sysfence's process group) and before it
	// runs its first instruction. An error ends the run (the command is
	// killed) and is returned by Trace.
	Ready func(pid int) error
	// Loop, if set, takes the command over. It is seized (PTRACE_SEIZE,
	// so that job control works: group-stops are PTRACE_EVENT_STOPs that
	// PTRACE_LISTEN leaves stopped) with PtraceOptions and
	// PTRACE_O_EXITKILL, and Loop is called on the tracer thread with the
	// command in a ptrace-stop before its first instruction: resume it
	// with PTRACE_CONT and signal 0. A SIGCONT is pending for it (the end
	// of the stop that the seizing needed): pass it on like any signal.
	// Loop reaps the command and everything it traces (wait4 with
	// __WALL) and returns the command's final wait status.
	//
	// Without Loop the command is detached after Ready and Trace waits
	// for it, as Run does in quiet mode.
	Loop          func(pid int) (syscall.WaitStatus, error)
	PtraceOptions int
	// ForwardSignals is Options.ForwardSignals.
	ForwardSignals bool
}
