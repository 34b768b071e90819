package main

import (
	"fmt"
	"io"

	specs "github.com/opencontainers/runtime-spec/specs-go"

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

// update is what --update changed.
type update struct {
	added   []string // syscall names now allowed
	removed []string // "name (ACTION entry)": names taken out of denying entries
}

// updateProfile merges what the audit saw into the profile it ran under
// and writes the result to path, atomically, in the profile's own format
// and encoding. A call the profile denied by an explicit entry (rather
// than by its default) would still be denied with an allowing entry next
// to it, so the call's name is first taken out of every entry whose
// action denies. It returns nil when nothing was missing.
func updateProfile(path string, base *profile.Profile, obs *record.Observations) (*update, error) {
	if obs == nil || len(obs.Entries()) == 0 {
		return nil, nil
	}
	s := base.Seccomp
	rec, err := obs.Profile(record.ProfileOptions{Args: obs.ArgsRecorded, DefaultAction: s.DefaultAction, DefaultErrnoRet: s.DefaultErrnoRet})
	if err != nil {
		return nil, cli.Usagef("--update: %v", err)
	}
	missing := rec.Profile
	// Keep the base profile's way of naming architectures (Docker accepts
	// architectures or archMap, not both); the ABIs the calls came from
	// are in it already, or the filter would have answered them with its
	// bad-architecture action before any rule.
	if len(s.ArchMap) > 0 || len(s.Architectures) == 0 {
		missing.Architectures = nil
	}
	u := &update{}
	allowed := map[string]bool{}
	for _, sc := range missing.Syscalls {
		sc.Comment = "added by sysfence run --audit: " + sc.Comment
		for _, n := range profile.EntryNames(sc) {
			if !allowed[n] {
				allowed[n] = true
				u.added = append(u.added, n)
			}
		}
	}
	frame, err := profile.Merge(base) // a copy to edit
	if err != nil {
		return nil, cli.Usagef("--update %s: %v", path, err)
	}
	kept := frame.Seccomp.Syscalls[:0]
	for _, sc := range frame.Seccomp.Syscalls {
		if sc.Action == specs.ActAllow || sc.Action == specs.ActLog {
			kept = append(kept, sc)
			continue
		}
		var names []string
		for _, n := range profile.EntryNames(sc) {
			if allowed[n] {
				u.removed = append(u.removed, fmt.Sprintf("%s (%s entry)", n, sc.Action))
				continue
			}
			names = append(names, n)
		}
		if len(names) == 0 {
			continue
		}
		sc.Name, sc.Names = "", names
		kept = append(kept, sc)
	}
	frame.Seccomp.Syscalls = kept
	merged, err := profile.Merge(frame, profile.New(missing, nil))
	if err != nil {
		return nil, cli.Usagef("--update %s: %v", path, err)
	}
	opts := profile.WriteOptions{Format: base.Format, Encoding: base.Encoding}
	if base.SPO != nil {
		opts.Name, opts.Namespace = base.SPO.Name, base.SPO.Namespace
	}
	if err := profile.WriteFile(path, merged, opts); err != nil {
		return nil, cli.Usagef("--update %s: %v", path, err)
	}
	return u, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
