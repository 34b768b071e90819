package profile

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ErrMergeConflict is returned by Merge when the profiles cannot be
// combined without changing what one of them decides.
var ErrMergeConflict = errors.New("profiles conflict")

// Merge combines profiles into one that allows what any of them allows:
// the learn → merge loop of `sysfence record --merge` and `run --audit
// --update`. The first profile sets the frame; the others must agree with
// it on the default action (and errno), or Merge fails naming both.
//
//   - architectures and archMap entries are united (the first's order
//     first), flags likewise; listenerPath/listenerMetadata must agree.
//   - Syscall entries are united. An entry of a later profile that has the
//     same action, errno, arguments and includes/excludes as an earlier
//     entry only adds its names to it (in order, without duplicates; the
//     first entry's comment is kept); any other entry is appended.
//   - A name that is unconditional in two entries with different actions
//     is a conflict: the union would depend on order (libseccomp keeps the
//     first), so Merge refuses it with both positions.
//   - The x-sysfence sections are united (paths and ports, deduplicated).
//
// The inputs are not modified. The result has no positions.
func Merge(ps ...*Profile) (*Profile, error) {
	if len(ps) == 0 {
		return nil, errors.New("merge: no profiles")
	}
	first := ps[0]
	out := cloneSeccomp(first.Seccomp)
	ext := mergeExt(nil, first.Ext)
	for _, p := range ps[1:] {
		s := p.Seccomp
		if s.DefaultAction != out.DefaultAction || !sameRet(s.DefaultAction, s.DefaultErrnoRet, out.DefaultErrnoRet) {
			return nil, fmt.Errorf("%w: %s: defaultAction %s differs from %s's %s", ErrMergeConflict,
				p.Where("defaultAction"), describeDefault(s), first.File, describeDefault(out))
		}
		if s.ListenerPath != out.ListenerPath || s.ListenerMetadata != out.ListenerMetadata {
			return nil, fmt.Errorf("%w: %s: listenerPath/listenerMetadata differ from %s's", ErrMergeConflict, p.Where("listenerPath"), first.File)
		}
		for _, a := range s.Architectures {
			if !slices.Contains(out.Architectures, a) {
				out.Architectures = append(out.Architectures, a)
			}
		}
		for _, am := range s.ArchMap {
			i := slices.IndexFunc(out.ArchMap, func(x seccomp.Architecture) bool { return x.Arch == am.Arch })
			if i < 0 {
				out.ArchMap = append(out.ArchMap, seccomp.Architecture{Arch: am.Arch, SubArches: slices.Clone(am.SubArches)})
				continue
			}
			for _, sub := range am.SubArches {
				if !slices.Contains(out.ArchMap[i].SubArches, sub) {
					out.ArchMap[i].SubArches = append(out.ArchMap[i].SubArches, sub)
				}
			}
		}
		for _, f := range s.Flags {
			if !slices.Contains(out.Flags, f) {
				out.Flags = append(out.Flags, f)
			}
		}
		for i, sc := range s.Syscalls {
			if err := mergeEntry(out, sc, first, p, i); err != nil {
				return nil, err
			}
		}
		ext = mergeExt(ext, p.Ext)
	}
	if len(out.Architectures) > 0 && len(out.ArchMap) > 0 {
		return nil, fmt.Errorf("%w: the profiles use both architectures and archMap; Docker accepts only one of them", ErrMergeConflict)
	}
	return New(out, ext), nil
}

