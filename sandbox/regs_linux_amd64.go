package sandbox

import (
	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/internal/launch"
)

// x86_64 registers as the observer reads them: the syscall a tracee
// stopped or died in (the launcher's injection has its own, in
// internal/launch).

type regs = launch.Regs

const (
	nativeAuditArch = 0xc000003e // AUDIT_ARCH_X86_64
	auditArchI386   = 0x40000003 // AUDIT_ARCH_I386
	sysClose        = unix.SYS_CLOSE
	// The syscalls strict mode allows (x86_64 numbers).
	sysRead, sysWrite, sysExit, sysRtSigreturn = unix.SYS_READ, unix.SYS_WRITE, unix.SYS_EXIT, unix.SYS_RT_SIGRETURN
)

func getRegs(pid int) (regs, error) { return launch.GetRegs(pid) }
func pc(r *regs) uint64             { return launch.PC(r) }
func isCompat(r *regs) bool         { return launch.IsCompat(r) }

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
