package ptrace

import (
	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/syscalls"
)

// setArg0 replaces the register that carries the first syscall argument
// of a stopped thread on ABI arch (rdi on x86_64 and x32, ebx for int
// 0x80 on i386) and returns the register's previous value, all 64 bits
// of it. At a seccomp stop the kernel reads the arguments from the
// registers after the tracer resumes the thread, so the call sees v.
func setArg0(tid int, arch *syscalls.Arch, v func(old uint64) uint64) (old uint64, err error) {
	var regs unix.PtraceRegs
	if err := unix.PtraceGetRegs(tid, &regs); err != nil {
		return 0, err
	}
	var r *uint64
	switch arch.Name {
	case "x86_64", "x32":
		r = &regs.Rdi
	case "x86":
		r = &regs.Rbx
	default:
		return 0, errUnknownABI
	}
	old = *r
	*r = v(old)
	return old, unix.PtraceSetRegs(tid, &regs)
}
