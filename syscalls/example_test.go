package syscalls_test

import (
	"fmt"
	"log"

	"github.com/sysfence/sysfence/syscalls"
)

// The same syscall has a different number on each ABI; seccomp_data.nr
// carries the kernel's number, x32's bit included.
func ExampleArch_Number() {
	for _, name := range []string{"x86_64", "x86", "x32", "aarch64", "s390x"} {
		arch, err := syscalls.ArchByName(name)
		if err != nil {
			log.Fatal(err)
		}
		nr, ok := arch.Number("openat")
		fmt.Printf("%-8s %-17s openat=%#x %v\n", arch.Name, arch.OCI, nr, ok)
	}
	// Output:
	// x86_64   SCMP_ARCH_X86_64  openat=0x101 true
	// x86      SCMP_ARCH_X86     openat=0x127 true
	// x32      SCMP_ARCH_X32     openat=0x40000101 true
	// aarch64  SCMP_ARCH_AARCH64 openat=0x38 true
	// s390x    SCMP_ARCH_S390X   openat=0x120 true
}

// ArchByName takes every spelling the tools use: libseccomp's, OCI's,
// Go's and uname -m's.
func ExampleArchByName() {
	for _, s := range []string{"x86_64", "SCMP_ARCH_X86_64", "amd64", "arm64", "i686"} {
		arch, err := syscalls.ArchByName(s)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s -> %s (AUDIT_ARCH %#x, %d-bit arguments)\n", s, arch.Name, arch.AuditArch, arch.Bits)
	}
	_, err := syscalls.ArchByName("vax")
	fmt.Println(err)
	// Output:
	// x86_64 -> x86_64 (AUDIT_ARCH 0xc000003e, 64-bit arguments)
	// SCMP_ARCH_X86_64 -> x86_64 (AUDIT_ARCH 0xc000003e, 64-bit arguments)
	// amd64 -> x86_64 (AUDIT_ARCH 0xc000003e, 64-bit arguments)
	// arm64 -> aarch64 (AUDIT_ARCH 0xc00000b7, 64-bit arguments)
	// i686 -> x86 (AUDIT_ARCH 0x40000003, 32-bit arguments)
	// unknown architecture "vax"
}

// A filter sees (arch, nr); ForCall and SyscallName turn that back into a
// name, telling x32 calls from x86_64 ones under the same token.
func ExampleForCall() {
	x86_64, _ := syscalls.ArchByName("x86_64")
	for _, nr := range []uint32{257, 257 | syscalls.X32SyscallBit} {
		arch := syscalls.ForCall(x86_64.AuditArch, nr)
		name, _ := arch.SyscallName(nr)
		fmt.Println(arch.Name, name)
	}
	// Output:
	// x86_64 openat
	// x32 openat
}

// Lookup's error suggests the name probably meant.
func ExampleArch_Lookup() {
	x86_64, _ := syscalls.ArchByName("x86_64")
	_, err := x86_64.Lookup("opeant")
	fmt.Println(err)
	fmt.Println(syscalls.Suggest("getpdi"))
	// Output:
	// unknown syscall "opeant" (did you mean openat?)
	// getpid
}

// Socket calls on 32-bit x86 can also arrive through socketcall(2), which
// a filter must handle too.
func ExampleArch_Mux() {
	x86, _ := syscalls.ArchByName("x86")
	m, ok := x86.Mux("connect")
	fmt.Println(ok, m.Name, m.Nr, m.Call)
	x86_64, _ := syscalls.ArchByName("x86_64")
	_, ok = x86_64.Mux("connect")
	fmt.Println(ok)
	// Output:
	// true socketcall 102 3
	// false
}
