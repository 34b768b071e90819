package recorder_test

import (
	"fmt"
	"log"
	"slices"

	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/record/recorder"
	"github.com/sysfence/sysfence/sandbox"
)

// Record a command with whichever backend this system supports (eBPF as
// root with BTF, ptrace otherwise) and turn it into the profile it needs.
func ExampleSession_Run() {
	s, err := recorder.Prepare(recorder.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	rec, err := s.Run(&sandbox.Command{Path: "/bin/false"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("exit code", rec.Result.ExitCode, "stopped early", rec.Stopped)
	fmt.Println("execve recorded:", slices.Contains(rec.Names(), "execve"))

	res, err := rec.Profile(record.ProfileOptions{})
	if err != nil {
		log.Fatal(err)
	}
	out, err := profile.Marshal(profile.New(res.Profile, nil), profile.WriteOptions{Format: profile.FormatOCI})
	if err != nil {
		log.Fatal(err)
	}
	// What profile.WriteFile would write reads back as a plain OCI profile.
	p, err := profile.Parse("false.json", out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Format, len(p.Seccomp.Syscalls) > 0)
	// Output:
	// exit code 1 stopped early false
	// execve recorded: true
	// oci true
}
