package lift

import (
	"fmt"
	"math"
	"math/bits"
	"strings"
)

// Set is a set of values of one 32-bit seccomp_data word (arch, nr) or
// of one 64-bit argument, exact, whatever its shape: intervals, bit
// masks, or both.
type Set struct {
	s     *Space
	p     int32  // a predicate over the levels [first, first+width)
	first uint16 // level of the value's most significant bit
	width int    // 32 or 64
}

// Interval is the closed range [Lo, Hi].
type Interval struct{ Lo, Hi uint64 }

// Cube is the set of values v with v&Mask == Value.
type Cube struct{ Mask, Value uint64 }

// Width is 32 or 64, the number of bits of the values.
func (x Set) Width() int { return x.width }

func (x Set) max() uint64 {
	if x.width == 64 {
		return math.MaxUint64
	}
	return 1<<x.width - 1
}

// Empty reports whether x has no value.
func (x Set) Empty() bool { return x.p == x.s.leaf(0) }

// Full reports whether x holds every value.
func (x Set) Full() bool { return x.p == x.s.leaf(1) }

// Equal reports whether x and y hold the same values.
func (x Set) Equal(y Set) bool {
	return x.s == y.s && x.p == y.p && x.first == y.first && x.width == y.width
}

// Contains reports whether v is in x.
func (x Set) Contains(v uint64) bool {
	s, n := x.s, x.p
	for !s.isLeaf(n) {
		nd := &s.nodes[n]
		b := x.width - 1 - int(nd.level-x.first)
		if v>>b&1 != 0 {
			n = nd.hi
		} else {
			n = nd.lo
		}
	}
	return s.nodes[n].val != 0
}

// Complement returns the values not in x.
func (x Set) Complement() Set {
	x.p = x.s.not(x.p)
	return x
}

// Intersect returns the values in both.
func (x Set) Intersect(y Set) Set {
	x.p = x.s.iteN(x.p, y.p, x.s.leaf(0))
	return x
}

// Union returns the values in either.
func (x Set) Union(y Set) Set {
	x.p = x.s.iteN(x.p, x.s.leaf(1), y.p)
	return x
}

// Min returns the smallest value in x (0 for an empty set).
func (x Set) Min() uint64 {
	if x.Empty() {
		return 0
	}
	s, n, v := x.s, x.p, uint64(0)
	zero := s.leaf(0)
	for !s.isLeaf(n) {
		nd := &s.nodes[n]
		if nd.lo != zero {
			n = nd.lo
			continue
		}
		v |= 1 << (x.width - 1 - int(nd.level-x.first))
		n = nd.hi
	}
	return v
}

// Count returns how many values x holds (a float64: a set of 64-bit
// values may hold 2^64).
func (x Set) Count() float64 {
	memo := map[int32]float64{}
	var cnt func(n int32, l int) float64 // values of the levels from l on
	cnt = func(n int32, l int) float64 {
		s := x.s
		nd := &s.nodes[n]
		end := int(x.first) + x.width
		if nd.level == leafLevel {
			if nd.val == 0 {
				return 0
			}
			return math.Ldexp(1, end-l)
		}
		c, ok := memo[n]
		if !ok {
			c = cnt(nd.lo, int(nd.level)+1) + cnt(nd.hi, int(nd.level)+1)
			memo[n] = c
		}
		return math.Ldexp(c, int(nd.level)-l)
	}
	return cnt(x.p, int(x.first))
}

// NumIntervals returns how many maximal intervals x is made of (a float64:
// it may be astronomically many), without listing them.
func (x Set) NumIntervals() float64 {
	type runs struct {
		n           float64
		first, last bool
	}
	s := x.s
	end := int(x.first) + x.width
	memo := map[int32]runs{}
	// repeat is the runs of a function over k more levels that does
	// not test them: the same pattern 2^k times, joined where it ends
	// and starts in the set.
	repeat := func(r runs, k int) runs {
		m := math.Ldexp(1, k)
		join := 0.0
		if r.first && r.last {
			join = m - 1
		}
		return runs{n: m*r.n - join, first: r.first, last: r.last}
	}
	var walk func(n int32) runs // over the levels from n's own
	walk = func(n int32) runs {
		nd := &s.nodes[n]
		if nd.level == leafLevel {
			if nd.val == 0 {
				return runs{}
			}
			return runs{n: 1, first: true, last: true}
		}
		if r, ok := memo[n]; ok {
			return r
		}
		below := func(c int32) runs {
			l := int(s.nodes[c].level)
			if l > end {
				l = end
			}
			return repeat(walk(c), l-int(nd.level)-1)
		}
		lo, hi := below(nd.lo), below(nd.hi)
		r := runs{n: lo.n + hi.n, first: lo.first, last: hi.last}
		if lo.last && hi.first {
			r.n--
		}
		memo[n] = r
		return r
	}
	l := int(s.nodes[x.p].level)
	if l > end {
		l = end
	}
	return repeat(walk(x.p), l-int(x.first)).n
}

