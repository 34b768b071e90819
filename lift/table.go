package lift

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/syscalls"
)

// ErrTooComplex is returned when a decision's number ranges or argument
// regions are too irregular to list (a filter that tests odd bits of the
// syscall number, say): the decision itself is still exact.
var ErrTooComplex = errors.New("too irregular to list")

// Limits of listing.
const (
	maxRanges = 1 << 16 // number ranges per ABI
	maxBoxes  = 1 << 12 // argument boxes per region
)

// class is one part of a partition: the values of a field (or argument)
// that lead to the same node below it.
type class struct {
	exit int32
	set  Set
}

// partition splits the values of the levels [first, first+width) at the
// top of n by the node they lead to below those levels. Classes come in
// the order their exits are first met, lowest values first.
func (s *Space) partition(n int32, first uint16, width int) []class {
	end := uint16(int(first) + width)
	var exits []int32
	seen := map[int32]bool{}
	var collect func(n int32)
	collect = func(n int32) {
		if seen[n] {
			return
		}
		seen[n] = true
		if s.nodes[n].level >= end {
			exits = append(exits, n)
			return
		}
		collect(s.nodes[n].lo)
		collect(s.nodes[n].hi)
	}
	collect(n)
	out := make([]class, len(exits))
	one, zero := s.leaf(1), s.leaf(0)
	for i, e := range exits {
		memo := map[int32]int32{}
		var slice func(n int32) int32
		slice = func(n int32) int32 {
			nd := s.nodes[n]
			if nd.level >= end {
				if n == e {
					return one
				}
				return zero
			}
			if r, ok := memo[n]; ok {
				return r
			}
			r := s.mk(nd.level, slice(nd.lo), slice(nd.hi))
			memo[n] = r
			return r
		}
		out[i] = class{exit: e, set: Set{s: s, p: slice(n), first: first, width: width}}
	}
	return out
}

// Table is a decision laid out for reading: by ABI, by syscall number
// range, then by argument region.
type Table struct {
	// ABIs are the ABIs whose AUDIT_ARCH token the decision treats apart
	// from the other architecture values, and those asked for; x86_64 and
	// x32 share a token and come as two ABIs split by the x32 bit.
	ABIs []*ABI
	// Other are the remaining architecture values, grouped by decision
	// (usually one group: every other value gets the bad-arch action).
	Other []*ArchGroup
}

// ABI is the decision on one ABI: its syscall numbers (for x86_64 those
// without the x32 bit, for x32 those with it) in ranges.
type ABI struct {
	Arch   *syscalls.Arch
	Ranges []Range
}

// ArchGroup is the decision on a set of architecture values that are no
// ABI of the Table.
type ArchGroup struct {
	Arches Set
	Ranges []Range
}

// Range is a run of syscall numbers that are decided alike: Out is the
// decision as a function of the arguments (and the instruction pointer)
// alone.
type Range struct {
	Lo, Hi uint32
	Out    Func
}

// Table lays f out by ABI. The ABIs are those whose AUDIT_ARCH token f
// treats differently from most architecture values, plus include (for
// names and comparisons: both sides of a diff, say). It fails with
// ErrTooComplex when f's number ranges cannot be listed.
func (f Func) Table(include ...*syscalls.Arch) (*Table, error) {
	s := f.s
	archFirst := uint16(fieldArch * 32)
	classes := s.partition(f.n, archFirst, 32)
	// The biggest class is "everything else".
	rest, most := int32(-1), -1.0
	for _, c := range classes {
		if n := c.set.Count(); n > most {
			rest, most = c.exit, n
		}
	}
	// The decision under each token, and the tokens laid out as ABIs.
	subs := map[uint32]int32{}
	tokens := map[uint32]bool{}
	for _, a := range syscalls.Arches() {
		if _, ok := subs[a.AuditArch]; ok {
			continue
		}
		sub := s.fixField(f.n, fieldArch, a.AuditArch, map[int32]int32{})
		subs[a.AuditArch] = sub
		if sub != rest || slices.ContainsFunc(include, func(b *syscalls.Arch) bool { return b.AuditArch == a.AuditArch }) {
			tokens[a.AuditArch] = true
		}
	}
	t := &Table{}
	listed := s.leaf(0)
	// The ABIs asked for first, in their order, then the rest in
	// libseccomp's order.
	var order []*syscalls.Arch
	for _, a := range include {
		if !slices.Contains(order, a) {
			order = append(order, a)
		}
	}
	for _, a := range syscalls.Arches() {
		if !slices.Contains(order, a) {
			order = append(order, a)
		}
	}
	for _, a := range order {
		if !tokens[a.AuditArch] {
			continue
		}
		sub := subs[a.AuditArch]
		half := int32(-1) // the x32 bit's predicate on x86_64's token
		if len(syscalls.ByAuditArch(a.AuditArch)) == 2 {
			bit := s.mk(level(fieldNr, 30), s.leaf(0), s.leaf(1))
			if a.IsX32() {
				half = bit
			} else {
				half = s.not(bit)
			}
		}
		ranges, err := s.ranges(sub, half)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.Name, err)
		}
		t.ABIs = append(t.ABIs, &ABI{Arch: a, Ranges: ranges})
		if !slices.ContainsFunc(t.ABIs[:len(t.ABIs)-1], func(x *ABI) bool { return x.Arch.AuditArch == a.AuditArch }) {
			listed = s.iteN(s.predicate(fieldValue(fieldArch), bpf.JmpJEQ, a.AuditArch), s.leaf(1), listed)
		}
	}
	for _, c := range classes {
		set := c.set.Intersect(Set{s: s, p: s.not(listed), first: archFirst, width: 32})
		if set.Empty() {
			continue
		}
		ranges, err := s.ranges(c.exit, -1)
		if err != nil {
			return nil, fmt.Errorf("architectures %s: %w", set.String("arch"), err)
		}
		t.Other = append(t.Other, &ArchGroup{Arches: set, Ranges: ranges})
	}
	return t, nil
}

// ranges lists the number ranges of n (a diagram below the arch levels),
// limited to the numbers of the predicate half when it is not -1.
func (s *Space) ranges(n, half int32) ([]Range, error) {
	var out []Range
	for _, c := range s.partition(n, fieldNr*32, 32) {
		set := c.set
		if half >= 0 {
			set.p = s.iteN(set.p, half, s.leaf(0))
		}
		ivs, ok := set.Intervals(maxRanges - len(out))
		if !ok {
			return nil, fmt.Errorf("syscall numbers: %w", ErrTooComplex)
		}
		for _, iv := range ivs {
			out = append(out, Range{Lo: uint32(iv.Lo), Hi: uint32(iv.Hi), Out: Func{s: s, n: c.exit}})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Lo < out[j].Lo })
	return out, nil
}

// ABI returns the table's part for an ABI, or nil.
func (t *Table) ABI(a *syscalls.Arch) *ABI {
	for _, x := range t.ABIs {
		if x.Arch == a {
			return x
		}
	}
	return nil
}

// Find returns the range holding nr, or nil.
func (a *ABI) Find(nr uint32) *Range {
	i := sort.Search(len(a.Ranges), func(i int) bool { return a.Ranges[i].Hi >= nr })
	if i < len(a.Ranges) && a.Ranges[i].Lo <= nr {
		return &a.Ranges[i]
	}
	return nil
}
