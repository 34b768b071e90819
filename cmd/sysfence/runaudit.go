package main

import (
	"fmt"
	"io"

	"github.com/sysfence/sysfence/internal/cli"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/sandbox"
)

// printAudit writes the summary of an audit run.
func printAudit(w io.Writer, recs []sandbox.AuditRecord) {
	if len(recs) == 0 {
		fmt.Fprintln(w, "sysfence: audit: the profile denied nothing")
		return
	}
	var calls uint64
	for _, r := range recs {
		calls += r.Calls
	}
	fmt.Fprintf(w, "sysfence: audit: %s would have been denied (%s):\n", plural(len(recs), "syscall"), plural(int(calls), "call"))
	for _, r := range recs {
		fmt.Fprintf(w, "sysfence:   %s\n", r.String())
		for _, e := range r.Examples {
			times := ""
			if e.Count > 1 {
				times = fmt.Sprintf(" (%d times)", e.Count)
			}
			fmt.Fprintf(w, "sysfence:     %s%s\n", e.Call, times)
		}
		if r.MoreExamples > 0 {
			fmt.Fprintf(w, "sysfence:     and %d other calls\n", r.MoreExamples)
		}
	}
}

// updateProfile merges what the audit saw into the profile it ran under
// and writes the result to path, atomically, in the profile's own format
// and encoding. It returns false when nothing was missing.
func updateProfile(path string, base *profile.Profile, obs *record.Observations) (bool, error) {
	if obs == nil || len(obs.Entries()) == 0 {
		return false, nil
	}
	s := base.Seccomp
	rec, err := obs.Profile(record.ProfileOptions{Args: obs.ArgsRecorded, DefaultAction: s.DefaultAction, DefaultErrnoRet: s.DefaultErrnoRet})
	if err != nil {
		return false, cli.Usagef("--update: %v", err)
	}
	missing := rec.Profile
	// Keep the base profile's way of naming architectures (Docker accepts
	// architectures or archMap, not both); the ABIs the calls came from
	// are in it already, or the filter would have answered them with its
	// bad-architecture action before any rule.
	if len(s.ArchMap) > 0 || len(s.Architectures) == 0 {
		missing.Architectures = nil
	}
	for _, sc := range missing.Syscalls {
		sc.Comment = "added by sysfence run --audit: " + sc.Comment
	}
	merged, err := profile.Merge(base, profile.New(missing, nil))
	if err != nil {
		return false, cli.Usagef("--update %s: %v", path, err)
	}
	opts := profile.WriteOptions{Format: base.Format, Encoding: base.Encoding}
	if base.SPO != nil {
		opts.Name, opts.Namespace = base.SPO.Name, base.SPO.Namespace
	}
	if err := profile.WriteFile(path, merged, opts); err != nil {
		return false, cli.Usagef("--update %s: %v", path, err)
	}
	return true, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
