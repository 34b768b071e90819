package ptrace_test

import (
	"fmt"
	"log"
	"slices"

	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/record/ptrace"
	"github.com/sysfence/sysfence/sandbox"
)

// Record a shell that runs one child, without privileges, and turn what
// it called into a profile. How often each syscall was called varies with
// the libc and the shell; which calls a profile needs for this command
// does not.
func ExampleRecorder_Run() {
	r, err := ptrace.New(ptrace.Options{})
	if err != nil {
		log.Fatal(err) // matches record.ErrNotSupported before Linux 5.3
	}
	obs, res, err := r.Run(&sandbox.Command{Path: "/bin/sh", Args: []string{"sh", "-c", "/bin/true; exit 3"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("exit code", res.ExitCode)
	fmt.Println("processes", obs.Processes)

	rec, err := obs.Profile(record.ProfileOptions{})
	if err != nil {
		log.Fatal(err)
	}
	allowed := map[string]bool{}
	for _, sc := range rec.Profile.Syscalls {
		for _, n := range sc.Names {
			allowed[n] = sc.Action == "SCMP_ACT_ALLOW"
		}
	}
	forked := slices.ContainsFunc([]string{"clone", "clone3", "fork", "vfork"}, func(n string) bool { return allowed[n] })
	fmt.Println("execve", allowed["execve"], "fork", forked, "exit_group", allowed["exit_group"], "ptrace", allowed["ptrace"])
	// Output:
	// exit code 3
	// processes 2
	// execve true fork true exit_group true ptrace false
}
