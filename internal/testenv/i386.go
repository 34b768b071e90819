package testenv

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// I386Hello writes a minimal static i386 ELF that prints "hi\n" through
// int 0x80 write and exits 0 (no compiler with -m32 needed), checks that
// the kernel runs it, and returns its path. Elsewhere than on x86_64 the
// test is skipped: no other kernel runs i386 code.
func I386Hello(t testing.TB) string {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skip("i386 programs run on x86_64 kernels only")
	}
	const base, hdr = 0x08048000, 52 + 32
	code := []byte{
		0xb8, 4, 0, 0, 0, // mov eax, 4 (write)
		0xbb, 1, 0, 0, 0, // mov ebx, 1
		0xb9, 0, 0, 0, 0, // mov ecx, msg (set below)
		0xba, 3, 0, 0, 0, // mov edx, 3
		0xcd, 0x80, // int 0x80
		0xb8, 1, 0, 0, 0, // mov eax, 1 (exit)
		0x31, 0xdb, // xor ebx, ebx
		0xcd, 0x80, // int 0x80
	}
	le := binary.LittleEndian
	le.PutUint32(code[11:], base+hdr+uint32(len(code)))
	body := append(code, "hi\n"...)
	size := uint32(hdr + len(body))
	f := []byte{0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	f = le.AppendUint16(f, 2) // ET_EXEC
	f = le.AppendUint16(f, 3) // EM_386
	f = le.AppendUint32(f, 1)
	f = le.AppendUint32(f, base+hdr) // e_entry
	f = le.AppendUint32(f, 52)       // e_phoff
	f = le.AppendUint32(f, 0)        // e_shoff
	f = le.AppendUint32(f, 0)        // e_flags
	f = le.AppendUint16(f, 52)       // e_ehsize
	f = le.AppendUint16(f, 32)       // e_phentsize
	f = le.AppendUint16(f, 1)        // e_phnum
	f = le.AppendUint16(f, 0)
	f = le.AppendUint16(f, 0)
	f = le.AppendUint16(f, 0)
	for _, v := range []uint32{1, 0, base, base, size, size, 5, 0x1000} { // PT_LOAD, R+X
		f = le.AppendUint32(f, v)
	}
	path := filepath.Join(t.TempDir(), "hi32")
	if err := os.WriteFile(path, append(f, body...), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := os.StartProcess(path, []string{path}, &os.ProcAttr{})
	if err == nil {
		var st *os.ProcessState
		if st, err = p.Wait(); err == nil && !st.Success() {
			Skip(t, "this kernel does not run i386 programs: "+st.String())
		}
	}
	if err != nil {
		Skip(t, "this kernel does not run i386 programs: "+err.Error())
	}
	return path
}
