package seccomp_test

import (
	"errors"
	"fmt"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/seccomp"
)

// Probe the running kernel before relying on a feature: what it lacks is
// an error wrapping ErrNotSupported that names it. Each probe runs once
// per process. (Every kernel since 4.14 has filters, TSYNC, LOG and
// KILL_PROCESS; no kernel has flag bit 20 or action 0x7ff80000.)
func ExampleCheckFlags() {
	fmt.Println(seccomp.CheckFilter())
	fmt.Println(seccomp.CheckFlags(seccomp.FlagTSync | seccomp.FlagLog))
	fmt.Println(seccomp.CheckAction(bpf.ActKillProcess))

	err := seccomp.CheckFlags(1 << 20)
	fmt.Println(err)
	fmt.Println(errors.Is(err, seccomp.ErrNotSupported))
	err = seccomp.CheckAction(0x7ff80000)
	fmt.Println(errors.Is(err, seccomp.ErrNotSupported))
	// Output:
	// <nil>
	// <nil>
	// <nil>
	// seccomp: the kernel does not know the filter flag 0x100000: not supported
	// true
	// true
}
