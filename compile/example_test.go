package compile_test

import (
	"fmt"
	"log"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/compile"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// Compile a small policy, list the filter, and run it on the emulator:
// it answers what policy.Decide answers.
func ExampleCompile() {
	x86_64, err := syscalls.ArchByName("x86_64")
	if err != nil {
		log.Fatal(err)
	}
	oci := &specs.LinuxSeccomp{
		DefaultAction: specs.ActKillProcess,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"read", "exit_group"}, Action: specs.ActAllow},
			// write only to stdout
			{Names: []string{"write"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1, Op: specs.OpEqualTo}}},
		},
	}
	pol, _, err := policy.FromOCI(oci, x86_64, policy.Options{})
	if err != nil {
		log.Fatal(err)
	}
	prog, err := compile.Compile(pol, compile.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(bpf.Disassemble(prog.Filter, bpf.Options{}).Text())

	write, _ := x86_64.Number("write")
	for _, fd := range []uint64{1, 2} {
		d := &bpf.Data{Arch: x86_64.AuditArch, Nr: write, Args: [6]uint64{fd}}
		res, err := bpf.Run(prog.Filter, d, false, false)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("write(%d): %v, Decide says %v\n", fd, bpf.Action(res.Ret), pol.Decide(d.Arch, d.Nr, &d.Args).Action)
	}
	// Output:
	// 0000: A = arch
	// 0001: if (A != ARCH_X86_64) goto 0013
	// 0002: A = sys_number
	// 0003: if (A == write) goto 0008
	// 0004: if (A == exit_group) goto 0014
	// 0005: if (A >= 0x40000000) goto 0007
	// 0006: if (A >= 2) goto 0012 else goto 0014
	// 0007: if (A == 0xffffffff) goto 0012 else goto 0013
	// 0008: A = args[0] (high)
	// 0009: if (A != 0) goto 0012
	// 0010: A = args[0] (low)
	// 0011: if (A == 1) goto 0014
	// 0012: return KILL_PROCESS
	// 0013: return KILL
	// 0014: return ALLOW
	// write(1): ALLOW, Decide says ALLOW
	// write(2): KILL_PROCESS, Decide says KILL_PROCESS
}

// Docker's default profile, resolved for a container on x86_64 with
// Docker's default capabilities: how long the filter is, and how many
// syscalls the kernel's action cache serves without running it.
func ExampleCompile_dockerDefault() {
	x86_64, _ := syscalls.ArchByName("x86_64")
	prof, err := profile.Builtin("docker-default")
	if err != nil {
		log.Fatal(err)
	}
	kernel, _ := profile.ParseKernel("6.8")
	res, err := profile.Resolve(prof, profile.Target{Arch: x86_64, Caps: profile.DockerDefaultCaps(), Kernel: kernel})
	if err != nil {
		log.Fatal(err)
	}
	pol, _, err := policy.FromOCI(res.OCI, x86_64, policy.Options{ENOSYS: true})
	if err != nil {
		log.Fatal(err)
	}
	prog, err := compile.Compile(pol, compile.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(prog.Filter), "instructions")
	fmt.Println(bpf.Cache(prog.Filter, x86_64))
	// Output:
	// 318 instructions
	// x86_64: 306 of 385 syscalls cached (79 run the filter: 3 depend on more than nr and arch)
	// x86: 357 of 461 syscalls cached (104 run the filter: 3 depend on more than nr and arch)
	// x32: no cache (the kernel runs the filter for every x32 syscall)
}

// With Annotate, every instruction says which part of the filter it
// belongs to.
func ExampleOptions_annotate() {
	x86_64, _ := syscalls.ArchByName("x86_64")
	oci := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"socket"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1, Op: specs.OpNotEqual}}},
		},
	}
	pol, _, err := policy.FromOCI(oci, x86_64, policy.Options{})
	if err != nil {
		log.Fatal(err)
	}
	prog, err := compile.Compile(pol, compile.Options{Annotate: true})
	if err != nil {
		log.Fatal(err)
	}
	lst := bpf.Disassemble(prog.Filter, bpf.Options{})
	for pc, l := range lst.Lines {
		fmt.Printf("%-40s # %v\n", l.Text, prog.Notes[pc])
	}
	// Output:
	// A = arch                                 # architecture
	// if (A != ARCH_X86_64) goto 0011          # architecture
	// A = sys_number                           # syscall tree (x86_64)
	// if (A == socket) goto 0006               # argument-checked syscalls (x86_64)
	// if (A < 0x40000000) goto 0010            # syscall tree (x86_64)
	// if (A == 0xffffffff) goto 0010 else goto 0011 # syscall tree (x86_64)
	// A = args[0] (high)                       # args of socket (x86_64)
	// if (A != 0) goto 0012                    # args of socket (x86_64)
	// A = args[0] (low)                        # args of socket (x86_64)
	// if (A != 1) goto 0012                    # args of socket (x86_64)
	// return ALLOW                             # return ALLOW
	// return KILL                              # return KILL
	// return ERRNO(1)                          # return ERRNO(1)
}
