package seccomp

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
)

// SetNoNewPrivs sets no_new_privs on the calling thread (inherited by
// threads and children it creates later, kept across execve). It is what
// lets an unprivileged thread install a filter.
func SetNoNewPrivs() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("seccomp: prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	return nil
}

// NoNewPrivs reports whether no_new_privs is set on the calling thread.
func NoNewPrivs() (bool, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_PRCTL, unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0, 0)
	if e != 0 {
		return false, fmt.Errorf("seccomp: prctl(PR_GET_NO_NEW_PRIVS): %w", e)
	}
	return r == 1, nil
}

// CurrentMode returns the seccomp mode of the calling thread.
func CurrentMode() (Mode, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_PRCTL, unix.PR_GET_SECCOMP, 0, 0, 0, 0, 0)
	if e != 0 {
		if e == unix.EINVAL {
			return 0, fmt.Errorf("seccomp: kernel built without CONFIG_SECCOMP: %w", ErrNotSupported)
		}
		return 0, fmt.Errorf("seccomp: prctl(PR_GET_SECCOMP): %w", e)
	}
	return Mode(r), nil
}

// Fprog returns the raw filter and the struct sock_fprog pointing at it,
// in the native byte order, for seccomp(2) in this process. The caller
// keeps the returned slice alive for as long as the fprog is used.
func fprog(prog bpf.Program) ([]byte, *unix.SockFprog, error) {
	if len(prog) == 0 {
		return nil, nil, fmt.Errorf("seccomp: empty filter: %w", bpf.ErrInvalid)
	}
	if len(prog) > bpf.MaxInstructions {
		return nil, nil, fmt.Errorf("seccomp: filter of %d instructions: %w", len(prog), bpf.ErrTooLong)
	}
	raw := prog.Encode(binary.NativeEndian)
	return raw, &unix.SockFprog{Len: uint16(len(prog)), Filter: (*unix.SockFilter)(unsafe.Pointer(&raw[0]))}, nil
}

// LoadFilter installs prog on the calling thread with
// seccomp(SECCOMP_SET_MODE_FILTER, flags). The thread needs no_new_privs
// (SetNoNewPrivs) or CAP_SYS_ADMIN. In a Go program, either pass FlagTSync
// (the filter then covers every thread, as it must: goroutines move
// between threads) or lock the goroutine to its thread for as long as the
// distinction matters. With FlagNewListener the returned Listener receives
// the filter's notifications; otherwise it is nil.
//
// Once installed, a filter cannot be removed from the thread.
func LoadFilter(prog bpf.Program, flags FilterFlag) (*Listener, error) {
	if err := flags.Validate(); err != nil {
		return nil, err
	}
	raw, fp, err := fprog(prog)
	if err != nil {
		return nil, err
	}
	r, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(fp)))
	runtime.KeepAlive(raw)
	if e != 0 {
		return nil, NewLoadError(flags, e)
	}
	if flags&FlagTSync != 0 && flags&FlagNewListener == 0 && r != 0 {
		return nil, &LoadError{Flags: flags, TSyncTid: int(r)}
	}
	if flags&FlagNewListener != 0 {
		return NewListener(int(r))
	}
	return nil, nil
}

// NewLoadError is the error for seccomp(SECCOMP_SET_MODE_FILTER, flags)
// failing with errno e, saying what the caller must fix. (Package sandbox
// makes the call in another process and reports its failure with it.)
func NewLoadError(flags FilterFlag, e syscall.Errno) *LoadError {
	return &LoadError{Flags: flags, Err: explainLoadErrno(unix.Errno(e), flags)}
}

// explainLoadErrno turns seccomp(2)'s errnos into what the caller must fix.
func explainLoadErrno(e unix.Errno, flags FilterFlag) error {
	switch e {
	case unix.EACCES:
		return fmt.Errorf("no_new_privs is not set and the caller lacks CAP_SYS_ADMIN: %w", e)
	case unix.EINVAL:
		if err := CheckFlags(flags); err != nil {
			return err
		}
		return fmt.Errorf("the kernel refused the program (invalid BPF, or an action or flag it does not know): %w", e)
	case unix.ENOSYS:
		return fmt.Errorf("seccomp(2) is not available: %w", ErrNotSupported)
	case unix.ESRCH:
		return fmt.Errorf("another thread is in a different seccomp state (TSYNC): %w", e)
	case unix.EBUSY:
		return fmt.Errorf("a filter with a notification listener is already installed: %w", e)
	case unix.ENOMEM:
		return fmt.Errorf("filters of this thread exceed the kernel's limit (MAX_INSNS_PER_PATH): %w", e)
	}
	return e
}

// Load confines the whole calling process: it sets no_new_privs and
// installs prog on every thread (TSYNC; TSYNC_ESRCH too when a listener is
// asked for), with the calling goroutine locked to its OS thread so that
// the two steps happen on the same thread.
func Load(prog bpf.Program, flags FilterFlag) (*Listener, error) {
	flags |= FlagTSync
	if flags&FlagNewListener != 0 {
		flags |= FlagTSyncESRCH
	}
	if err := CheckFilter(); err != nil {
		return nil, err
	}
	if err := CheckFlags(flags); err != nil {
		return nil, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// no_new_privs is per thread; TSYNC refuses to sync a thread that does
	// not have it unless the caller has CAP_SYS_ADMIN, and the kernel sets
	// it on every synced thread, so setting it here suffices.
	if err := SetNoNewPrivs(); err != nil {
		return nil, err
	}
	return LoadFilter(prog, flags)
}

// SetStrict puts the calling thread into strict mode: from then on it may
// only call read, write, _exit and rt_sigreturn; anything else kills the
// thread (not the process) with SIGKILL. The kernel offers no TSYNC for strict mode, so in a Go
// program only a thread locked with runtime.LockOSThread that never
// returns to the scheduler can meaningfully use it; sandbox uses it for
// other processes instead. A thread killed in strict mode takes its P
// with it: the Go runtime's next stop-the-world (a garbage collection)
// then waits for it for ever.
func SetStrict() error {
	if err := CheckStrict(); err != nil {
		return err
	}
	// A raw system call: a Go one may, on its way out, hand the thread's
	// P back through futex or sched_yield, which strict mode kills the
	// thread for before SetStrict even returns.
	if _, _, errno := unix.RawSyscall6(unix.SYS_PRCTL, unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_STRICT, 0, 0, 0, 0); errno != 0 {
		return fmt.Errorf("seccomp: prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT): %w", errno)
	}
	return nil
}
