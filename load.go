package sysfence

import (
	"fmt"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/seccomp"
)

// The kernel-facing calls, as variables so that tests can stand in for a
// kernel without seccomp (without ever installing anything in the test
// process).
var (
	probeFilter = seccomp.CheckFilter
	probeStrict = seccomp.CheckStrict
	probeAction = seccomp.CheckAction
	loadFilter  = seccomp.Load
	enterStrict = seccomp.SetStrict
)

// Load installs the filter into the running process: it sets
// no_new_privs and loads the program on every thread at once
// (SECCOMP_FILTER_FLAG_TSYNC), from a goroutine locked to its OS thread
// (seccomp_load with SCMP_FLTATR_CTL_TSYNC). From then on the filter
// decides every system call of every thread, including threads created
// later, and of every child process; it cannot be removed.
//
// Load fails with an error wrapping ErrNotSupported when the kernel has no
// seccomp filters or lacks an action the filter uses; it never returns
// nil without the filter in force.
func (f *Filter) Load() error {
	c, err := f.build()
	if err != nil {
		return err
	}
	if err := probeFilter(); err != nil {
		return fmt.Errorf("sysfence: cannot load the filter: %w", err)
	}
	for _, a := range actions(c.pol) {
		if a.Kind() == policy.ActUserNotif {
			return fmt.Errorf("sysfence: cannot load the filter: %w: the profile uses SCMP_ACT_NOTIFY, which needs a supervisor; the Go API runs none", ErrInvalidRule)
		}
		if err := probeAction(a); err != nil {
			return fmt.Errorf("sysfence: cannot load the filter: %w", err)
		}
	}
	flags, err := f.loadFlags()
	if err != nil {
		return err
	}
	if _, err := loadFilter(c.prog, flags); err != nil {
		return fmt.Errorf("sysfence: %w", err)
	}
	return nil
}

// actions lists the distinct action kinds a policy can return.
func actions(p *policy.Policy) []Action {
	seen := map[Action]bool{}
	var out []Action
	add := func(a Action) {
		if k := a.Kind(); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	add(p.DefaultAction)
	add(p.BadArch)
	if p.ENOSYSApplies() {
		add(policy.Errno(policy.ENOSYS))
	}
	for _, ap := range p.Arches {
		for _, r := range ap.Rules {
			add(r.Action)
		}
	}
	return out
}

// loadFlags are the profile's filter flags (TSYNC is always added by
// seccomp.Load); WAIT_KILLABLE_RECV needs a listener, which the Go API
// does not make.
func (f *Filter) loadFlags() (seccomp.FilterFlag, error) {
	if f.flags&seccomp.FlagWaitKillableRecv != 0 {
		return 0, fmt.Errorf("sysfence: cannot load the filter: %w: flag WAIT_KILLABLE_RECV needs a notification listener; the Go API runs none", ErrInvalidRule)
	}
	return f.flags, nil
}

// LoadStrict puts the calling OS thread into seccomp strict mode: from
// then on it may only call read, write, _exit (the thread's exit, not
// exit_group) and rt_sigreturn; any other call kills the thread with
// SIGKILL. Only this thread is affected (the kernel has no TSYNC for
// strict mode), so the caller must first lock its goroutine to the thread
// with runtime.LockOSThread and never unlock it, and must do nothing on it
// that makes the Go runtime call the kernel (no allocation that may need
// memory, no blocking on channels or locks, no timers): use raw
// syscall.RawSyscall reads and writes on file descriptors opened before.
// It is the classic sandbox for a computation that talks to the rest of
// the program through pipes; most Go code wants Filter.Load.
func LoadStrict() error {
	if err := probeStrict(); err != nil {
		return fmt.Errorf("sysfence: cannot enter strict mode: %w", err)
	}
	if err := enterStrict(); err != nil {
		return fmt.Errorf("sysfence: %w", err)
	}
	return nil
}
