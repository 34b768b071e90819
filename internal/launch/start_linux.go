package launch

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/internal/notsup"
	"github.com/sysfence/sysfence/internal/procfs"
)

// Spec is a command to start at its exec stop.
type Spec struct {
	// Name is the command as given (for errors: "cat"); Path is what
	// LookPath resolved it to.
	Name, Path string
	Argv       []string
	Env        []string // nil: this process's
	Dir        string
	// Files are the command's descriptors 0, 1, 2, ... (what
	// syscall.ProcAttr.Files takes).
	Files []uintptr
}

// Process is a command stopped at its exec stop, or running, traced by
// the calling thread.
type Process struct {
	Pid   int
	Pidfd int // -1 on a kernel before 5.3
	path  string
	in    *Injector
}

// Start forks the command with PTRACE_TRACEME, a parent-death SIGKILL
// and a process group of its own (so that no terminal signal can stop it
// between PTRACE_TRACEME and execve, where the forking thread, blocked in
// the fork, could not resume it), and waits for its exec stop, before
// its first instruction; signals that reach it before its exec act as
// they would. From then on PTRACE_O_EXITKILL kills it if the caller
// dies. A non-nil status means the command ended before its exec stop.
//
// The calling goroutine must be locked to its OS thread, which must stay
// alive as long as the command runs: the parent-death signal is tied to
// it, and only it may make ptrace requests for the command.
func Start(spec *Spec) (*Process, *unix.WaitStatus, error) {
	if !Supported {
		return nil, nil, fmt.Errorf("starting a command at its exec stop is implemented for x86_64 only: %w", notsup.ErrNotSupported)
	}
	pidfd := -1
	attr := &syscall.ProcAttr{Dir: spec.Dir, Env: spec.Env, Files: spec.Files, Sys: &syscall.SysProcAttr{
		Ptrace:    true,
		Pdeathsig: syscall.SIGKILL,
		Setpgid:   true,
		PidFD:     &pidfd,
	}}
	if attr.Env == nil {
		attr.Env = os.Environ()
	}
	pid, err := syscall.ForkExec(spec.Path, spec.Argv, attr)
	if err != nil {
		return nil, nil, execError(spec.Name, spec.Path, err)
	}
	if pidfd < 0 { // a kernel before 5.3
		if pidfd, err = unix.PidfdOpen(pid, 0); err != nil {
			pidfd = -1
		}
	}
	p := &Process{Pid: pid, Pidfd: pidfd, path: spec.Path}
	ws, err := p.waitExec()
	if ws != nil || err != nil {
		if err != nil {
			p.Kill()
		}
		p.closePidfd()
		return nil, ws, err
	}
	// If the caller dies during the set-up, the command dies too.
	unix.PtraceSetOptions(pid, unix.PTRACE_O_EXITKILL)
	return p, nil, nil
}

// waitExec waits for the exec stop.
func (p *Process) waitExec() (*unix.WaitStatus, error) {
	for {
		var ws unix.WaitStatus
		if _, err := Wait4(p.Pid, &ws, unix.WALL); err != nil {
			return nil, err
		}
		if !ws.Stopped() {
			return &ws, nil
		}
		if ws.StopSignal() == unix.SIGTRAP {
			if r, err := GetRegs(p.Pid); err == nil && atExecStop(&r) {
				return nil, nil
			}
			if compatTracee(p.Pid) {
				// The exec stop of an i386 program: the injection is
				// written for x86_64 code. Refuse rather than let the
				// SIGTRAP kill it.
				return nil, fmt.Errorf("%s is a 32-bit (i386) program, which sysfence cannot start at its exec stop yet (quiet runs of filters that allow execve can): %w", p.path, notsup.ErrNotSupported)
			}
		}
		// A signal that reached the child before its exec: let it act.
		if err := unix.PtraceCont(p.Pid, int(ws.StopSignal())); err != nil {
			return nil, fmt.Errorf("ptrace: %w", err)
		}
	}
}

// Inject prepares system calls injected into the command at its exec
// stop (see Injector); call its Restore before the command runs.
func (p *Process) Inject() (*Injector, error) {
	if p.in != nil {
		return p.in, nil
	}
	in, err := newInjector(p.Pid)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.path, err)
	}
	p.in = in
	return in, nil
}

// Kill ends the command with SIGKILL and reaps it.
func (p *Process) Kill() {
	unix.Kill(p.Pid, unix.SIGKILL)
	var st unix.WaitStatus
	unix.Wait4(p.Pid, &st, unix.WALL, nil)
}

func (p *Process) closePidfd() {
	if p.Pidfd >= 0 {
		unix.Close(p.Pidfd)
		p.Pidfd = -1
	}
}

