package argspace

import (
	"github.com/sysfence/sysfence/policy"
)

// Space holds sets of argument values of one width (64 bits, or 32 on
// ABIs whose arguments libseccomp compares on their low word only) as a
// reduced ordered binary decision diagram over the value's bits, most
// significant first. Intervals, single values and MASKED_EQ patterns all
// take at most one node per bit, and intersections and complements of
// them stay small, where a union of intervals or of bit-pattern cubes
// fragments (a set of random 64-bit bounds minus a few points is
// thousands of cubes).
//
// A Space is not safe for concurrent use.
type Space struct {
	width  int
	nodes  []bddNode
	unique map[bddNode]int32
	memo   map[memoKey]int32
}

// bddNode tests bit (width-1-level) of the value: lo is taken when it is
// 0, hi when it is 1. Nodes 0 and 1 are the false and true terminals.
type bddNode struct {
	level  int32
	lo, hi int32
}

type memoKey struct {
	op   uint8
	a, b int32
}

const (
	opAnd uint8 = iota
	opAndNot
	opOr
)

// NewSpace returns an empty space of width-bit values (1 to 64).
func NewSpace(width int) *Space {
	sp := &Space{width: width, unique: map[bddNode]int32{}, memo: map[memoKey]int32{}}
	sp.nodes = []bddNode{{level: int32(width)}, {level: int32(width)}}
	return sp
}

func (sp *Space) mask() uint64 {
	if sp.width >= 64 {
		return ^uint64(0)
	}
	return 1<<uint(sp.width) - 1
}

func (sp *Space) mk(level, lo, hi int32) int32 {
	if lo == hi {
		return lo
	}
	n := bddNode{level, lo, hi}
	if id, ok := sp.unique[n]; ok {
		return id
	}
	id := int32(len(sp.nodes))
	sp.nodes = append(sp.nodes, n)
	sp.unique[n] = id
	return id
}

// Set is a set of values of a Space.
type Set struct {
	sp *Space
	id int32
}

func (sp *Space) set(id int32) Set { return Set{sp, id} }

// Space returns the space the set belongs to: sets of different spaces
// (of different Split calls) cannot be combined.
func (s Set) Space() *Space { return s.sp }

// Empty is the empty set; Universe every value of the space.
func (sp *Space) Empty() Set    { return sp.set(0) }
func (sp *Space) Universe() Set { return sp.set(1) }

// Value is the set of one value (truncated to the space's width).
func (sp *Space) Value(v uint64) Set { return sp.Pattern(v, sp.mask()) }

// Pattern is the set of values x with x&care == v&care.
func (sp *Space) Pattern(v, care uint64) Set {
	r := int32(1)
	for level := int32(sp.width - 1); level >= 0; level-- {
		bit := uint64(1) << uint(int32(sp.width)-1-level)
		if care&bit == 0 {
			continue
		}
		if v&bit != 0 {
			r = sp.mk(level, 0, r)
		} else {
			r = sp.mk(level, r, 0)
		}
	}
	return sp.set(r)
}

// AtLeast is the set of values >= v; AtMost of values <= v.
func (sp *Space) AtLeast(v uint64) Set { return sp.set(sp.bound(v&sp.mask(), true)) }
func (sp *Space) AtMost(v uint64) Set  { return sp.set(sp.bound(v&sp.mask(), false)) }

// bound builds x >= v (ge) or x <= v from the least significant bit up:
// r is the answer for the bits below the current one being equal.
func (sp *Space) bound(v uint64, ge bool) int32 {
	r := int32(1) // all bits equal: x == v holds both
	for level := int32(sp.width - 1); level >= 0; level-- {
		bit := uint64(1) << uint(int32(sp.width)-1-level)
		one := v&bit != 0
		switch {
		case ge && one: // x's bit must be 1 too
			r = sp.mk(level, 0, r)
		case ge: // x's bit 1 is greater whatever follows
			r = sp.mk(level, r, 1)
		case one: // x <= v: x's bit 0 is smaller whatever follows
			r = sp.mk(level, 1, r)
		default:
			r = sp.mk(level, r, 0)
		}
	}
	return r
}

