package sandbox_test

import (
	"fmt"
	"log"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/compile"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/sandbox"
	"github.com/sysfence/sysfence/syscalls"
)

// Run a command as a child under a filter that denies chdir(2), and
// report what the filter did, explained by the policy it was compiled
// from. The command runs confined from its first instruction; this
// process is not.
func ExampleRun() {
	x86_64, err := syscalls.ArchByName("x86_64")
	if err != nil {
		log.Fatal(err)
	}
	pol, _, err := policy.FromOCI(&specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"chdir"}, Action: specs.ActErrno}},
	}, x86_64, policy.Options{})
	if err != nil {
		log.Fatal(err)
	}
	prog, err := compile.Compile(pol, compile.Options{})
	if err != nil {
		log.Fatal(err)
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		log.Fatal(err)
	}
	defer devnull.Close()

	res, err := sandbox.Run(&sandbox.Command{
		Path:   "/bin/sh",
		Args:   []string{"sh", "-c", "echo started; cd /tmp || exit 7"},
		Stdout: os.Stdout,
		Stderr: devnull, // the shell's own complaint
	}, &sandbox.Options{
		Filter:  prog.Filter,
		Report:  func(e sandbox.Event) { fmt.Println("report:", e) },
		Explain: sandbox.PolicyExplainer(pol),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("exit code", res.ExitCode)
	// Output:
	// started
	// report: sh: chdir("/tmp") was denied: EPERM (syscalls[0]: chdir: ERRNO(1))
	// exit code 7
}
