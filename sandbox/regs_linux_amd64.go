package sandbox

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// x86_64 register access for injecting syscalls into a stopped tracee and
// for reading the syscall a tracee died in. The injection writes the
// two-byte `syscall` instruction at the current PC, points the registers
// at the call (rax = number; rdi, rsi, rdx, r10, r8, r9 = arguments) and
// single-steps over it; orig_rax is set to -1 so that the kernel's
// syscall-restart logic leaves the modified registers alone.

type regs = unix.PtraceRegs

const (
	nativeAuditArch = 0xc000003e // AUDIT_ARCH_X86_64
	auditArchI386   = 0x40000003 // AUDIT_ARCH_I386
	sysClose        = unix.SYS_CLOSE
	sysSeccomp      = unix.SYS_SECCOMP
	sysPrctl        = unix.SYS_PRCTL
	sysExecve       = unix.SYS_EXECVE
	sysExecveat     = unix.SYS_EXECVEAT
	// The syscalls strict mode allows (x86_64 numbers).
	sysRead, sysWrite, sysExit, sysRtSigreturn = unix.SYS_READ, unix.SYS_WRITE, unix.SYS_EXIT, unix.SYS_RT_SIGRETURN
	// redZone is the stack below the stack pointer that the ABI lets leaf
	// functions use without moving it; scratch data goes below it.
	redZone = 128
	// user32CS is the code segment of a task in 32-bit (compat) mode.
	user32CS = 0x23
)

var syscallInsn = []byte{0x0f, 0x05}

const injectSupported = true

func getRegs(pid int) (regs, error) {
	var r regs
	err := unix.PtraceGetRegs(pid, &r)
	return r, err
}

func setRegs(pid int, r *regs) error { return unix.PtraceSetRegs(pid, r) }

func pc(r *regs) uint64 { return r.Rip }
func sp(r *regs) uint64 { return r.Rsp }

// isCompat reports whether the tracee runs 32-bit code (an i386 program).
func isCompat(r *regs) bool { return r.Cs == user32CS }

// compatTracee reports whether the stopped tracee pid is a 32-bit task:
// PTRACE_GETREGSET (NT_PRSTATUS) answers with the tracee's own register
// layout, 17 32-bit words for an i386 program. (PTRACE_GETREGS at the
// exec stop of such a program gives all zeros here, which matches
// nothing.)
func compatTracee(pid int) bool {
	var buf [27 * 8]byte
	iov := unix.Iovec{Base: &buf[0]}
	iov.SetLen(len(buf))
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETREGSET, uintptr(pid), ntPRStatus, uintptr(unsafe.Pointer(&iov)), 0, 0)
	return e == 0 && iov.Len == 17*4
}

const ntPRStatus = 1 // NT_PRSTATUS

// prepareSyscall sets r up to make syscall nr with args at address at.
func prepareSyscall(r *regs, at uint64, nr uint64, args [6]uint64) {
	r.Rip = at
	r.Rax = nr
	r.Orig_rax = ^uint64(0)
	r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9 = args[0], args[1], args[2], args[3], args[4], args[5]
}

func syscallResult(r *regs) int64 { return int64(r.Rax) }

// atExecStop reports whether the registers are those of a tracee stopped
// right after a successful execve or execveat.
func atExecStop(r *regs) bool {
	return (r.Orig_rax == sysExecve || r.Orig_rax == sysExecveat) && r.Rax == 0
}

// stoppedSyscall returns the syscall a tracee is stopped in: at the
// PTRACE_EVENT_EXIT stop of a thread that a filter killed, the kernel has
// rolled the registers back to the call (rax == orig_rax); a strict-mode
// kill leaves rax at -ENOSYS. insnBefore is the instruction before the
// PC, which tells a 64-bit `syscall` from an i386 `int $0x80` or
// `sysenter`.
func stoppedSyscall(r *regs, insnBefore []byte) (auditArch uint32, nr uint32, args [6]uint64, ip uint64, ok bool) {
	if int64(r.Orig_rax) < 0 {
		return 0, 0, args, 0, false
	}
	nr = uint32(r.Orig_rax)
	ip = r.Rip
	compat := isCompat(r) || (len(insnBefore) == 2 && (insnBefore[0] == 0xcd && insnBefore[1] == 0x80 || insnBefore[0] == 0x0f && insnBefore[1] == 0x34))
	if compat {
		return auditArchI386, nr, [6]uint64{r.Rbx & 0xffffffff, r.Rcx & 0xffffffff, r.Rdx & 0xffffffff,
			r.Rsi & 0xffffffff, r.Rdi & 0xffffffff, r.Rbp & 0xffffffff}, ip, true
	}
	return nativeAuditArch, nr, [6]uint64{r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9}, ip, true
}

// afterSyscallInsn reports whether the instruction before a PC is one
// that enters the kernel for a syscall: `syscall`, `int $0x80` or
// `sysenter`.
func afterSyscallInsn(b []byte) bool {
	return len(b) == 2 && (b[0] == 0x0f && b[1] == 0x05 || b[0] == 0xcd && b[1] == 0x80 || b[0] == 0x0f && b[1] == 0x34)
}

// killedByFilter tells a filter kill (registers rolled back to the call)
// from a thread that died otherwise while in a syscall.
func killedByFilter(r *regs) bool { return int64(r.Orig_rax) >= 0 && r.Rax == r.Orig_rax }

// killedInCall tells a thread that died inside a call that never ran: a
// KILL_THREAD answer while other threads live makes the kernel end the
// thread at once, without rolling its registers back (rax still holds
// the entry code's -ENOSYS).
func killedInCall(r *regs) bool {
	return int64(r.Orig_rax) >= 0 && int64(r.Rax) == -int64(unix.ENOSYS)
}

// killedByStrict tells a strict-mode kill: the call never ran, so rax
// still holds the -ENOSYS the entry code puts there.
func killedByStrict(r *regs) bool {
	return int64(r.Orig_rax) >= 0 && int64(r.Rax) == -int64(unix.ENOSYS) && !strictAllowed(uint32(r.Orig_rax))
}

func strictAllowed(nr uint32) bool {
	switch nr {
	case sysRead, sysWrite, sysExit, sysRtSigreturn:
		return true
	}
	return false
}

// tscInstruction names the instruction at the PC if it reads the time
// stamp counter, which strict mode disables (PR_SET_TSC): a dynamically
// linked program's loader executes rdtsc before its first syscall and
// dies of SIGSEGV there.
func tscInstruction(code []byte) string {
	switch {
	case len(code) >= 2 && code[0] == 0x0f && code[1] == 0x31:
		return "rdtsc"
	case len(code) >= 3 && code[0] == 0x0f && code[1] == 0x01 && code[2] == 0xf9:
		return "rdtscp"
	}
	return ""
}