// Interval is [lo, hi] (empty when lo > hi).
func (sp *Space) Interval(lo, hi uint64) Set {
	if lo > hi {
		return sp.Empty()
	}
	return sp.AtLeast(lo).And(sp.AtMost(hi))
}

// Cond returns the argument values for which c holds, exactly as
// policy.Cond.Match decides on an ABI of the space's width (32: the low
// word of the argument and of Value and Mask; MASKED_EQ compares with
// Value&Mask).
func (sp *Space) Cond(c policy.Cond) Set {
	m := sp.mask()
	v, mask := c.Value&m, c.Mask&m
	switch c.Op {
	case policy.OpEq:
		return sp.Value(v)
	case policy.OpNe:
		return sp.Value(v).Not()
	case policy.OpLt:
		if v == 0 {
			return sp.Empty()
		}
		return sp.AtMost(v - 1)
	case policy.OpLe:
		return sp.AtMost(v)
	case policy.OpGt:
		if v == m {
			return sp.Empty()
		}
		return sp.AtLeast(v + 1)
	case policy.OpGe:
		return sp.AtLeast(v)
	case policy.OpMaskedEq:
		return sp.Pattern(v&mask, mask)
	}
	return sp.Empty()
}

func (sp *Space) apply(op uint8, a, b int32) int32 {
	switch op {
	case opAnd:
		switch {
		case a == 0 || b == 0:
			return 0
		case a == 1:
			return b
		case b == 1 || a == b:
			return a
		}
	case opOr:
		switch {
		case a == 1 || b == 1:
			return 1
		case a == 0:
			return b
		case b == 0 || a == b:
			return a
		}
	case opAndNot:
		switch {
		case a == 0 || b == 1 || a == b:
			return 0
		case b == 0:
			return a
		case a == 1 && b <= 1:
			return 1 - b
		}
	}
	k := memoKey{op, a, b}
	if r, ok := sp.memo[k]; ok {
		return r
	}
	na, nb := sp.nodes[a], sp.nodes[b]
	level := min(na.level, nb.level)
	alo, ahi, blo, bhi := a, a, b, b
	if na.level == level {
		alo, ahi = na.lo, na.hi
	}
	if nb.level == level {
		blo, bhi = nb.lo, nb.hi
	}
	r := sp.mk(level, sp.apply(op, alo, blo), sp.apply(op, ahi, bhi))
	sp.memo[k] = r
	return r
}

// And, Or and Minus are intersection, union and difference; Not the
// complement within the space.
func (s Set) And(t Set) Set   { return s.sp.set(s.sp.apply(opAnd, s.id, t.id)) }
func (s Set) Or(t Set) Set    { return s.sp.set(s.sp.apply(opOr, s.id, t.id)) }
func (s Set) Minus(t Set) Set { return s.sp.set(s.sp.apply(opAndNot, s.id, t.id)) }
func (s Set) Not() Set        { return s.sp.set(s.sp.apply(opAndNot, 1, s.id)) }

// IsEmpty and IsUniverse test for the empty set and the whole space.
func (s Set) IsEmpty() bool    { return s.id == 0 }
func (s Set) IsUniverse() bool { return s.id == 1 }

// Contains reports whether v (truncated to the space's width) is in s.
func (s Set) Contains(v uint64) bool {
	id := s.id
	for id > 1 {
		n := s.sp.nodes[id]
		if v&(uint64(1)<<uint(int32(s.sp.width)-1-n.level)) != 0 {
			id = n.hi
		} else {
			id = n.lo
		}
	}
	return id == 1
}

// Min returns the smallest value of a non-empty set (0 for the empty one).
func (s Set) Min() uint64 {
	var v uint64
	id := s.id
	for id > 1 {
		n := s.sp.nodes[id]
		if n.lo != 0 {
			id = n.lo
			continue
		}
		v |= uint64(1) << uint(int32(s.sp.width)-1-n.level)
		id = n.hi
	}
	return v
}
