package record

import (
	"fmt"
	"slices"
	"strings"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/profile"
)

// HealReport says what Heal changed.
type HealReport struct {
	// written says, for each syscall name the audit added, what the
	// written profile does with it, in the order of the names.
	Written []Written
	// Removed are the names taken out of denying entries, as
	// "name (ACTION entry)".
	Removed []string
}

// Written is what the healed profile does with a syscall Heal added:
// As is "allowed", "allowed with argument rules", "answered ENOSYS"...
type Written struct{ Name, As string }

// Summary sums up the written names by what the profile does with them:
// "2 syscalls allowed (openat, restart_syscall), 1 syscall answered ENOSYS
// (clone3)".
func (u *HealReport) Summary() string {
	var order []string
	groups := map[string][]string{}
	for _, w := range u.Written {
		if groups[w.As] == nil {
			order = append(order, w.As)
		}
		groups[w.As] = append(groups[w.As], w.Name)
	}
	parts := make([]string, len(order))
	for i, as := range order {
		parts[i] = fmt.Sprintf("%s %s (%s)", plural(uint64(len(groups[as])), "syscall"), as, strings.Join(groups[as], ", "))
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
	if name, ok := profile.ErrnoName(n); ok {
		return name
	}
	return fmt.Sprintf("errno %d", n)
}

// Heal merges observed calls into the profile they were denied by (an
// audit run's, or what a watched container was denied): the syscalls
// recorded with the profile's own default action, each added entry's
// comment prefixed with comment. A call the profile denied by an explicit
// entry (rather than by its default) would still be denied with an
// allowing entry next to it, so the call's name is first taken out of
// every entry whose action denies. It returns a nil profile when nothing
// was missing; base is not changed.
func Heal(base *profile.Profile, obs *Observations, comment string) (*profile.Profile, *HealReport, error) {
	if obs == nil || len(obs.Entries()) == 0 {
		return nil, nil, nil
	}
	s := base.Seccomp
	rec, err := obs.Profile(ProfileOptions{Args: obs.ArgsRecorded, DefaultAction: s.DefaultAction, DefaultErrnoRet: s.DefaultErrnoRet})
	if err != nil {
		return nil, nil, err
	}
	missing := rec.Profile
	// Keep the base profile's way of naming architectures (Docker accepts
	// architectures or archMap, not both); the ABIs the calls came from
	// are in it already, or the filter would have answered them with its
	// bad-architecture action before any rule.
	if len(s.ArchMap) > 0 || len(s.Architectures) == 0 {
		missing.Architectures = nil
	}
	u := &HealReport{}
	allowed := map[string]bool{}
	var added []string
	for _, sc := range missing.Syscalls {
		sc.Comment = comment + ": " + sc.Comment
		for _, n := range profile.EntryNames(sc) {
			if !allowed[n] {
				allowed[n] = true
				added = append(added, n)
			}
		}
	}
	frame, err := profile.Merge(base) // a copy to edit
	if err != nil {
		return nil, nil, err
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
				u.Removed = append(u.Removed, fmt.Sprintf("%s (%s entry)", n, sc.Action))
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
		return nil, nil, err
	}
	// Said from what was written, not from what was meant: the recorder's
	// rules answer some calls otherwise than allowing them (clone3 gets
	// ENOSYS so that libc falls back to clone).
	for _, n := range added {
		u.Written = append(u.Written, Written{n, writtenAs(merged, n)})
	}
	return merged, u, nil
}
