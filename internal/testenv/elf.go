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

// elfFile is a static ET_EXEC for machine, 32-bit (ELFCLASS32) or 64-bit,
// with one read+execute PT_LOAD holding code and then data. The two
// classes differ only in the width of addresses and offsets and in where
// the program header puts p_flags.
func elfFile(is64 bool, machine uint16, code, data []byte) []byte {
	le := binary.LittleEndian
	class, base, entry, ehsize, phentsize := byte(1), uint64(elf32Base), uint64(elf32Entry), uint16(52), uint16(32)
	if is64 {
		class, base, entry, ehsize, phentsize = 2, elf64Base, elf64Entry, 64, 56
	}
	word := func(f []byte, v uint64) []byte { // an address or offset
		if is64 {
			return le.AppendUint64(f, v)
		}
		return le.AppendUint32(f, uint32(v))
	}
	body := append(append([]byte{}, code...), data...)
	size := entry - base + uint64(len(body))
	f := []byte{0x7f, 'E', 'L', 'F', class, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	f = le.AppendUint16(f, 2) // ET_EXEC
	f = le.AppendUint16(f, machine)
	f = le.AppendUint32(f, 1)
	f = word(f, entry)                // e_entry
	f = word(f, uint64(ehsize))       // e_phoff
	f = word(f, 0)                    // e_shoff
	f = le.AppendUint32(f, 0)         // e_flags
	f = le.AppendUint16(f, ehsize)    // e_ehsize
	f = le.AppendUint16(f, phentsize) // e_phentsize
	f = le.AppendUint16(f, 1)         // e_phnum
	f = le.AppendUint16(f, 0)
	f = le.AppendUint16(f, 0)
	f = le.AppendUint16(f, 0)
	const ptLoad, rx = 1, 5
	f = le.AppendUint32(f, ptLoad)
	if is64 {
		f = le.AppendUint32(f, rx) // p_flags
	}
	for _, v := range []uint64{0, base, base, size, size} { // p_offset, p_vaddr, p_paddr, p_filesz, p_memsz
		f = word(f, v)
	}
	if !is64 {
		f = le.AppendUint32(f, rx) // p_flags
	}
	f = word(f, 0x1000) // p_align
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
	return elfFile(false, machine, code, msg)
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
