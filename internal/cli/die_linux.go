//go:build linux && !mips && !mipsle && !mips64 && !mips64le

package cli

import (
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dieBy ends the process by sig, as the kernel would end a process that
// does not handle it; it returns only if sig does not end processes (a
// stop signal, say). Go's runtime handles most signals itself (SIGQUIT
// and SIGSYS with a stack dump, SIGUSR1 not at all), so the disposition
// is set to SIG_DFL with rt_sigaction directly, behind its back: nothing
// of sysfence runs afterwards. Its own core is not dumped (RLIMIT_CORE 0):
// the command's core, if any, was the command's to dump.
func dieBy(sig syscall.Signal) {
	runtime.LockOSThread()
	unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	// struct sigaction with every field zero is SIG_DFL, whatever the
	// ABI's layout; 64 bytes cover every layout here.
	var act [64]byte
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act[0])), 0, sigsetSize, 0, 0); e != 0 {
		return
	}
	set := uint64(1) << (uint(sig) - 1)
	unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_UNBLOCK, uintptr(unsafe.Pointer(&set)), 0, sigsetSize, 0, 0)
	unix.Tgkill(unix.Getpid(), unix.Gettid(), sig)
}

// sigsetSize is the kernel's sigset_t size (_NSIG/8) outside MIPS.
const sigsetSize = 8
