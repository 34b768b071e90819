package lift

import (
	"github.com/sysfence/sysfence/bpf"
)

// The decision diagram. A Func is a reduced, ordered, multi-terminal
// binary decision diagram over the 512 bits of struct seccomp_data (16
// words of 32 bits): every internal node tests one bit, every terminal
// holds a value (a filter's return value, or whatever a Combine made).
// Nodes are hash-consed in their Space, so two Funcs of one Space decide
// every input alike exactly when they are the same node.
//
// Variable order: the words in the order below, each word's bits from the
// most significant down. The arguments come high word first so that a
// 64-bit argument reads as one 64-bit number from the top; the byte order
// of the ABI only changes which seccomp_data offset holds which word.

// Fields, in diagram order.
const (
	fieldArch  = 0
	fieldNr    = 1
	fieldArg0  = 2 // argument i: high word 2+2i, low word 3+2i
	fieldIPHi  = 14
	fieldIPLo  = 15
	numFields  = 16
	numLevels  = numFields * 32
	leafLevel  = 0xffff
	levelsArgs = fieldArg0 * 32 // first level of the arguments
)

// argHi and argLo are the fields of argument i's words.
func argHi(i int) int { return fieldArg0 + 2*i }
func argLo(i int) int { return fieldArg0 + 2*i + 1 }

// fieldOf maps a seccomp_data offset (4-byte aligned, below 64) to its
// field for an ABI of the given byte order.
func fieldOf(off uint32, bigEndian bool) int {
	switch {
	case off == bpf.OffNr:
		return fieldNr
	case off == bpf.OffArch:
		return fieldArch
	case off < bpf.OffArgs:
		if (off == bpf.OffInstructionPointer) == bigEndian {
			return fieldIPHi
		}
		return fieldIPLo
	}
	i := int(off-bpf.OffArgs) / 8
	if (off%8 == 0) == bigEndian {
		return argHi(i)
	}
	return argLo(i)
}

// words returns the 16 words of d in field order.
func words(d *bpf.Data) [numFields]uint32 {
	var w [numFields]uint32
	w[fieldArch] = d.Arch
	w[fieldNr] = d.Nr
	for i, a := range d.Args {
		w[argHi(i)] = uint32(a >> 32)
		w[argLo(i)] = uint32(a)
	}
	w[fieldIPHi] = uint32(d.InstructionPointer >> 32)
	w[fieldIPLo] = uint32(d.InstructionPointer)
	return w
}

// level of bit b (0 = least significant) of field f.
func level(f, b int) uint16 { return uint16(f*32 + 31 - b) }

type node struct {
	level  uint16 // leafLevel for terminals
	lo, hi int32  // children for bit 0 and bit 1
	val    uint64 // a terminal's value
}

type nodeKey struct {
	level  uint16
	lo, hi int32
}

// Space holds the nodes of Funcs. Funcs of one Space can be compared and
// combined; a Space is not safe for concurrent use, and it only grows.
type Space struct {
	nodes  []node
	unique map[nodeKey]int32
	leaves map[uint64]int32
	ite    map[[3]int32]int32
}

// NewSpace returns an empty Space.
func NewSpace() *Space {
	return &Space{
		nodes:  make([]node, 0, 1024),
		unique: make(map[nodeKey]int32, 1024),
		leaves: make(map[uint64]int32, 64),
		ite:    make(map[[3]int32]int32, 1024),
	}
}

// leaf returns the terminal holding v.
func (s *Space) leaf(v uint64) int32 {
	if id, ok := s.leaves[v]; ok {
		return id
	}
	id := int32(len(s.nodes))
	s.nodes = append(s.nodes, node{level: leafLevel, lo: -1, hi: -1, val: v})
	s.leaves[v] = id
	return id
}

// mk returns the node testing level l, reduced.
func (s *Space) mk(l uint16, lo, hi int32) int32 {
	if lo == hi {
		return lo
	}
	k := nodeKey{l, lo, hi}
	if id, ok := s.unique[k]; ok {
		return id
	}
	id := int32(len(s.nodes))
	s.nodes = append(s.nodes, node{level: l, lo: lo, hi: hi})
	s.unique[k] = id
	return id
}

func (s *Space) isLeaf(n int32) bool { return s.nodes[n].level == leafLevel }

// cofactors returns n's children for level l (n itself twice when n does
// not test l).
func (s *Space) cofactors(n int32, l uint16) (int32, int32) {
	nd := &s.nodes[n]
	if nd.level != l {
		return n, n
	}
	return nd.lo, nd.hi
}