// NumCubes returns how many cubes Cubes lists for x.
func (x Set) NumCubes() float64 {
	s := x.s
	memo := map[int32]float64{}
	var walk func(n int32) float64
	walk = func(n int32) float64 {
		nd := &s.nodes[n]
		if nd.level == leafLevel {
			if nd.val == 0 {
				return 0
			}
			return 1
		}
		if c, ok := memo[n]; ok {
			return c
		}
		c := walk(nd.lo) + walk(nd.hi)
		memo[n] = c
		return c
	}
	return walk(x.p)
}

// Intervals returns x as sorted, disjoint, non-adjacent intervals; ok is
// false when it takes more than max of them.
func (x Set) Intervals(max int) (out []Interval, ok bool) {
	s := x.s
	if x.NumIntervals() > float64(max) {
		ok = false
		max = min(max, 4) // a few, for messages
	}
	pieces := 0
	var walk func(n int32, depth int, prefix uint64) bool
	walk = func(n int32, depth int, prefix uint64) bool {
		nd := &s.nodes[n]
		if nd.level == leafLevel {
			if nd.val == 0 {
				return true
			}
			free := x.width - depth
			lo := prefix << free
			hi := lo | (uint64(1)<<free - 1)
			if free == 64 {
				lo, hi = 0, math.MaxUint64
			}
			pieces++
			if k := len(out); k > 0 && out[k-1].Hi != math.MaxUint64 && out[k-1].Hi+1 == lo {
				out[k-1].Hi = hi
			} else {
				out = append(out, Interval{lo, hi})
			}
			return len(out) <= max && pieces <= 64*max
		}
		if int(nd.level) > int(x.first)+depth {
			return walk(n, depth+1, prefix<<1) && walk(n, depth+1, prefix<<1|1)
		}
		return walk(nd.lo, depth+1, prefix<<1) && walk(nd.hi, depth+1, prefix<<1|1)
	}
	if !walk(x.p, 0, 0) || x.NumIntervals() > float64(len(out)) {
		return out[:min(len(out), max)], false
	}
	return out, true
}

// Cubes returns x as disjoint cubes (one per path of its diagram); ok is
// false when it takes more than max of them.
func (x Set) Cubes(max int) (out []Cube, ok bool) {
	s := x.s
	if x.NumCubes() > float64(max) {
		return nil, false
	}
	var walk func(n int32, c Cube) bool
	walk = func(n int32, c Cube) bool {
		nd := &s.nodes[n]
		if nd.level == leafLevel {
			if nd.val != 0 {
				out = append(out, c)
			}
			return len(out) <= max
		}
		bit := uint64(1) << (x.width - 1 - int(nd.level-x.first))
		c.Mask |= bit
		if !walk(nd.lo, c) {
			return false
		}
		c.Value |= bit
		return walk(nd.hi, c)
	}
	if !walk(x.p, Cube{}) {
		return out[:min(len(out), max)], false
	}
	return out, true
}

// Low returns x as a set of 32-bit values of the low word when x is a set
// of 64-bit values in which the high word does not count; ok is false
// otherwise.
func (x Set) Low() (Set, bool) {
	if x.width != 64 {
		return x, false
	}
	if x.s.dependsOn(x.p, x.first, x.first+31, map[int32]bool{}) {
		return x, false
	}
	return Set{s: x.s, p: x.p, first: x.first + 32, width: 32}, true
}

// listMax is how many items a rendered set lists at most.
const listMax = 16

