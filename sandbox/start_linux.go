package sandbox

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/launch"
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
	return s.runLocked(opts.ForwardSignals, func() error { return s.runTrace(opts) })
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
	if !launch.Supported {
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
	return s, nil
}

// runTrace starts the command as Run does and hands it to the caller's
// tracer.
func (s *session) runTrace(t *TraceOptions) error {
	if err := seccomp.SetNoNewPrivs(); err != nil {
		return err
	}
	proc, ws, err := s.start([]uintptr{fdOf(s.cmd.Stdin, os.Stdin), fdOf(s.cmd.Stdout, os.Stdout), fdOf(s.cmd.Stderr, os.Stderr)})
	if err != nil || ws != nil {
		if ws != nil {
			s.setStatus(*ws)
		}
		return err
	}
	ws, err = s.takeOver(proc, t)
	if err != nil {
		proc.Kill()
		return err
	}
	s.setStatus(*ws)
	return nil
}

// takeOver sets up the command at its exec stop and hands it to the
// caller. A non-nil status means the command ended (it was killed)
// before it ran.
func (s *session) takeOver(proc *launch.Process, t *TraceOptions) (*unix.WaitStatus, error) {
	if t.Loop != nil {
		// Seized first: the caller's filter may need its tracer (RET_TRACE).
		if ws, err := proc.SeizeFirst(t.PtraceOptions); ws != nil || err != nil {
			return ws, err
		}
	}
	in, err := proc.Inject()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if err := s.injectForTracer(in); err != nil {
		if died := (*launch.DiedError)(nil); errors.As(err, &died) {
			return &died.Status, nil
		}
		return nil, err
	}
	if err := in.Restore(); err != nil {
		return nil, err
	}
	if t.Ready != nil {
		if err := t.Ready(proc.Pid); err != nil {
			return nil, err
		}
	}
	if s.relay != nil {
		<-s.relay.Ready // before the command runs its first instruction
	}
	if t.Loop == nil {
		if err := proc.Detach(); err != nil {
			return nil, err
		}
		return s.waitQuiet(proc.Pid)
	}
	if err := proc.Continue(); err != nil {
		return nil, err
	}
	ws, err := t.Loop(proc.Pid)
	if err != nil {
		return nil, err
	}
	st := unix.WaitStatus(ws)
	return &st, nil
}

// injectForTracer makes the stopped command rejoin sysfence's process
// group and install the caller's filter, if any.
func (s *session) injectForTracer(in *launch.Injector) error {
	if ret, err := in.Syscall(unix.SYS_SETPGID, 0, uint64(s.pgrp)); err != nil {
		return err
	} else if ret < 0 {
		return fmt.Errorf("sandbox: setpgid in the command: %w", unix.Errno(-ret))
	}
	if s.prog == nil {
		return nil
	}
	_, err := in.InstallFilter(s.prog, 0)
	return err
}
