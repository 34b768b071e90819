package policy_test

import (
	"errors"
	"fmt"
	"log"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// An OCI profile (what runc receives) becomes the per-ABI rule set runc
// and libseccomp would build; Decide says what any filter compiled from it
// answers, and which rule decided.
func ExampleFromOCI() {
	eperm := uint(1)
	oci := &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: &eperm,
		Architectures:   []specs.Arch{specs.ArchX86},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"read", "write", "exit_group"}, Action: specs.ActAllow},
			// personality(PER_LINUX) only
			{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0, Op: specs.OpEqualTo}}},
			{Names: []string{"ptrace"}, Action: specs.ActKillProcess},
		},
	}
	x86_64, err := syscalls.ArchByName("x86_64")
	if err != nil {
		log.Fatal(err)
	}
	p, warnings, err := policy.FromOCI(oci, x86_64, policy.Options{ENOSYS: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range p.Arches {
		fmt.Printf("%s: %d rules\n", a.Arch.Name, len(a.Rules))
	}
	fmt.Println(len(warnings), "warnings")

	why := map[policy.Why]string{
		policy.WhyDefault: "default action",
		policy.WhyENOSYS:  "newer than the profile",
		policy.WhyBadArch: "architecture not in the filter",
	}
	decide := func(abi, name string, arg0 uint64) {
		arch, _ := syscalls.ArchByName(abi)
		nr, _ := arch.Number(name)
		d := p.Decide(arch.AuditArch, nr, &[6]uint64{arg0})
		if d.Rule != nil {
			fmt.Printf("%s %s(%#x): %v by rule %v\n", abi, name, arg0, d.Action, d.Rule)
		} else {
			fmt.Printf("%s %s(%#x): %v, %s\n", abi, name, arg0, d.Action, why[d.Why])
		}
	}
	decide("x86_64", "write", 1)
	decide("x86_64", "personality", 0)
	decide("x86_64", "personality", 0xffffffff)
	decide("x86", "ptrace", 0)
	decide("x86_64", "mount", 0)
	decide("x86_64", "fchmodat2", 0) // newer than anything the profile names
	aarch64, _ := syscalls.ArchByName("aarch64")
	d := p.Decide(aarch64.AuditArch, 63, &[6]uint64{})
	fmt.Printf("aarch64 read: %v, %s\n", d.Action, why[d.Why])
	// Output:
	// x86_64: 5 rules
	// x86: 5 rules
	// 0 warnings
	// x86_64 write(0x1): ALLOW by rule write: ALLOW
	// x86_64 personality(0x0): ALLOW by rule personality: ALLOW if args[0] == 0x0
	// x86_64 personality(0xffffffff): ERRNO(1), default action
	// x86 ptrace(0x0): KILL_PROCESS by rule ptrace: KILL_PROCESS
	// x86_64 mount(0x0): ERRNO(1), default action
	// x86_64 fchmodat2(0x0): ERRNO(38), newer than the profile
	// aarch64 read: KILL, architecture not in the filter
}

// Errors name the field of the OCI config and match sentinels.
func ExampleOCIError() {
	oci := &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"read"}, Action: specs.ActAllow},
			{Names: []string{"mmap"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 6, Value: 4, Op: specs.OpMaskedEqual}}},
		},
	}
	x86_64, _ := syscalls.ArchByName("x86_64")
	_, _, err := policy.FromOCI(oci, x86_64, policy.Options{})
	fmt.Println(err)
	fmt.Println(errors.Is(err, policy.ErrInvalidOCI), errors.Is(err, policy.ErrArgIndex))
	// Output:
	// syscalls[1].args[0].index: argument index out of range (a syscall has 6 arguments, 0 to 5): 6
	// true true
}

// Conditions compare as libseccomp compares them: the full 64-bit value on
// 64-bit ABIs, only the low word on 32-bit ones.
func ExampleCond_Match() {
	c := policy.Cond{Arg: 0, Op: policy.OpEq, Value: 1}
	fmt.Println(c)
	v := uint64(0xffffffff_00000001)
	fmt.Println(c.Match(v, true), c.Match(v, false))
	m := policy.Cond{Arg: 2, Op: policy.OpMaskedEq, Mask: 0x4, Value: 0}
	fmt.Println(m, m.Match(0x3, true), m.Match(0x7, true))
	// Output:
	// args[0] == 0x1
	// false true
	// (args[2] & 0x4) == 0x0 true false
}
