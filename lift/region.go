package lift

import (
	"fmt"
	"strings"
)

// NumArgs is the number of 64-bit values a Box constrains: the six
// arguments and, as index IP, the instruction pointer.
const (
	NumArgs = 7
	IP      = 6
)

// Box is a product of sets: an input is in it when each argument (and the
// instruction pointer, index IP) is in its set. A Set with no Space means
// any value.
type Box [NumArgs]Set

// Any reports whether the box leaves argument i free.
func (b *Box) Any(i int) bool { return b[i].s == nil }

// Case is one value of a decision over the arguments and the region of
// argument values that gets it, as disjoint boxes.
type Case struct {
	Value uint64
	Boxes []Box
}

// Cases splits a decision over the arguments (a Range's Out) into its
// values and their regions, sorted by value. A region is a union of
// boxes, which may overlap. It fails with ErrTooComplex past a few
// thousand boxes per value, and panics when f depends on arch or nr.
func (f Func) Cases() ([]Case, error) {
	s := f.s
	if s.nodes[f.n].level < levelsArgs {
		panic("lift: Cases of a decision that depends on arch or nr")
	}
	var out []Case
	for _, v := range f.Values() {
		boxes, err := s.cover(s.region(f.n, v))
		if err != nil {
			return nil, err
		}
		out = append(out, Case{Value: v, Boxes: boxes})
	}
	return out, nil
}

// region is the predicate "n answers v".
func (s *Space) region(n int32, v uint64) int32 {
	return s.mapLeaves(n, func(x uint64) uint64 {
		if x == v {
			return 1
		}
		return 0
	}, map[int32]int32{})
}

// argFirst is the first level of argument i (its high word's top bit).
func argFirst(i int) uint16 { return uint16(levelsArgs + 64*i) }

// cover writes a predicate over the arguments as a union of boxes. At
// each argument the values are grouped by the predicate left for the
// arguments after it (a partition); a group's box takes every value whose
// rest is implied by its own, so that "arg0 ∈ S or arg1 ∈ T" comes out as
// those two boxes, not as "arg0 ∈ S" and "arg0 ∉ S and arg1 ∈ T".
func (s *Space) cover(p int32) ([]Box, error) {
	var out []Box
	zero, one := s.leaf(0), s.leaf(1)
	var rec func(n int32, i int, b Box) error
	rec = func(n int32, i int, b Box) error {
		if n == zero {
			return nil
		}
		if n == one {
			for j := range out {
				if out[j].covers(&b) {
					return nil
				}
			}
			if len(out) >= maxBoxes {
				return fmt.Errorf("argument regions: %w", ErrTooComplex)
			}
			out = append(out, b)
			return nil
		}
		classes := s.partition(n, argFirst(i), 64)
		for _, c := range classes {
			if c.exit == zero {
				continue
			}
			set := c.set
			for _, d := range classes {
				// d's rest holds wherever c's does: d's values may join.
				if d.exit != c.exit && s.iteN(c.exit, s.not(d.exit), zero) == zero {
					set = set.Union(d.set)
				}
			}
			nb := b
			if !set.Full() {
				nb[i] = set
			}
			if err := rec(c.exit, i+1, nb); err != nil {
				return err
			}
		}
		return nil
	}
	if err := rec(p, 0, Box{}); err != nil {
		return nil, err
	}
	return out, nil
}

// covers reports whether box b holds every input of box c.
func (b *Box) covers(c *Box) bool {
	for i := range b {
		switch {
		case b.Any(i):
		case c.Any(i):
			return false
		default:
			bi, ci := b[i], c[i]
			if bi.s.iteN(ci.p, bi.s.not(bi.p), bi.s.leaf(0)) != bi.s.leaf(0) {
				return false
			}
		}
	}
	return true
}

// simplify is Coudert and Madre's restrict: a predicate that agrees with
// f wherever care holds and is usually smaller, for don't-care regions.
func (s *Space) simplify(f, care int32, memo map[[2]int32]int32) int32 {
	zero, one := s.leaf(0), s.leaf(1)
	if care == one || s.isLeaf(f) || care == zero {
		return f
	}
	if f == care {
		return one
	}
	key := [2]int32{f, care}
	if r, ok := memo[key]; ok {
		return r
	}
	nf, nc := s.nodes[f], s.nodes[care]
	var r int32
	if nc.level < nf.level {
		// f does not test care's top variable: care need only hold for
		// one of its values.
		switch {
		case nc.lo == zero:
			r = s.simplify(f, nc.hi, memo)
		case nc.hi == zero:
			r = s.simplify(f, nc.lo, memo)
		default:
			r = s.simplify(f, s.iteN(nc.lo, one, nc.hi), memo)
		}
	} else {
		c0, c1 := s.cofactors(care, nf.level)
		switch {
		case c0 == zero:
			r = s.simplify(nf.hi, c1, memo)
		case c1 == zero:
			r = s.simplify(nf.lo, c0, memo)
		default:
			r = s.mk(nf.level, s.simplify(nf.lo, c0, memo), s.simplify(nf.hi, c1, memo))
		}
	}
	memo[key] = r
	return r
}

// ArgName is "arg0".."arg5", or "ip".
func ArgName(i int) string {
	if i == IP {
		return "ip"
	}
	return fmt.Sprintf("arg%d", i)
}

// Conds renders each constrained argument of the box, e.g. "arg0 == 1".
// On an ABI whose arguments are 32 bits (is64 false), a set in which the
// high word does not count is written as one of low words.
func (b *Box) Conds(is64 bool) []string {
	var out []string
	for i := range b {
		if b.Any(i) {
			continue
		}
		set := b[i]
		if !is64 {
			if low, ok := set.Low(); ok {
				set = low
			}
		}
		out = append(out, set.String(ArgName(i)))
	}
	return out
}

// String renders the box as its conditions joined by ", " ("any" when
// every argument is free).
func (b *Box) String(is64 bool) string {
	c := b.Conds(is64)
	if len(c) == 0 {
		return "any"
	}
	return strings.Join(c, ", ")
}

// RegionString renders a union of boxes: one box as its conditions, more
// as "(…) or (…)".
func RegionString(boxes []Box, is64 bool) string {
	if len(boxes) == 1 {
		return boxes[0].String(is64)
	}
	parts := make([]string, len(boxes))
	for i := range boxes {
		parts[i] = boxes[i].String(is64)
		if len(boxes[i].Conds(is64)) > 1 {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, " or ")
}

// MinInput returns the smallest arguments in the box (each argument the
// smallest value of its set, 0 where free), and the instruction pointer.
func (b *Box) MinInput() (args [6]uint64, ip uint64) {
	for i := range b {
		if b.Any(i) {
			continue
		}
		if i == IP {
			ip = b[i].Min()
		} else {
			args[i] = b[i].Min()
		}
	}
	return args, ip
}
