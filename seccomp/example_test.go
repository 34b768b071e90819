package seccomp_test

import (
	"fmt"
	"log"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/seccomp"
)

// A profile's "flags" list, as runc and libseccomp spell it, becomes the
// flags of seccomp(2); Validate catches combinations the kernel refuses.
func ExampleFlagByName() {
	var flags seccomp.FilterFlag
	for _, name := range []string{"SECCOMP_FILTER_FLAG_LOG", "SPEC_ALLOW"} {
		f, ok := seccomp.FlagByName(name)
		if !ok {
			log.Fatalf("unknown flag %s", name)
		}
		flags |= f
	}
	fmt.Println(flags, flags.Validate())
	_, ok := seccomp.FlagByName("SECCOMP_FILTER_FLAG_LOUD")
	fmt.Println(ok)
	// Output:
	// LOG|SPEC_ALLOW <nil>
	// false
}

func ExampleFilterFlag_Validate() {
	flags := seccomp.FlagTSync | seccomp.FlagNewListener
	fmt.Println(flags.Validate())
	fmt.Println((flags | seccomp.FlagTSyncESRCH).Validate())
	// Output:
	// seccomp: flags TSYNC|NEW_LISTENER: TSYNC with NEW_LISTENER needs TSYNC_ESRCH
	// <nil>
}

// Load confines the whole calling process for good: every thread, with
// no_new_privs. Here the process may only write, exit and do what the Go
// runtime needs; openat fails with EPERM. (Not run: a filter cannot be
// removed; tests load filters in a child process.)
func ExampleLoad() {
	prog, err := bpf.Assemble(`
		A = arch
		if (A != ARCH_X86_64) goto 0005
		A = sys_number
		if (A == openat) goto 0004
		return ALLOW
		return ERRNO(1)
		return KILL_PROCESS
	`, bpf.Options{})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := seccomp.Load(prog, 0); err != nil {
		log.Fatal(err) // wraps seccomp.ErrNotSupported where the kernel cannot
	}
}
