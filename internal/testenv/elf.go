package testenv

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// Hand-made ELF files: tiny static programs whose every instruction is
// known, for probes of what this machine does with them and for tests
// that need a program no compiler flag (-m32) has to build.

const (
	emI386   = 3
	emX86_64 = 62
	// emNone is an e_machine no architecture has: no kernel runs such a
	// file, and no qemu-user binfmt_misc entry claims it (they match on
	// e_machine).
	emNone = 0x5f5f

	elf32Base, elf32Hdr = 0x08048000, 52 + 32
	elf64Base, elf64Hdr = 0x400000, 64 + 56

	// elf32Entry and elf64Entry are where code starts in memory; data
	// follows the code.
	elf32Entry = elf32Base + elf32Hdr
	elf64Entry = elf64Base + elf64Hdr
)

// elf32 is a static ET_EXEC for machine with one read+execute PT_LOAD
// holding code and then data.
func elf32(machine uint16, code, data []byte) []byte {
	le := binary.LittleEndian
	body := append(append([]byte{}, code...), data...)
	size := uint32(elf32Hdr + len(body))
	f := []byte{0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	f = le.AppendUint16(f, 2) // ET_EXEC
	f = le.AppendUint16(f, machine)
	f = le.AppendUint32(f, 1)
	f = le.AppendUint32(f, elf32Entry) // e_entry
	f = le.AppendUint32(f, 52)         // e_phoff
	f = le.AppendUint32(f, 0)          // e_shoff
	f = le.AppendUint32(f, 0)          // e_flags
	f = le.AppendUint16(f, 52)         // e_ehsize
	f = le.AppendUint16(f, 32)         // e_phentsize
	f = le.AppendUint16(f, 1)          // e_phnum
	f = le.AppendUint16(f, 0)
	f = le.AppendUint16(f, 0)
	f = le.AppendUint16(f, 0)
	for _, v := range []uint32{1, 0, elf32Base, elf32Base, size, size, 5, 0x1000} { // PT_LOAD, R+X
		f = le.AppendUint32(f, v)
	}
	return append(f, body...)
}

// elf64 is elf32 for a 64-bit machine.
func elf64(machine uint16, code, data []byte) []byte {
	le := binary.LittleEndian
	body := append(append([]byte{}, code...), data...)
	size := uint64(elf64Hdr + len(body))
	f := []byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	f = le.AppendUint16(f, 2) // ET_EXEC
	f = le.AppendUint16(f, machine)
	f = le.AppendUint32(f, 1)
	f = le.AppendUint64(f, elf64Entry) // e_entry
	f = le.AppendUint64(f, 64)         // e_phoff
	f = le.AppendUint64(f, 0)          // e_shoff
	f = le.AppendUint32(f, 0)          // e_flags
	f = le.AppendUint16(f, 64)         // e_ehsize
	f = le.AppendUint16(f, 56)         // e_phentsize
	f = le.AppendUint16(f, 1)          // e_phnum
	f = le.AppendUint16(f, 0)
	f = le.AppendUint16(f, 0)
	f = le.AppendUint16(f, 0)
	f = le.AppendUint32(f, 1) // PT_LOAD
	f = le.AppendUint32(f, 5) // R+X
	for _, v := range []uint64{0, elf64Base, elf64Base, size, size, 0x1000} {
		f = le.AppendUint64(f, v)
	}
	return append(f, body...)
}

// imm32 appends v as a little-endian 32-bit immediate.
func imm32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }

// i386Hello is a static i386 program for machine that prints "hi\n"
// through int 0x80 write and exits 0.
func i386Hello(machine uint16) []byte {
	msg := []byte("hi\n")
	var code []byte
	code = imm32(append(code, 0xb8), 4)         // mov eax, 4 (write)
	code = imm32(append(code, 0xbb), 1)         // mov ebx, 1
	code = imm32(append(code, 0xb9), 0)         // mov ecx, msg (set below)
	code = imm32(append(code, 0xba), 3)         // mov edx, 3
	code = append(code, 0xcd, 0x80)             // int 0x80
	code = imm32(append(code, 0xb8), 1)         // mov eax, 1 (exit)
	code = append(code, 0x31, 0xdb, 0xcd, 0x80) // xor ebx, ebx; int 0x80
	binary.LittleEndian.PutUint32(code[11:], elf32Entry+uint32(len(code)))
	return elf32(machine, code, msg)
}

// writeProgram writes prog as an executable file name in a new temporary
// directory of t.
func writeProgram(t testing.TB, name string, prog []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, prog, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// I386Hello writes a minimal static i386 ELF that prints "hi\n" through
// int 0x80 write and exits 0 (no compiler with -m32 needed) and returns
// its path. Whether this machine runs it is CanExecI386.
func I386Hello(t testing.TB) string {
	t.Helper()
	return writeProgram(t, "hi32", i386Hello(emI386))
}

// UnrunnableELF writes the program of I386Hello with an e_machine that no
// architecture has and returns its path: execve fails with ENOEXEC ("exec
// format error") on every machine, exactly as it does for an i386 program
// on a kernel without i386 support (which has no handler for either).
// Tests use it to check, on every machine, what they assert for an i386
// program where CanExecI386 is false.
func UnrunnableELF(t testing.TB) string {
	t.Helper()
	return writeProgram(t, "unrunnable", i386Hello(emNone))
}
