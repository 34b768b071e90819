package sandbox

import (
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/seccomp"
	"github.com/sysfence/sysfence/syscalls"
)

// Trace starts cmd as Run does (stdio, process group, no_new_privs,
// parent-death signal, the filter installed at the exec stop; a missing
// command is an *ExecError) and hands it to the caller's tracer (see
// TraceOptions). Nothing of the start-up runs in the command after its
// exec stop except the injected setpgid and seccomp calls, which happen
// before Ready and before any filter of the caller's is in force.
//
// Loop and Ready run on a goroutine locked to its own OS thread, the
// tracer thread: ptrace requests for the command and its descendants
// must be made there. Like Run, Trace reaps with wait4(-1) while Loop
// runs: the calling program must not wait for children of its own
// meanwhile.
func Trace(cmd *Command, opts *TraceOptions) (*Result, error) {
	s, err := newTraceSession(cmd, opts)
	if err != nil {
		return nil, err
	}
	return s.runLocked(opts.ForwardSignals)
}

func newTraceSession(cmd *Command, t *TraceOptions) (*session, error) {
	if t == nil {
		return nil, errors.New("sandbox: no options")
	}
	if cmd == nil {
		return nil, errors.New("sandbox: no command to run")
	}
	if cmd.Path == "" {
		return nil, &ExecError{Path: cmd.Path, Kind: ErrNotFound} // as a shell says of ''
	}
	if t.Loop == nil && t.PtraceOptions != 0 {
		return nil, errors.New("sandbox: ptrace options without a tracer loop")
	}
	if !injectSupported {
		return nil, fmt.Errorf("sandbox: starting a command at its exec stop is implemented for x86_64 only, not %s: %w", runtime.GOARCH, ErrNotSupported)
	}
	native, err := syscalls.Native()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w: %w", err, ErrNotSupported)
	}
	if t.Filter != nil {
		if err := seccomp.CheckFilter(); err != nil {
			return nil, err
		}
		if n := len(t.Filter); n > bpf.MaxInstructions {
			return nil, fmt.Errorf("sandbox: filter of %d instructions: %w", n, bpf.ErrTooLong)
		}
	}
	s := &session{cmd: cmd, opts: &Options{ForwardSignals: t.ForwardSignals}, native: native,
		reported: map[deniedKey]uint64{}, pidfd: -1, llFd: -1, llChildFd: -1, prog: t.Filter, orig: t.Filter}
	s.argv = cmd.Args
	if len(s.argv) == 0 {
		s.argv = []string{cmd.Path}
	}
	s.name = s.argv[0]
	if s.path, err = lookPath(cmd); err != nil {
		return nil, err
	}
	s.pgrp = unix.Getpgrp()
	s.handOver = func(pid int) (*unix.WaitStatus, error) { return s.takeOver(pid, t) }
	return s, nil
}

// takeOver sets up the command at its exec stop (attached by
// PTRACE_TRACEME) and hands it to the caller. A non-nil status means the
// command ended (it was killed) before it ran.
func (s *session) takeOver(pid int, t *TraceOptions) (*unix.WaitStatus, error) {
	// If sysfence dies during the set-up, the command dies too.
	unix.PtraceSetOptions(pid, unix.PTRACE_O_EXITKILL)
	var pending []unix.Signal
	if t.Loop != nil {
		ws, sigs, err := s.seizeAtExec(pid, t.PtraceOptions|unix.PTRACE_O_EXITKILL)
		if ws != nil || err != nil {
			return ws, err
		}
		pending = sigs
	}
	in, err := newInjector(pid)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %s: %w", s.path, err)
	}
	in.deferred = pending
	if err := s.injectForTracer(in); err != nil {
		if died := (*errTraceeDied)(nil); errors.As(err, &died) {
			return &died.status, nil
		}
		return nil, err
	}
	if err := in.restore(); err != nil {
		return nil, err
	}
	if t.Ready != nil {
		if err := t.Ready(pid); err != nil {
			return nil, err
		}
	}
	if s.signalsReady != nil {
		<-s.signalsReady // before the command runs its first instruction
	}
	if t.Loop == nil {
		if err := unix.PtraceDetach(pid); err != nil {
			return nil, fmt.Errorf("ptrace: detaching from the command: %w", err)
		}
		return s.waitQuiet(pid)
	}
	// End the group-stop of seizeAtExec. The command stays in its
	// ptrace-stop; the SIGCONT waits for it like any signal.
	if err := unix.Kill(pid, unix.SIGCONT); err != nil {
		return nil, fmt.Errorf("resuming the command: %w", err)
	}
	ws, err := t.Loop(pid)
	if err != nil {
		return nil, err
	}
	st := unix.WaitStatus(ws)
	return &st, nil
}

// seizeAtExec turns the PTRACE_TRACEME attachment into a PTRACE_SEIZE one
// before anything is injected (see seize for why job control needs it):
// detach leaving the command stopped by SIGSTOP, seize it, and wait for
// the stop that seizing a stopped task reports. Doing it first means the
// caller's filter (a RET_TRACE filter fails every call with ENOSYS while
// no tracer is attached) is only installed once the command is seized,
// and the command, still alone in the process group it was forked into,
// cannot be resumed by a terminal's SIGCONT in between. Signals that
// reach it meanwhile are returned, to be sent again once it is set up.
func (s *session) seizeAtExec(pid int, options int) (*unix.WaitStatus, []unix.Signal, error) {
	if err := ptrace(unix.PTRACE_DETACH, pid, 0, uintptr(unix.SIGSTOP)); err != nil {
		return nil, nil, fmt.Errorf("ptrace: detaching from the command: %w", err)
	}
	var ws unix.WaitStatus
	if _, err := wait4(pid, &ws, unix.WUNTRACED); err != nil {
		return nil, nil, err
	}
	if !ws.Stopped() {
		return &ws, nil, nil
	}
	if err := ptrace(unix.PTRACE_SEIZE, pid, 0, uintptr(options)); err != nil {
		return nil, nil, fmt.Errorf("ptrace: seizing the command: %w", err)
	}
	var pending []unix.Signal
	for {
		if _, err := wait4(pid, &ws, unix.WALL); err != nil {
			return nil, nil, err
		}
		if !ws.Stopped() {
			return &ws, nil, nil
		}
		if (uint32(ws)>>16)&0xff == unix.PTRACE_EVENT_STOP {
			return nil, pending, nil
		}
		// A signal-delivery-stop: hold the signal back and let the
		// command reach the group-stop trap.
		pending = append(pending, ws.StopSignal())
		if err := unix.PtraceCont(pid, 0); err != nil {
			return nil, nil, fmt.Errorf("ptrace: %w", err)
		}
	}
}

// injectForTracer makes the stopped command rejoin sysfence's process
// group and install the caller's filter, if any.
func (s *session) injectForTracer(in *injector) error {
	if ret, err := in.syscall(unix.SYS_SETPGID, 0, uint64(s.pgrp)); err != nil {
		return err
	} else if ret < 0 {
		return fmt.Errorf("sandbox: setpgid in the command: %w", unix.Errno(-ret))
	}
	if s.prog == nil {
		return nil
	}
	_, err := in.installFilter(s.prog, 0)
	return err
}
