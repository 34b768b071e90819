package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/moby/profiles/seccomp"
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
	// written says, for each syscall name the audit added, what the
	// written profile does with it, in the order of the names.
	written []written
	removed []string // "name (ACTION entry)": names taken out of denying entries
}

type written struct{ name, as string }

// summary sums up the written names by what the profile does with them:
// "2 syscalls allowed (openat, restart_syscall), 1 syscall answered ENOSYS
// (clone3)".
func (u *update) summary() string {
	var order []string
	groups := map[string][]string{}
	for _, w := range u.written {
		if groups[w.as] == nil {
			order = append(order, w.as)
		}
		groups[w.as] = append(groups[w.as], w.name)
	}
	parts := make([]string, len(order))
	for i, as := range order {
		parts[i] = fmt.Sprintf("%s %s (%s)", plural(len(groups[as]), "syscall"), as, strings.Join(groups[as], ", "))
	}
	return strings.Join(parts, ", ")
}

// writtenAs says what the entries of p that name a syscall do with it:
// "allowed", "allowed with argument rules", "answered ENOSYS", or each
// entry's action when they differ.
func writtenAs(p *profile.Profile, name string) string {
	var seen []string
	for _, sc := range p.Seccomp.Syscalls {
		if !slices.Contains(profile.EntryNames(sc), name) {
			continue
		}
		as := entryAction(sc)
		if as == "allowed" {
			return as // an unconditional ALLOW decides every call
		}
		if !slices.Contains(seen, as) {
			seen = append(seen, as)
		}
	}
	if len(seen) == 0 {
		return "not written" // cannot happen: the merge keeps every entry
	}
	return strings.Join(seen, " or ")
}

// entryAction says what one entry does to the calls it matches.
func entryAction(sc *seccomp.Syscall) string {
	cond := ""
	if len(sc.Args) > 0 || sc.Includes != nil || sc.Excludes != nil {
		cond = " with argument rules"
		if len(sc.Args) == 0 {
			cond = " on some kernels or capabilities"
		}
	}
	switch sc.Action {
	case specs.ActAllow:
		return "allowed" + cond
	case specs.ActLog:
		return "allowed and logged" + cond
	case specs.ActErrno:
		errno := "EPERM"
		if sc.ErrnoRet != nil {
			errno = errnoName(*sc.ErrnoRet)
		}
		return "answered " + errno + cond
	}
	return "answered " + string(sc.Action) + cond
}

// errnoName names an errno as profiles may spell it ("ENOSYS"), or gives
// its number.
func errnoName(n uint) string {
	for _, name := range profile.ErrnoNames() {
		if v, _ := profile.ErrnoNumber(name); v == n {
			return name
		}
	}
	return fmt.Sprintf("errno %d", n)
}

// updateProfile merges what the audit saw into the profile it ran under
// and writes the result to path, atomically, in the profile's own format
// and encoding. A call the profile denied by an explicit entry (rather
// than by its default) would still be denied with an allowing entry next
// to it, so the call's name is first taken out of every entry whose
// action denies. It returns nil when nothing was missing. by names the
// command in the added entries' comments ("sysfence run --audit").
func updateProfile(path string, base *profile.Profile, obs *record.Observations, by string) (*update, error) {
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
	var added []string
	for _, sc := range missing.Syscalls {
		sc.Comment = "added by " + by + ": " + sc.Comment
		for _, n := range profile.EntryNames(sc) {
			if !allowed[n] {
				allowed[n] = true
				added = append(added, n)
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
	// Said from what was written, not from what was meant: the recorder's
	// rules answer some calls otherwise than allowing them (clone3 gets
	// ENOSYS so that libc falls back to clone).
	for _, n := range added {
		u.written = append(u.written, written{n, writtenAs(merged, n)})
	}
	return u, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
