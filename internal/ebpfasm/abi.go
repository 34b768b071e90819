package ebpfasm

import (
	"github.com/cilium/ebpf/asm"

	"github.com/sysfence/sysfence/syscalls"
)

// The ABIs of an x86_64 kernel's syscalls, as the programs tell them
// apart and index their maps by.
const (
	ABINative = 0 // x86_64
	ABIX86    = 1 // i386 (compat): int 0x80, sysenter, 32-bit processes
	ABIX32    = 2 // x32: native entry with the x32 bit in the number
	ABICount  = 3

	tsCompat = 0x0002 // TS_COMPAT in thread_info.status (x86)
)

// Arches returns the syscall tables of the ABIs, by their index.
func Arches() ([ABICount]*syscalls.Arch, error) {
	var out [ABICount]*syscalls.Arch
	for i, n := range [ABICount]string{ABINative: "x86_64", ABIX86: "x86", ABIX32: "x32"} {
		a, err := syscalls.ArchByName(n)
		if err != nil {
			return out, err
		}
		out[i] = a
	}
	return out, nil
}

// ABI sets register abi to the ABI of the current syscall and clears
// the x32 bit of its number in register nr (a compat call's is left as
// it is); task holds the current task. The kernel sets TS_COMPAT in
// thread_info.status for the duration of every 32-bit syscall, int 0x80
// from a 64-bit process included; it is what seccomp itself uses for
// seccomp_data.arch. Clobbers tmp.
func (b *Builder) ABI(l *TaskLayout, task, nr, abi, tmp asm.Register) {
	native, done := b.Fresh("abi_native"), b.Fresh("abi_done")
	b.Emit(asm.LoadMem(tmp, task, int16(l.Status), asm.Word),
		asm.Mov.Imm(abi, ABINative),
		asm.And.Imm(tmp, tsCompat),
		asm.JEq.Imm(tmp, 0, native),
		asm.Mov.Imm(abi, ABIX86),
		asm.Ja.Label(done))
	b.Mark(native)
	b.Emit(asm.Mov.Reg(tmp, nr),
		asm.And.Imm(tmp, syscalls.X32SyscallBit),
		asm.JEq.Imm(tmp, 0, done),
		asm.Mov.Imm(abi, ABIX32),
		asm.And.Imm(nr, ^int32(syscalls.X32SyscallBit))) // sign-extends: clears only bit 30
	b.Mark(done)
}

// ObjName is a program's or map's name as the kernel keeps it: at most
// BPF_OBJ_NAME_LEN-1 bytes.
func ObjName(s string) string {
	if len(s) > 15 {
		s = s[:15]
	}
	return s
}
