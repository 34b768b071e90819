package ptrace

import "github.com/sysfence/sysfence/record"

// Options configures a Recorder.
type Options struct {
	// Args records the deciding argument values of the syscalls listed by
	// record.ArgSpecs (--args).
	Args bool
	// Errors also stops each call at its exit, to count the calls that
	// failed (the errors column of the summary). It doubles the stops,
	// and so roughly the cost of recording.
	Errors bool
	// ForwardSignals passes SIGINT, SIGTERM, SIGHUP and SIGQUIT received
	// by this process on to the command, as sandbox.Options does.
	ForwardSignals bool
	// Files records the programs executed (/proc/PID/exe at each exec)
	// and the files mapped executable (/proc/PID/maps at each thread's
	// exit stop, before the kernel unmaps anything), for record --static.
	Files bool
}

// ErrNotSupported is record.ErrNotSupported: errors from New match it when
// ptrace recording cannot work on this system.
var ErrNotSupported = record.ErrNotSupported
