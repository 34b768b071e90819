package rewrite_test

import (
	"fmt"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/bpf/rewrite"
)

// A launcher that reports errno denials turns them into notifications
// for its supervisor, and adds its own rules behind the caller's ALLOWs.
func Example() {
	caller := bpf.Program{ // getpid (39) gets EPERM, everything else ALLOW
		bpf.LoadAbs(bpf.OffNr),
		bpf.Jump(bpf.JmpJEQ, 39, 0, 1),
		bpf.Ret(uint32(bpf.Errno(1))),
		bpf.Ret(uint32(bpf.ActAllow)),
	}
	own := bpf.Program{ // the launcher's rule: ptrace (101) gets EPERM
		bpf.LoadAbs(bpf.OffNr),
		bpf.Jump(bpf.JmpJEQ, 101, 0, 1),
		bpf.Ret(uint32(bpf.Errno(1))),
		bpf.Ret(uint32(bpf.ActAllow)),
	}
	prog, err := rewrite.Chain(caller, own)
	if err != nil {
		panic(err)
	}
	reported, _ := rewrite.ErrnoToNotify(prog)
	for _, nr := range []uint32{39, 101, 0} {
		d := bpf.Data{Nr: nr}
		a, _ := bpf.Run(prog, &d, false, false)
		b, _ := bpf.Run(reported, &d, false, false)
		fmt.Printf("nr %d: %v, reported: %v\n", nr, bpf.Action(a.Ret), bpf.Action(b.Ret))
	}
	// Output:
	// nr 39: ERRNO(1), reported: USER_NOTIF
	// nr 101: ERRNO(1), reported: USER_NOTIF
	// nr 0: ALLOW, reported: ALLOW
}
