package lift_test

import (
	"fmt"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/lift"
	"github.com/sysfence/sysfence/syscalls"
)

// A hand-written x86_64 filter: personality only with 0 or 8 (the low
// word), write only to fd 1 or 2, uname killed, everything else denied;
// other architectures are killed.
func Example() {
	const allow, deny, kill = 0x7fff0000, 0x00050001, 0x80000000
	prog := bpf.Program{
		/* 0 */ bpf.LoadAbs(bpf.OffArch),
		/* 1 */ bpf.Jump(bpf.JmpJEQ, 0xc000003e, 1, 0),
		/* 2 */ bpf.Ret(kill),
		/* 3 */ bpf.LoadAbs(bpf.OffNr),
		/* 4 */ bpf.Jump(bpf.JmpJEQ, 135, 0, 3), // personality
		/* 5 */ bpf.LoadAbs(bpf.OffArgs), // args[0], low word
		/* 6 */ bpf.AluK(bpf.AluAND, 0xfffffff7),
		/* 7 */ bpf.Jump(bpf.JmpJEQ, 0, 8, 9),
		/* 8 */ bpf.Jump(bpf.JmpJEQ, 1, 0, 5), // write
		/* 9 */ bpf.LoadAbs(bpf.OffArgs + 4), // args[0], high word
		/* 10 */ bpf.Jump(bpf.JmpJEQ, 0, 0, 6),
		/* 11 */ bpf.LoadAbs(bpf.OffArgs),
		/* 12 */ bpf.Jump(bpf.JmpJGE, 3, 4, 0),
		/* 13 */ bpf.Jump(bpf.JmpJGE, 1, 2, 3),
		/* 14 */ bpf.Jump(bpf.JmpJEQ, 63, 0, 2), // uname
		/* 15 */ bpf.Ret(kill),
		/* 16 */ bpf.Ret(allow),
		/* 17 */ bpf.Ret(deny),
	}
	s := lift.NewSpace()
	f, err := s.Program(prog, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	x86_64, _ := syscalls.ArchByName("x86_64")
	p, err := f.Policy(x86_64)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("default %v, other architectures %v\n", p.DefaultAction, p.BadArch)
	for _, ap := range p.Arches {
		for _, r := range ap.Rules {
			fmt.Printf("%s %s\n", ap.Arch.Name, r.String())
		}
	}
	// Output:
	// default ERRNO(1), other architectures KILL_PROCESS
	// x86_64 write: ALLOW if args[0] >= 0x1 && args[0] <= 0x2
	// x86_64 uname: KILL_PROCESS
	// x86_64 personality: ALLOW if (args[0] & 0xfffffff7) == 0x0
}
