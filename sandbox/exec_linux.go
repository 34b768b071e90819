package sandbox

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/landlock"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/seccomp"
	"github.com/sysfence/sysfence/syscalls"
)

// Exec replaces the calling program with the command, confined by
// opts.Filter (with TIOCSTI and TIOCLINUX refused: see addedRules), as
// execve(2) does: the command keeps this process's PID,
// parent, terminal and signal dispositions, and nothing stays behind to
// wait for it or report on it. It returns only on failure; the process
// has then not been changed, except when the final execve itself fails
// (see below).
//
// Exec applies when the filter can be put in by the calling thread right
// before its execve without anything but that execve noticing it: the
// filter must allow execve and every call the Go runtime can make on the
// thread in between (see inPlaceCalls), checked by running the filter on
// them. Otherwise, and for everything that needs sysfence to stay (strict
// mode, which cannot be entered before execve; reports; audit mode; path
// and port rules), it returns ErrNeedsChild before changing anything, and
// the caller uses Run, which installs the filter at the command's exec
// stop and does not need the filter to allow execve.
//
// The filter goes onto the calling thread only (no TSYNC): the goroutine
// is locked to it, and the other threads of the process never run under
// it; execve ends them. The command is isolated from the processes
// outside it (see Isolation) by a Landlock domain that, likewise, only
// the calling thread enters. A failed execve leaves the calling thread
// (only) under the domain and the filter; the caller should report and
// exit.
func Exec(cmd *Command, opts *Options) error {
	if opts == nil {
		return errors.New("sandbox: no options")
	}
	if cmd == nil {
		return errors.New("sandbox: no command to run")
	}
	if cmd.Path == "" {
		return &ExecError{Path: cmd.Path, Kind: ErrNotFound} // as a shell says of ''
	}
	if opts.Strict || opts.Filter == nil || opts.Report != nil || opts.Audit || opts.Agent != nil ||
		opts.Landlock.HasRules() || opts.SupervisedPaths != nil || opts.SupervisedExec ||
		cmd.Dir != "" || !ownStdio(cmd) {
		return ErrNeedsChild
	}
	if err := checkFlags(opts); err != nil {
		return err
	}
	native, err := syscalls.Native()
	if err != nil {
		return fmt.Errorf("sandbox: %w: %w", err, ErrNotSupported)
	}
	if err := checkFilter(opts); err != nil {
		return err
	}
	if !allowsInPlace(opts.Filter, native) {
		return ErrNeedsChild
	}
	kabi, _ := landlock.KernelABI()
	iso, err := planIsolation(opts, kabi)
	if err != nil {
		return err
	}
	if iso.fallback {
		// Without Landlock the filter itself must refuse the calls that
		// reach other processes: sysfence's added rules, which Run adds.
		return ErrNeedsChild
	}
	// The command keeps the caller's terminal: the filter refuses
	// TIOCSTI and TIOCLINUX, as Run's does (added_linux.go).
	filter, stacked, err := withTerminalRules(opts.Filter, native)
	if err != nil {
		return err
	}
	path, err := lookPath(cmd)
	if err != nil {
		return err
	}
	argv := cmd.Args
	if len(argv) == 0 {
		argv = []string{cmd.Path}
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	// Never unlocked: the thread becomes the command, or the caller
	// exits after the failure.
	runtime.LockOSThread()
	if err := seccomp.SetNoNewPrivs(); err != nil {
		return err
	}
	// The command's domain, on this thread only (landlock.Apply): the
	// parent it keeps (the user's shell) is outside it, and so out of
	// its reach. Before the filter, which need not allow the Landlock
	// calls.
	if _, err := landlock.Apply(iso.plan); err != nil {
		return fmt.Errorf("sandbox: isolating the command: %w", err)
	}
	if stacked != nil {
		if _, err := seccomp.LoadFilter(stacked, 0); err != nil {
			return err
		}
	}
	if _, err := seccomp.LoadFilter(filter, opts.Flags); err != nil {
		return err
	}
	err = syscall.Exec(path, argv, env)
	switch {
	case err == syscall.ENOENT:
		// lookPath found the file: what is missing is what it needs.
		return &ExecError{Path: cmd.Path, Kind: ErrNotFound, Err: ErrMissingInterpreter}
	case err == syscall.ENOTDIR:
		return &ExecError{Path: cmd.Path, Kind: ErrNotFound, Err: err}
	}
	return &ExecError{Path: cmd.Path, Kind: ErrNotExecutable, Err: err}
}

// inPlaceCalls are the calls the calling thread may make between loading
// the filter and the kernel's execve: syscall.Exec restores the original
// RLIMIT_NOFILE (prlimit64) and converts its arguments (the allocator may
// map and advise memory), the runtime may park or wake (futex, nanosleep,
// sched_yield), a signal may run its handler (rt_sigreturn, sigaltstack,
// rt_sigprocmask, tgkill, getpid, gettid), and a failed exec is reported
// (write) before the process exits.
var inPlaceCalls = []string{"execve", "prlimit64", "mmap", "munmap", "madvise", "futex", "nanosleep",
	"sched_yield", "rt_sigreturn", "sigaltstack", "rt_sigprocmask", "tgkill", "getpid", "gettid",
	"write", "exit", "exit_group"}

// allowsInPlace runs prog on every call of inPlaceCalls, with arguments
// that stand for none, small and pointer-sized values: each must be
// allowed.
func allowsInPlace(prog bpf.Program, native *syscalls.Arch) bool {
	samples := [][6]uint64{{}, {1, 1, 1, 1, 1, 1}, {0xc000010000, 0xc000020000, 0xc000030000, 0, 0, 0},
		{0x7ffc00001000, 0x7ffc00002000, 0x7ffc00003000, 0, 0, 0}}
	for _, name := range inPlaceCalls {
		nr, ok := native.Number(name)
		if !ok {
			continue // not on this ABI (e.g. no separate rt_sigreturn)
		}
		for _, args := range samples {
			d := bpf.Data{Nr: nr, Arch: native.AuditArch, Args: args}
			res, err := bpf.Run(prog, &d, native.BigEndian, false)
			if err != nil || policy.Action(res.Ret).Kind() != policy.ActAllow {
				return false
			}
		}
	}
	return true
}

// ownStdio reports whether the command's stdio are this process's own
// descriptors 0, 1 and 2 (Exec cannot redirect them).
func ownStdio(cmd *Command) bool {
	for i, f := range []*os.File{cmd.Stdin, cmd.Stdout, cmd.Stderr} {
		if f != nil && f.Fd() != uintptr(i) {
			return false
		}
	}
	return true
}
