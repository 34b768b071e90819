package main

import (
	"fmt"
	"io"

	"github.com/sysfence/sysfence/internal/cli"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/sandbox"
)

// printAudit writes the summary of an audit run. Path and port rules stay
// enforced under --audit (they are not the profile's syscall rules, and
// Landlock has no audit-only mode): rules says there were some.
func printAudit(w io.Writer, recs []sandbox.AuditRecord, rules bool) {
	if rules {
		defer fmt.Fprintln(w, "sysfence: audit: path and port rules were enforced, not audited: what they refused is not in this report")
	}
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

// updateProfile heals the profile a run was denied by (an audit's, or a
// watched one's) with what it saw (record.Heal); by names the command in
// the added entries' comments ("sysfence watch"). It writes the result to path, atomically, in the
// profile's own format and encoding. It returns nil when nothing was
// missing.
func updateProfile(path string, base *profile.Profile, obs *record.Observations, by string) (*record.HealReport, error) {
	merged, rep, err := record.Heal(base, obs, "added by "+by)
	if err != nil {
		return nil, cli.Usagef("--update %s: %v", path, err)
	}
	if merged == nil {
		return nil, nil
	}
	opts := profile.WriteOptions{Format: base.Format, Encoding: base.Encoding}
	if base.SPO != nil {
		opts.Name, opts.Namespace = base.SPO.Name, base.SPO.Namespace
	}
	if err := profile.WriteFile(path, merged, opts); err != nil {
		return nil, cli.Usagef("--update %s: %v", path, err)
	}
	return rep, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
