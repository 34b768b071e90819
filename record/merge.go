package record

import (
	"slices"
	"sort"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// MergeProfiles unites recorded profiles (record --merge): the earlier
// recordings first, the new one last. profile.Merge decides the frame
// and refuses what cannot be united (another default action, a name
// allowed here and denied there: errors name the file and position); the
// entries are then one per syscall name and rule, sorted by name, with
// their comments' counts summed: calls, errors, calls per ABI, and in how
// many of all the merged recordings the syscall was seen ("in 2 of 3
// recordings"; a profile without such a note counts as one recording).
// A comment that is not a recorder's is kept as it is when it is the
// only one of its entry.
//
// Two rules keep the union minimal and consistent: a syscall allowed
// without conditions in one profile absorbs the argument rules of the
// others (their calls are added to its count), and a clone3 answered
// ENOSYS in one profile (see the package documentation) gives way to a
// clone3 allowed in another.
func MergeProfiles(ps ...*profile.Profile) (*profile.Profile, error) {
	ps = slices.Clone(ps)
	allowsClone3 := false
	for _, p := range ps {
		for _, sc := range p.Seccomp.Syscalls {
			if unconditionalAllow(sc) && slices.Contains(profile.EntryNames(sc), "clone3") {
				allowsClone3 = true
			}
		}
	}
	if allowsClone3 {
		for i, p := range ps {
			if kept := withoutClone3ENOSYS(p.Seccomp); kept != nil {
				ps[i] = profile.New(kept, p.Ext)
				ps[i].File = p.File
			}
		}
	}
	merged, err := profile.Merge(ps...)
	if err != nil {
		return nil, err
	}

	type agg struct {
		entry    *seccomp.Syscall
		name     string
		order    int
		sum      tally
		parsed   bool
		raw      string // the first comment, when none parses
		errorsOK bool
		perArch  map[string]uint64
		archSeq  []string
		notes    []string
		absorbed bool // holds calls of argument rules, whose ABIs are not known
	}
	aggs := map[string]*agg{}
	var list []*agg
	nameRecs := map[string]int{} // recordings that saw each name
	total := 0
	add := func(a *agg, t tally, native string) {
		a.parsed = true
		a.sum.subject = t.subject
		a.sum.calls += t.calls
		a.sum.clone3 += t.clone3
		a.sum.errors += t.errors
		if t.calls > 0 && !t.errorsKnown {
			a.errorsOK = false
		}
		per := t.perArch
		if len(per) == 0 && t.subject == "" && t.calls > 0 {
			per = []archCount{{native, t.calls}}
		}
		for _, pa := range per {
			if _, ok := a.perArch[pa.arch]; !ok {
				a.archSeq = append(a.archSeq, pa.arch)
			}
			a.perArch[pa.arch] += pa.calls
		}
		for _, n := range t.notes {
			if !slices.Contains(a.notes, n) {
				a.notes = append(a.notes, n)
			}
		}
	}
	for _, p := range ps {
		native := nativeOf(p.Seccomp)
		recs := map[string]int{}
		pTotal := 1
		for _, sc := range p.Seccomp.Syscalls {
			t, ok := parseTally(sc.Comment)
			if ok && t.total > pTotal {
				pTotal = t.total
			}
			for _, n := range profile.EntryNames(sc) {
				key := n + "\x00" + profile.EntryKey(sc)
				a := aggs[key]
				if a == nil {
					e := profile.CloneEntry(sc)
					e.Name, e.Names, e.Comment = "", []string{n}, ""
					a = &agg{entry: e, name: n, order: len(list), raw: sc.Comment, errorsOK: true, perArch: map[string]uint64{}}
					aggs[key] = a
					list = append(list, a)
				}
				r := 1 // an entry without a recorder's comment: the profile has it
				if ok {
					add(a, t, native)
					r = t.recordings
				}
				recs[n] = max(recs[n], r)
			}
		}
		for n, r := range recs {
			nameRecs[n] += r
		}
		total += pTotal
	}

	// An unconditional ALLOW absorbs the argument rules of its name.
	plain := map[string]*agg{}
	for _, a := range list {
		if unconditionalAllow(a.entry) {
			plain[a.name] = a
		}
	}
	var out []*agg
	for _, a := range list {
		if p := plain[a.name]; p != nil && p != a && a.entry.Action == specs.ActAllow && len(a.entry.Args) > 0 &&
			a.entry.Includes == nil && a.entry.Excludes == nil {
			if a.parsed {
				p.parsed = true
				p.sum.calls += a.sum.calls
				p.absorbed = true
			}
			continue
		}
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].name != out[j].name {
			return out[i].name < out[j].name
		}
		return out[i].order < out[j].order
	})
	res := *merged.Seccomp
	res.Syscalls = make([]*seccomp.Syscall, 0, len(out))
	for _, a := range out {
		e := a.entry
		switch {
		case a.parsed:
			t := a.sum
			t.errorsKnown = a.errorsOK && t.calls > 0
			t.notes = a.notes
			t.recordings, t.total = nameRecs[a.name], total
			if t.subject == "" && !a.absorbed {
				sortABIs(a.archSeq, nativeOf(&res))
				for _, arch := range a.archSeq {
					t.perArch = append(t.perArch, archCount{arch, a.perArch[arch]})
				}
				if len(t.perArch) == 1 && t.perArch[0].arch == nativeOf(&res) {
					t.perArch = nil
				}
			}
			e.Comment = t.String()
		default:
			e.Comment = a.raw
		}
		res.Syscalls = append(res.Syscalls, e)
	}
	return profile.New(&res, merged.Ext), nil
}

// nativeOf names the ABI a profile lists first (the one the recording
// ran on), or "".
func nativeOf(s *seccomp.Seccomp) string {
	var first string
	switch {
	case len(s.Architectures) > 0:
		first = string(s.Architectures[0])
	case len(s.ArchMap) > 0:
		first = string(s.ArchMap[0].Arch)
	default:
		return ""
	}
	a, err := syscalls.ArchByName(first)
	if err != nil {
		return ""
	}
	return a.Name
}

func unconditionalAllow(sc *seccomp.Syscall) bool {
	return sc.Action == specs.ActAllow && len(sc.Args) == 0 && sc.Includes == nil && sc.Excludes == nil
}

// withoutClone3ENOSYS returns a copy of s without its clone3 ENOSYS
// entries, or nil when it has none.
func withoutClone3ENOSYS(s *seccomp.Seccomp) *seccomp.Seccomp {
	var keep []*seccomp.Syscall
	found := false
	for _, sc := range s.Syscalls {
		if sc.Action == specs.ActErrno && sc.ErrnoRet != nil && *sc.ErrnoRet == errnoENOSYS &&
			len(sc.Args) == 0 && slices.Equal(profile.EntryNames(sc), []string{"clone3"}) {
			found = true
			continue
		}
		keep = append(keep, sc)
	}
	if !found {
		return nil
	}
	c := *s
	c.Syscalls = keep
	return &c
}

// sortABIs orders ABI names as Profile does: the native one first, then
// libseccomp's order.
func sortABIs(names []string, native string) {
	rank := func(n string) int {
		if n == native {
			return -1
		}
		if a, err := syscalls.ArchByName(n); err == nil {
			return archIndex(a)
		}
		return len(syscalls.Arches())
	}
	sort.SliceStable(names, func(i, j int) bool { return rank(names[i]) < rank(names[j]) })
}