// mergeEntry adds one entry of a later profile to the union.
func mergeEntry(out *seccomp.Seccomp, sc *seccomp.Syscall, first, p *Profile, idx int) error {
	names := EntryNames(sc)
	key := EntryKey(sc)
	if len(sc.Args) == 0 && sc.Includes == nil && sc.Excludes == nil {
		for _, n := range names {
			for _, o := range out.Syscalls {
				if len(o.Args) == 0 && o.Includes == nil && o.Excludes == nil && slices.Contains(EntryNames(o), n) &&
					(o.Action != sc.Action || !sameRet(sc.Action, o.ErrnoRet, sc.ErrnoRet)) {
					return fmt.Errorf("%w: %s: %s is %s here but %s in %s", ErrMergeConflict,
						p.Where(fmt.Sprintf("syscalls[%d]", idx)), n, describeAction(sc.Action, sc.ErrnoRet), describeAction(o.Action, o.ErrnoRet), first.File)
				}
			}
		}
	}
	for _, o := range out.Syscalls {
		if EntryKey(o) != key {
			continue
		}
		if o.Name != "" { // normalise the deprecated single name
			o.Names, o.Name = []string{o.Name}, ""
		}
		for _, n := range names {
			if !slices.Contains(o.Names, n) {
				o.Names = append(o.Names, n)
			}
		}
		return nil
	}
	c := CloneEntry(sc)
	if c.Name != "" {
		c.Names, c.Name = []string{c.Name}, ""
	}
	out.Syscalls = append(out.Syscalls, c)
	return nil
}

// EntryNames returns the names of a syscall entry, whether it uses the
// deprecated "name" or "names".
func EntryNames(sc *seccomp.Syscall) []string {
	if sc.Name != "" {
		return []string{sc.Name}
	}
	return sc.Names
}

// EntryKey identifies what a syscall entry decides apart from its names
// and comment (action, errno, arguments, includes/excludes): entries with
// equal keys can share one names list.
func EntryKey(sc *seccomp.Syscall) string {
	k := struct {
		A  specs.LinuxSeccompAction
		E  *uint
		Ar []specs.LinuxSeccompArg
		I  *seccomp.Filter
		X  *seccomp.Filter
	}{sc.Action, sc.ErrnoRet, sc.Args, sc.Includes, sc.Excludes}
	b, _ := json.Marshal(k) // plain data: cannot fail
	return string(b)
}

// sameRet compares the return values of two uses of action as runc sets
// them: ERRNO and TRACE without a value mean EPERM and 1, other actions
// have none.
func sameRet(action specs.LinuxSeccompAction, a, b *uint) bool {
	switch action {
	case specs.ActErrno, specs.ActTrace:
		one := uint(1)
		if a == nil {
			a = &one
		}
		if b == nil {
			b = &one
		}
		return *a == *b
	}
	return true
}

func describeDefault(s *seccomp.Seccomp) string {
	return describeAction(s.DefaultAction, s.DefaultErrnoRet)
}

func describeAction(a specs.LinuxSeccompAction, errno *uint) string {
	if errno != nil {
		return fmt.Sprintf("%s(%d)", a, *errno)
	}
	return string(a)
}

// cloneSeccomp deep-copies a profile through JSON (moby's types are plain
// data; a hand-written copy would silently miss fields added upstream).
func cloneSeccomp(s *seccomp.Seccomp) *seccomp.Seccomp {
	var c seccomp.Seccomp
	b, _ := json.Marshal(s)
	_ = json.Unmarshal(b, &c)
	return &c
}

// CloneEntry deep-copies a syscall entry.
func CloneEntry(s *seccomp.Syscall) *seccomp.Syscall {
	var c seccomp.Syscall
	b, _ := json.Marshal(s)
	_ = json.Unmarshal(b, &c)
	return &c
}

func mergeExt(a, b *Extension) *Extension {
	if b == nil {
		return a
	}
	if a == nil {
		a = &Extension{}
	}
	addStrings := func(dst *[]string, src []string) {
		for _, s := range src {
			if !slices.Contains(*dst, s) {
				*dst = append(*dst, s)
			}
		}
	}
	addPorts := func(dst *[]uint16, src []uint16) {
		for _, s := range src {
			if !slices.Contains(*dst, s) {
				*dst = append(*dst, s)
			}
		}
	}
	addStrings(&a.AllowRead, b.AllowRead)
	addStrings(&a.AllowWrite, b.AllowWrite)
	addStrings(&a.AllowExec, b.AllowExec)
	addPorts(&a.AllowBind, b.AllowBind)
	addPorts(&a.AllowConnect, b.AllowConnect)
	return a
}
