package analyze_test

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sysfence/sysfence/analyze"
)

// tinyELF returns a static x86_64 executable whose code is code, with
// the section headers the analyser reads (.text, .shstrtab).
func tinyELF(code []byte) []byte {
	const base, ehsize, phsize, shsize = 0x400000, 64, 56, 64
	le := binary.LittleEndian
	textOff := uint64(ehsize + phsize)
	shstr := []byte("\x00.text\x00.shstrtab\x00")
	shstrOff := textOff + uint64(len(code))
	shOff := (shstrOff + uint64(len(shstr)) + 7) &^ 7
	b := make([]byte, shOff+3*shsize)
	copy(b, "\x7fELF\x02\x01\x01")
	le.PutUint16(b[16:], 2)            // ET_EXEC
	le.PutUint16(b[18:], 62)           // EM_X86_64
	le.PutUint32(b[20:], 1)            // version
	le.PutUint64(b[24:], base+textOff) // entry
	le.PutUint64(b[32:], ehsize)       // phoff
	le.PutUint64(b[40:], shOff)        // shoff
	le.PutUint16(b[52:], ehsize)       // ehsize
	le.PutUint16(b[54:], phsize)       // phentsize
	le.PutUint16(b[56:], 1)            // phnum
	le.PutUint16(b[58:], shsize)       // shentsize
	le.PutUint16(b[60:], 3)            // shnum
	le.PutUint16(b[62:], 2)            // shstrndx
	ph := b[ehsize:]
	le.PutUint32(ph[0:], 1)               // PT_LOAD
	le.PutUint32(ph[4:], 5)               // R+X
	le.PutUint64(ph[16:], base)           // vaddr
	le.PutUint64(ph[24:], base)           // paddr
	le.PutUint64(ph[32:], uint64(len(b))) // filesz
	le.PutUint64(ph[40:], uint64(len(b))) // memsz
	le.PutUint64(ph[48:], 0x1000)         // align
	copy(b[textOff:], code)
	copy(b[shstrOff:], shstr)
	text := b[shOff+shsize:]
	le.PutUint32(text[0:], 1)             // name ".text"
	le.PutUint32(text[4:], 1)             // SHT_PROGBITS
	le.PutUint64(text[8:], 6)             // SHF_ALLOC|SHF_EXECINSTR
	le.PutUint64(text[16:], base+textOff) // addr
	le.PutUint64(text[24:], textOff)      // offset
	le.PutUint64(text[32:], uint64(len(code)))
	str := b[shOff+2*shsize:]
	le.PutUint32(str[0:], 7) // name ".shstrtab"
	le.PutUint32(str[4:], 3) // SHT_STRTAB
	le.PutUint64(str[24:], shstrOff)
	le.PutUint64(str[32:], uint64(len(shstr)))
	return b
}

// Analyse a tiny static program that writes and exits: the numbers are
// found in eax before each syscall instruction.
func Example() {
	code := []byte{
		0xb8, 0x01, 0x00, 0x00, 0x00, // mov eax, 1 (write)
		0x0f, 0x05, // syscall
		0x31, 0xff, // xor edi, edi
		0xb8, 0xe7, 0x00, 0x00, 0x00, // mov eax, 231 (exit_group)
		0x0f, 0x05, // syscall
	}
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	prog := filepath.Join(dir, "tiny")
	os.WriteFile(prog, tinyELF(code), 0o755)

	res, err := analyze.Analyze([]string{prog}, analyze.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range res.Syscalls {
		fmt.Printf("%s <- %s\n", s.Name, s.Why[0])
	}
	// Output:
	// execve <- the kernel: every program starts with the execve that runs it
	// exit_group <- tiny:0x400078
	// restart_syscall <- the kernel: resumes a sleep interrupted by a stop signal
	// write <- tiny:0x400078
}
