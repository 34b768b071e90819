package record_test

import (
	"fmt"
	"log"
	"slices"

	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/syscalls"
)

// Observations, as a recorder fills them, become a Docker profile: one
// entry per syscall name with a comment counting the calls. The program
// also made two int 0x80 calls (x86) and one call with a number x86_64
// has no name for.
func ExampleObservations_Profile() {
	x86_64, _ := syscalls.ArchByName("x86_64")
	x86, _ := syscalls.ArchByName("x86")
	nr := func(a *syscalls.Arch, name string) uint32 {
		n, ok := a.Number(name)
		if !ok {
			log.Fatalf("%s has no %s", a, name)
		}
		return n
	}
	o := record.New()
	o.Add(x86_64, nr(x86_64, "execve"), 1, 0)
	o.Add(x86_64, nr(x86_64, "read"), 12, 0)
	o.Add(x86_64, nr(x86_64, "write"), 3, 1)
	o.Add(x86_64, nr(x86_64, "exit_group"), 1, 0)
	o.Add(x86, nr(x86, "write"), 2, 0)
	o.Add(x86_64, 999, 1, -1)

	res, err := o.Profile(record.ProfileOptions{Native: x86_64})
	if err != nil {
		log.Fatal(err)
	}
	for _, u := range res.Unknown {
		fmt.Println("not in the profile:", u)
	}
	fmt.Println(res.Profile.DefaultAction, res.Profile.Architectures)
	for _, sc := range res.Profile.Syscalls {
		fmt.Printf("%v %s: %s\n", sc.Names, sc.Action, sc.Comment)
	}
	// Write it with package profile:
	out, err := profile.Marshal(profile.New(res.Profile, nil), profile.WriteOptions{Format: profile.FormatOCI})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(out) > 0)
	// Output:
	// not in the profile: syscall 999 on x86_64 (1 call) has no name, and a profile can only name syscalls: it is left out, so under the profile the call gets the default action rather than the kernel's own answer
	// SCMP_ACT_ERRNO [SCMP_ARCH_X86_64 SCMP_ARCH_X86]
	// [execve] SCMP_ACT_ALLOW: 1 call, 0 errors
	// [exit_group] SCMP_ACT_ALLOW: 1 call, 0 errors
	// [read] SCMP_ACT_ALLOW: 12 calls, 0 errors
	// [restart_syscall] SCMP_ACT_ALLOW: not seen; the kernel makes it to resume a sleep interrupted by a stop signal
	// [write] SCMP_ACT_ALLOW: 5 calls, 1 error (x86_64 3, x86 2)
	// true
}

// With argument values recorded, a syscall whose arguments decide the
// risk gets one rule per value seen instead of being allowed outright.
func ExampleProfileOptions_args() {
	x86_64, _ := syscalls.ArchByName("x86_64")
	socket, _ := x86_64.Number("socket")
	o := record.New()
	o.ArgsRecorded = true
	o.Add(x86_64, socket, 3, 0)
	// AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC twice; AF_INET, SOCK_DGRAM once
	o.AddArgs(x86_64, socket, record.ArgValues{1, 1 | 0x80000}, 2)
	o.AddArgs(x86_64, socket, record.ArgValues{2, 2}, 1)
	res, err := o.Profile(record.ProfileOptions{Native: x86_64, Args: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, sc := range res.Profile.Syscalls {
		if sc.Names[0] != "socket" {
			continue
		}
		fmt.Printf("%s %s:", sc.Names[0], sc.Action)
		for _, a := range sc.Args {
			fmt.Printf(" arg%d %s %#x", a.Index, a.Op, a.Value)
			if a.Op == "SCMP_CMP_MASKED_EQ" {
				fmt.Printf("/%#x", a.ValueTwo)
			}
		}
		fmt.Printf(" (%s)\n", sc.Comment)
	}
	// Output:
	// socket SCMP_ACT_ALLOW: arg0 SCMP_CMP_EQ 0x1 arg1 SCMP_CMP_MASKED_EQ 0xf/0x1 (socket(domain=AF_UNIX, type=SOCK_STREAM): 2 calls)
	// socket SCMP_ACT_ALLOW: arg0 SCMP_CMP_EQ 0x2 arg1 SCMP_CMP_MASKED_EQ 0xf/0x2 (socket(domain=AF_INET, type=SOCK_DGRAM): 1 call)
}

// The runtime that loads a recorded profile calls a few syscalls of its
// own after loading the filter; the profile must allow them too.
func ExampleRuntimeSyscalls() {
	for _, rt := range record.Runtimes() {
		names, err := record.RuntimeSyscalls(rt)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d syscalls, execve among them: %v\n", rt, len(names), slices.Contains(names, "execve"))
	}
	// Output:
	// sysfence: 0 syscalls, execve among them: false
	// runc: 50 syscalls, execve among them: true
	// crun: 27 syscalls, execve among them: true
	// docker: 50 syscalls, execve among them: true
}
