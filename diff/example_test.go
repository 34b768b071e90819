package diff_test

import (
	"fmt"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/diff"
	"github.com/sysfence/sysfence/lift"
	"github.com/sysfence/sysfence/syscalls"
)

// Two x86_64 filters that differ for write to fds above 2 and for
// uname; the rest of what they decide is the same.
func Example() {
	const allow, deny = 0x7fff0000, 0x00050001
	a := bpf.Program{
		bpf.LoadAbs(bpf.OffArch),
		bpf.Jump(bpf.JmpJEQ, 0xc000003e, 1, 0),
		bpf.Ret(0x80000000),
		bpf.LoadAbs(bpf.OffNr),
		bpf.Jump(bpf.JmpJEQ, 1, 0, 4), // write
		bpf.LoadAbs(bpf.OffArgs + 4),
		bpf.Jump(bpf.JmpJEQ, 0, 0, 3),
		bpf.LoadAbs(bpf.OffArgs),
		bpf.Jump(bpf.JmpJGT, 2, 1, 0),
		bpf.Ret(allow),
		bpf.Ret(deny),
	}
	b := bpf.Program{
		bpf.LoadAbs(bpf.OffArch),
		bpf.Jump(bpf.JmpJEQ, 0xc000003e, 1, 0),
		bpf.Ret(0x80000000),
		bpf.LoadAbs(bpf.OffNr),
		bpf.Jump(bpf.JmpJEQ, 63, 0, 1), // uname
		bpf.Ret(deny),
		bpf.Ret(allow),
	}
	s := lift.NewSpace()
	fa, _ := s.Program(a, false)
	fb, _ := s.Program(b, false)
	x86_64, _ := syscalls.ArchByName("x86_64")
	found, err := diff.Compare(fa, fb, x86_64)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range found {
		fmt.Println(f.String())
	}
	// Output:
	// x86_64 write(arg0 >= 3): A ERRNO(EPERM), B ALLOW — e.g. write(3, NULL, 0)
	// x86_64 uname: A ALLOW, B ERRNO(EPERM) — e.g. uname(NULL)
}