// Seize turns the PTRACE_TRACEME attachment of the command, stopped at
// its exec stop and set up, into a PTRACE_SEIZE one with the given
// options (PTRACE_O_EXITKILL always), which job control needs (a seized
// tracee in group-stop waits for SIGCONT under PTRACE_LISTEN, where a
// traced one would have to be resumed by hand): detach leaving the
// command stopped by SIGSTOP, seize it, and continue it. It has not run
// yet; the SIGCONT it is sent is ignored by default.
func (p *Process) Seize(options int) error {
	if err := ptrace(unix.PTRACE_DETACH, p.Pid, 0, uintptr(unix.SIGSTOP)); err != nil {
		return fmt.Errorf("ptrace: detaching from the command: %w", err)
	}
	var ws unix.WaitStatus
	if _, err := Wait4(p.Pid, &ws, unix.WUNTRACED); err != nil {
		return err
	}
	if err := ptrace(unix.PTRACE_SEIZE, p.Pid, 0, uintptr(options|unix.PTRACE_O_EXITKILL)); err != nil {
		return fmt.Errorf("ptrace: seizing the command: %w", err)
	}
	if err := unix.Kill(p.Pid, unix.SIGCONT); err != nil {
		return fmt.Errorf("resuming the command: %w", err)
	}
	return nil
}

// SeizeFirst seizes the command before anything is injected, for a
// tracer whose filter needs it seized (a RET_TRACE filter fails every
// call with ENOSYS while no tracer asked for seccomp stops): detach
// leaving the command stopped by SIGSTOP, seize it with options
// (PTRACE_O_EXITKILL always), and wait for the stop that seizing a
// stopped task reports. The command, still alone in the process group it
// was forked into, cannot be resumed by a terminal's SIGCONT in between.
// Signals that reach it meanwhile are sent again once the injection is
// restored. Resume it with Continue after the injection.
func (p *Process) SeizeFirst(options int) (*unix.WaitStatus, error) {
	if err := ptrace(unix.PTRACE_DETACH, p.Pid, 0, uintptr(unix.SIGSTOP)); err != nil {
		return nil, fmt.Errorf("ptrace: detaching from the command: %w", err)
	}
	var ws unix.WaitStatus
	if _, err := Wait4(p.Pid, &ws, unix.WUNTRACED); err != nil {
		return nil, err
	}
	if !ws.Stopped() {
		return &ws, nil
	}
	if err := ptrace(unix.PTRACE_SEIZE, p.Pid, 0, uintptr(options|unix.PTRACE_O_EXITKILL)); err != nil {
		return nil, fmt.Errorf("ptrace: seizing the command: %w", err)
	}
	var pending []unix.Signal
	for {
		if _, err := Wait4(p.Pid, &ws, unix.WALL); err != nil {
			return nil, err
		}
		if !ws.Stopped() {
			return &ws, nil
		}
		if (uint32(ws)>>16)&0xff == unix.PTRACE_EVENT_STOP {
			break
		}
		// A signal-delivery-stop: hold the signal back and let the
		// command reach the group-stop trap.
		pending = append(pending, ws.StopSignal())
		if err := unix.PtraceCont(p.Pid, 0); err != nil {
			return nil, fmt.Errorf("ptrace: %w", err)
		}
	}
	in, err := p.Inject()
	if err != nil {
		return nil, err
	}
	in.deferred = append(in.deferred, pending...)
	return nil, nil
}

// Continue ends the group-stop of SeizeFirst: the command stays in its
// ptrace-stop, and the SIGCONT waits for it like any signal.
func (p *Process) Continue() error {
	if err := unix.Kill(p.Pid, unix.SIGCONT); err != nil {
		return fmt.Errorf("resuming the command: %w", err)
	}
	return nil
}

// Detach lets the command run on without a tracer.
func (p *Process) Detach() error {
	if err := unix.PtraceDetach(p.Pid); err != nil {
		return fmt.Errorf("ptrace: detaching from the command: %w", err)
	}
	return nil
}

func ptrace(req int, pid int, addr, data uintptr) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(pid), addr, data, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// execError classifies a failure of the child's PTRACE_TRACEME or execve.
func execError(name, resolved string, err error) error {
	var e syscall.Errno
	errors.As(err, &e)
	switch e {
	case unix.ENOENT, unix.ENOTDIR:
		if _, serr := os.Stat(resolved); serr == nil && e == unix.ENOENT {
			return &ExecError{Path: name, Kind: ErrNotFound, Err: ErrMissingInterpreter}
		}
		return &ExecError{Path: name, Kind: ErrNotFound, Err: err}
	case unix.EPERM:
		// The file was found executable beforehand: this is most likely
		// PTRACE_TRACEME being refused.
		if tracer, _ := procfs.StatusInt(os.Getpid(), "TracerPid"); tracer != 0 {
			return fmt.Errorf("cannot start %s: %w: sysfence needs ptrace to put the filter into the command, "+
				"and process %d already traces sysfence and its children (run an outer sysfence with --quiet)", name, err, tracer)
		}
		return fmt.Errorf("cannot start %s: %w (sysfence needs ptrace to put the filter into the command: "+
			"is ptrace disabled here, by kernel.yama.ptrace_scope=3 or by a seccomp profile around sysfence?)", name, err)
	}
	return &ExecError{Path: name, Kind: ErrNotExecutable, Err: err}
}
