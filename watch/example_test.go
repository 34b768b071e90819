package watch_test

import (
	"fmt"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/watch"
)

// A process has two filters: the first denies uname with ENOSYS, the
// second mkdirat with EPERM. RunChain decides a call as the kernel does
// and names the filter that decided.
func ExampleRunChain() {
	const (
		auditArchX86_64 = 0xc000003e
		uname           = 63
		mkdirat         = 258
		retAllow        = 0x7fff0000
		retErrno        = 0x00050000
	)
	deny := func(nr, errno uint32) watch.Filter {
		return watch.Filter{Prog: bpf.Program{
			bpf.LoadAbs(bpf.OffNr),
			bpf.Jump(bpf.JmpJEQ, nr, 0, 1),
			bpf.Ret(retErrno | errno),
			bpf.Ret(retAllow),
		}}
	}
	chain := []watch.Filter{deny(uname, 38), deny(mkdirat, 1)}
	for _, nr := range []uint32{uname, mkdirat, 0} {
		v, err := watch.RunChain(chain, &bpf.Data{Nr: nr, Arch: auditArchX86_64})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%d: %v from filter %d at instruction %d\n", nr, v.Action, v.Filter, v.PC)
	}
	// MayProceed tells which calls may be answered LOG, TRACE or
	// USER_NOTIF: none here.
	fmt.Println(watch.MayProceed(chain[1].Prog, auditArchX86_64, mkdirat))
	// Output:
	// 63: ERRNO(38) from filter 1 at instruction 2
	// 258: ERRNO(1) from filter 2 at instruction 2
	// 0: ALLOW from filter 0 at instruction 0
	// false
}