// Num writes a value as the listings do: decimal below 10, else hex.
func Num(v uint64) string {
	if v < 10 {
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%#x", v)
}

// String renders x as a condition on a value named name, e.g. "arg0 ∉
// {0, 8, 0x20000}", "arg1 >= 0x10", "(arg0 & 0x7e020000) == 0"; "any"
// for a full set and "none" for an empty one.
func (x Set) String(name string) string {
	if x.Full() {
		return "any"
	}
	if x.Empty() {
		return "none"
	}
	in, okIn := x.Intervals(listMax)
	out, okOut := x.Complement().Intervals(listMax)
	cubes, okCubes := x.Cubes(listMax)
	// The shortest to read: a value counts 1, a range 2, a mask 3.
	weight := func(ivs []Interval) int {
		w := 0
		for _, iv := range ivs {
			if iv.Lo == iv.Hi || iv.Lo == 0 || iv.Hi == x.max() {
				w++
			} else {
				w += 2
			}
		}
		return w
	}
	best, form := math.MaxInt, ""
	if okIn {
		best, form = weight(in), "in"
	}
	if w := weight(out); okOut && w < best {
		best, form = w, "out"
	}
	if okCubes && 3*len(cubes) < best {
		best, form = 3*len(cubes), "cubes"
	}
	notCubes, okNot := x.Complement().Cubes(1)
	if okNot && len(notCubes) == 1 && notCubes[0].Mask != x.max() && 3 < best {
		c := notCubes[0]
		return fmt.Sprintf("(%s & %s) != %s", name, Num(c.Mask), Num(c.Value))
	}
	switch form {
	case "in":
		return intervalsString(name, in, x.max(), false)
	case "out":
		return intervalsString(name, out, x.max(), true)
	case "cubes":
		parts := make([]string, len(cubes))
		for i, c := range cubes {
			if c.Mask == x.max() {
				parts[i] = fmt.Sprintf("%s == %s", name, Num(c.Value))
			} else {
				parts[i] = fmt.Sprintf("(%s & %s) == %s", name, Num(c.Mask), Num(c.Value))
			}
		}
		return strings.Join(parts, " || ")
	}
	some, _ := x.Intervals(4)
	return intervalsString(name, some, x.max(), false) + fmt.Sprintf(" ∪ … (%.0f values in more than %d intervals)", x.Count(), listMax)
}

// intervalsString writes "name ∈ {…}" (or ∉ for the complement), with
// the short forms ==, !=, <=, >= where one interval says it.
func intervalsString(name string, ivs []Interval, max uint64, not bool) string {
	if len(ivs) == 1 {
		iv := ivs[0]
		switch {
		case iv.Lo == iv.Hi && not:
			return fmt.Sprintf("%s != %s", name, Num(iv.Lo))
		case iv.Lo == iv.Hi:
			return fmt.Sprintf("%s == %s", name, Num(iv.Lo))
		case iv.Lo == 0 && not:
			return fmt.Sprintf("%s > %s", name, Num(iv.Hi))
		case iv.Lo == 0:
			return fmt.Sprintf("%s <= %s", name, Num(iv.Hi))
		case iv.Hi == max && not:
			return fmt.Sprintf("%s < %s", name, Num(iv.Lo))
		case iv.Hi == max:
			return fmt.Sprintf("%s >= %s", name, Num(iv.Lo))
		}
	}
	var points, ranges []string
	for _, iv := range ivs {
		if iv.Lo == iv.Hi {
			points = append(points, Num(iv.Lo))
		} else {
			ranges = append(ranges, fmt.Sprintf("[%s, %s]", Num(iv.Lo), Num(iv.Hi)))
		}
	}
	var parts []string
	if len(points) > 0 {
		parts = append(parts, "{"+strings.Join(points, ", ")+"}")
	}
	parts = append(parts, ranges...)
	op := "∈"
	if not {
		op = "∉"
	}
	return fmt.Sprintf("%s %s %s", name, op, strings.Join(parts, " ∪ "))
}

// cubePredicate is the predicate of the values v with v&c.Mask == c.Value.
func (x Set) cubePredicate(c Cube) int32 {
	s := x.s
	r := s.leaf(1)
	for b := 0; b < x.width; b++ {
		if c.Mask>>b&1 == 0 {
			continue
		}
		l := x.first + uint16(x.width-1-b)
		if c.Value>>b&1 != 0 {
			r = s.mk(l, s.leaf(0), r)
		} else {
			r = s.mk(l, r, s.leaf(0))
		}
	}
	return r
}

// Piece is an interval or a cube of values, or the values in both when
// both are set.
type Piece struct {
	Interval *Interval
	Cube     *Cube
}

// Max returns the largest value in x (0 for an empty set).
func (x Set) Max() uint64 {
	if x.Empty() {
		return 0
	}
	s, n, v := x.s, x.p, uint64(0)
	zero := s.leaf(0)
	depth := 0 // bits decided, from the top
	for {
		nd := &s.nodes[n]
		at := x.width
		if nd.level != leafLevel {
			at = int(nd.level - x.first)
		}
		for ; depth < at; depth++ { // bits n does not test: ones
			v |= 1 << (x.width - 1 - depth)
		}
		if nd.level == leafLevel {
			return v
		}
		if nd.hi != zero {
			v |= 1 << (x.width - 1 - depth)
			n = nd.hi
		} else {
			n = nd.lo
		}
		depth++
	}
}

// atLeast is the predicate of the values >= v.
func (x Set) atLeast(v uint64) int32 {
	s := x.s
	r := s.leaf(1)
	for b := 0; b < x.width; b++ {
		l := x.first + uint16(x.width-1-b)
		if v>>b&1 != 0 {
			r = s.mk(l, s.leaf(0), r)
		} else {
			r = s.mk(l, r, s.leaf(1))
		}
	}
	return r
}

// Cover returns pieces, which may overlap, whose union is x: from the
// smallest value not yet covered, the longer of the largest interval of
// x around it and a cube of x grown around it one bit at a time from the
// least significant (so aligned ranges and masks come out whole even
// where x is a union of both). With single, intervals that would need two
// conditions (neither end at 0 or the top) are not used. ok is false past
// max pieces.
func (x Set) Cover(max int, single bool) (out []Piece, ok bool) {
	s := x.s
	zero, one := s.leaf(0), s.leaf(1)
	covered := zero
	full := x.max()
	// Without single, a piece may also be a cube within x's hull, grown
	// where x holds inside the hull: the sets a range and a mask test
	// together (x <= c && x&m == 0) and their unions are one piece each,
	// not one per aligned block of the range.
	hull, hullP, holes := Interval{x.Min(), x.Max()}, zero, zero
	if !single && !x.Empty() && (hull.Lo != 0 || hull.Hi != full) {
		hullP = x.atLeast(hull.Lo)
		if hull.Hi != full {
			hullP = s.iteN(hullP, s.not(x.atLeast(hull.Hi+1)), zero)
		}
		holes = s.iteN(hullP, s.not(x.p), zero)
	}
	for {
		rest := s.iteN(covered, zero, x.p)
		if rest == zero {
			return out, true
		}
		if len(out) >= max {
			return out, false
		}
		v := Set{s: s, p: rest, first: x.first, width: x.width}.Min()
		c := Cube{Mask: full, Value: v}
		for b := 0; b < x.width; b++ {
			try := Cube{Mask: c.Mask &^ (1 << b), Value: c.Value &^ (1 << b)}
			if s.iteN(x.cubePredicate(try), s.not(x.p), zero) == zero {
				c = try
			}
		}
		cubeSize := math.Ldexp(1, x.width-bits.OnesCount64(c.Mask))
		hc, hcSize := c, 0.0
		if hullP != zero {
			for b := 0; b < x.width; b++ {
				try := Cube{Mask: hc.Mask &^ (1 << b), Value: hc.Value &^ (1 << b)}
				if s.iteN(x.cubePredicate(try), holes, zero) == zero {
					hc = try
				}
			}
			hcSize = Set{s: s, p: s.iteN(x.cubePredicate(hc), hullP, zero), first: x.first, width: x.width}.Count()
		}
		// The interval of x around v: up to the first value above v
		// outside x, down to the last one below.
		outside := x.Complement()
		hi := full
		if v < full {
			above := Set{s: s, p: s.iteN(outside.p, x.atLeast(v+1), zero), first: x.first, width: x.width}
			if !above.Empty() {
				hi = above.Min() - 1
			}
		}
		lo := uint64(0)
		if v > 0 {
			below := Set{s: s, p: s.iteN(outside.p, s.not(x.atLeast(v)), zero), first: x.first, width: x.width}
			if !below.Empty() {
				lo = below.Max() + 1
			}
		}
		ivSize := float64(hi-lo) + 1
		if hi-lo == full {
			ivSize = math.Ldexp(1, x.width)
		}
		usable := !single || lo == hi || lo == 0 || hi == full
		if hcSize > cubeSize && (!usable || hcSize > ivSize) {
			out = append(out, Piece{Interval: &hull, Cube: &hc})
			covered = s.iteN(s.iteN(x.cubePredicate(hc), hullP, zero), one, covered)
			continue
		}
		if usable && ivSize >= cubeSize {
			out = append(out, Piece{Interval: &Interval{lo, hi}})
			iv := x.atLeast(lo)
			if hi != full {
				iv = s.iteN(iv, s.not(x.atLeast(hi+1)), zero)
			}
			covered = s.iteN(iv, one, covered)
			continue
		}
		out = append(out, Piece{Cube: &c})
		covered = s.iteN(x.cubePredicate(c), one, covered)
	}
}
