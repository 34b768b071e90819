package launch

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// x86_64 register access for injecting syscalls into a stopped tracee.
// The injection writes the two-byte `syscall` instruction at the current
// PC, points the registers at the call (rax = number; rdi, rsi, rdx,
// r10, r8, r9 = arguments) and single-steps over it; orig_rax is set to
// -1 so that the kernel's syscall-restart logic leaves the modified
// registers alone.

// Regs are a tracee's registers as PTRACE_GETREGS gives them.
type Regs = unix.PtraceRegs

// Supported tells whether commands can be started at their exec stop on
// this architecture (the injection is written for x86_64).
const Supported = true

const (
	sysClose    = unix.SYS_CLOSE
	sysSeccomp  = unix.SYS_SECCOMP
	sysPrctl    = unix.SYS_PRCTL
	sysExecve   = unix.SYS_EXECVE
	sysExecveat = unix.SYS_EXECVEAT
	// redZone is the stack below the stack pointer that the ABI lets leaf
	// functions use without moving it; scratch data goes below it.
	redZone = 128
	// user32CS is the code segment of a task in 32-bit (compat) mode.
	user32CS = 0x23
)

var syscallInsn = []byte{0x0f, 0x05}

// GetRegs reads a stopped tracee's registers.
func GetRegs(pid int) (Regs, error) {
	var r Regs
	err := unix.PtraceGetRegs(pid, &r)
	return r, err
}

func setRegs(pid int, r *Regs) error { return unix.PtraceSetRegs(pid, r) }

// PC is the instruction pointer.
func PC(r *Regs) uint64 { return r.Rip }

func sp(r *Regs) uint64 { return r.Rsp }

// IsCompat reports whether the tracee runs 32-bit code (an i386 program).
func IsCompat(r *Regs) bool { return r.Cs == user32CS }

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
func prepareSyscall(r *Regs, at uint64, nr uint64, args [6]uint64) {
	r.Rip = at
	r.Rax = nr
	r.Orig_rax = ^uint64(0)
	r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9 = args[0], args[1], args[2], args[3], args[4], args[5]
}

func syscallResult(r *Regs) int64 { return int64(r.Rax) }

// atExecStop reports whether the registers are those of a tracee stopped
// right after a successful execve or execveat.
func atExecStop(r *Regs) bool {
	return (r.Orig_rax == sysExecve || r.Orig_rax == sysExecveat) && r.Rax == 0
}