// iteN is if-then-else: where c's value is not zero, t, else e. c is a
// predicate (terminals 0 and 1); t and e are any diagrams.
func (s *Space) iteN(c, t, e int32) int32 {
	if t == e {
		return t
	}
	if s.isLeaf(c) {
		if s.nodes[c].val != 0 {
			return t
		}
		return e
	}
	key := [3]int32{c, t, e}
	if r, ok := s.ite[key]; ok {
		return r
	}
	l := min(s.nodes[c].level, s.nodes[t].level, s.nodes[e].level)
	c0, c1 := s.cofactors(c, l)
	t0, t1 := s.cofactors(t, l)
	e0, e1 := s.cofactors(e, l)
	r := s.mk(l, s.iteN(c0, t0, e0), s.iteN(c1, t1, e1))
	s.ite[key] = r
	return r
}

// apply combines two diagrams terminal by terminal with op; memo is the
// caller's (op is a closure, so results are kept per call).
func (s *Space) apply(f, g int32, op func(x, y uint64) uint64, memo map[[2]int32]int32) int32 {
	nf, ng := &s.nodes[f], &s.nodes[g]
	if nf.level == leafLevel && ng.level == leafLevel {
		return s.leaf(op(nf.val, ng.val))
	}
	key := [2]int32{f, g}
	if r, ok := memo[key]; ok {
		return r
	}
	l := min(nf.level, ng.level)
	f0, f1 := s.cofactors(f, l)
	g0, g1 := s.cofactors(g, l)
	r := s.mk(l, s.apply(f0, g0, op, memo), s.apply(f1, g1, op, memo))
	memo[key] = r
	return r
}

// mapLeaves replaces every terminal value v by op(v).
func (s *Space) mapLeaves(f int32, op func(uint64) uint64, memo map[int32]int32) int32 {
	nd := s.nodes[f]
	if nd.level == leafLevel {
		return s.leaf(op(nd.val))
	}
	if r, ok := memo[f]; ok {
		return r
	}
	r := s.mk(nd.level, s.mapLeaves(nd.lo, op, memo), s.mapLeaves(nd.hi, op, memo))
	memo[f] = r
	return r
}

// eval follows the bits of w from n to a terminal.
func (s *Space) eval(n int32, w *[numFields]uint32) uint64 {
	for {
		nd := &s.nodes[n]
		if nd.level == leafLevel {
			return nd.val
		}
		f, b := int(nd.level)/32, 31-int(nd.level)%32
		if w[f]>>b&1 != 0 {
			n = nd.hi
		} else {
			n = nd.lo
		}
	}
}

// fixField fixes field f to the value v in n.
func (s *Space) fixField(n int32, f int, v uint32, memo map[int32]int32) int32 {
	nd := s.nodes[n]
	first, last := uint16(f*32), uint16(f*32+31)
	if nd.level > last {
		return n
	}
	if r, ok := memo[n]; ok {
		return r
	}
	var r int32
	if nd.level >= first {
		b := 31 - int(nd.level-first)
		if v>>b&1 != 0 {
			r = s.fixField(nd.hi, f, v, memo)
		} else {
			r = s.fixField(nd.lo, f, v, memo)
		}
	} else {
		r = s.mk(nd.level, s.fixField(nd.lo, f, v, memo), s.fixField(nd.hi, f, v, memo))
	}
	memo[n] = r
	return r
}

// dependsOn reports whether n tests any level in [first, last].
func (s *Space) dependsOn(n int32, first, last uint16, seen map[int32]bool) bool {
	nd := &s.nodes[n]
	if nd.level == leafLevel || nd.level > last {
		return false
	}
	if seen[n] {
		return false
	}
	seen[n] = true
	if nd.level >= first {
		return true
	}
	return s.dependsOn(nd.lo, first, last, seen) || s.dependsOn(nd.hi, first, last, seen)
}

// leafValues appends the distinct terminal values reachable from n.
func (s *Space) leafValues(n int32, seen map[int32]bool, out []uint64) []uint64 {
	if seen[n] {
		return out
	}
	seen[n] = true
	nd := &s.nodes[n]
	if nd.level == leafLevel {
		return append(out, nd.val)
	}
	out = s.leafValues(nd.lo, seen, out)
	return s.leafValues(nd.hi, seen, out)
}

// size counts the nodes reachable from n.
func (s *Space) size(n int32, seen map[int32]bool) int {
	if seen[n] {
		return 0
	}
	seen[n] = true
	nd := &s.nodes[n]
	if nd.level == leafLevel {
		return 1
	}
	return 1 + s.size(nd.lo, seen) + s.size(nd.hi, seen)
}
