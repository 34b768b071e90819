package lift

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sysfence/sysfence/bpf"
)

// Func is a decision: a value for every seccomp_data input. Program makes
// one from a filter (the value is the filter's return value); Combine,
// Map and Stack make new ones. The zero Func is invalid.
type Func struct {
	s *Space
	n int32
}

// Space returns the Space that holds f.
func (f Func) Space() *Space { return f.s }

// Const returns the Func that answers v for every input.
func (s *Space) Const(v uint64) Func { return Func{s: s, n: s.leaf(v)} }

// Eval returns f's value for one input. For a lifted program it is what
// bpf.Run returns.
func (f Func) Eval(d *bpf.Data) uint64 {
	w := words(d)
	return f.s.eval(f.n, &w)
}

// Equal reports whether f and g decide every input alike. Both must come
// from the same Space; the answer is exact and costs nothing (diagrams
// are canonical).
func (f Func) Equal(g Func) bool {
	if f.s != g.s {
		panic("lift: Funcs of different Spaces")
	}
	return f.n == g.n
}

// Const reports whether f answers one value for every input, and which.
func (f Func) Const() (uint64, bool) {
	nd := &f.s.nodes[f.n]
	return nd.val, nd.level == leafLevel
}

// Values returns the distinct values f answers, sorted.
func (f Func) Values() []uint64 {
	v := f.s.leafValues(f.n, map[int32]bool{}, nil)
	slices.Sort(v)
	return v
}

// Size is the number of nodes of f's diagram (terminals included).
func (f Func) Size() int { return f.s.size(f.n, map[int32]bool{}) }

// Combine returns the Func whose value for every input is op of f's and
// g's values there. Both must come from the same Space.
func Combine(f, g Func, op func(a, b uint64) uint64) Func {
	if f.s != g.s {
		panic("lift: Funcs of different Spaces")
	}
	return Func{s: f.s, n: f.s.apply(f.n, g.n, op, map[[2]int32]int32{})}
}

// Pair is what two Funcs answer at an input where Differ sets them
// apart.
type Pair struct{ A, B uint64 }

// Differ returns where f and g (of one Space) answer values x and y for
// which differ(x, y) holds: a Func answering 0 everywhere else and i+1
// where they answer pairs[i].
func Differ(f, g Func, differ func(x, y uint64) bool) (Func, []Pair) {
	var pairs []Pair
	index := map[Pair]uint64{}
	d := Combine(f, g, func(x, y uint64) uint64 {
		if !differ(x, y) {
			return 0
		}
		p := Pair{x, y}
		if i, ok := index[p]; ok {
			return i
		}
		pairs = append(pairs, p)
		index[p] = uint64(len(pairs))
		return uint64(len(pairs))
	})
	return d, pairs
}

// Map returns the Func whose value is op of f's for every input.
func (f Func) Map(op func(v uint64) uint64) Func {
	return Func{s: f.s, n: f.s.mapLeaves(f.n, op, map[int32]int32{})}
}

// KernelOrder is the rank the kernel gives a return value when several
// filters answer (kernel/seccomp.c, seccomp_run_filters): the action bits
// as a signed 32-bit number, lowest wins. KILL_PROCESS (0x80000000) is the
// lowest, ALLOW (0x7fff0000) the highest; values between the known
// actions rank where their action bits put them.
func KernelOrder(ret uint32) int32 { return int32(ret & 0xffff0000) }

// ErrNoProgram: a stack of no filter.
var ErrNoProgram = errors.New("no filter")

// Programs lifts the filters of a stack, in installation order, and
// combines them as the kernel does (Stack); bigEndian is the machine's
// byte order.
func (s *Space) Programs(progs []bpf.Program, bigEndian bool) (Func, error) {
	if len(progs) == 0 {
		return Func{}, ErrNoProgram
	}
	var fs []Func
	for i, p := range progs {
		g, err := s.Program(p, bigEndian)
		if err != nil {
			return Func{}, fmt.Errorf("filter %d of %d: %w", i+1, len(progs), err)
		}
		fs = append(fs, g)
	}
	return Stack(fs...), nil
}

// Stack returns the decision of filters stacked on one thread, as the
// kernel combines them. filters are in the order they were installed
// (index 0 first, as PTRACE_SECCOMP_GET_FILTER numbers them); the kernel
// runs the last installed first and back to the first, keeping a later
// result only when its action ranks strictly lower in KernelOrder (so
// among equal actions with different data, the most recently installed
// filter's answer stands). Values must be filter return values (32 bits).
func Stack(filters ...Func) Func {
	if len(filters) == 0 {
		panic("lift: Stack of no filter")
	}
	out := filters[len(filters)-1]
	for i := len(filters) - 2; i >= 0; i-- {
		out = Combine(out, filters[i], func(newer, older uint64) uint64 {
			if KernelOrder(uint32(older)) < KernelOrder(uint32(newer)) {
				return older
			}
			return newer
		})
	}
	return out
}

// Witness returns the smallest input (comparing arch, then nr, then each
// argument from args[0], then the instruction pointer) whose value
// satisfies want, and that value; ok is false when there is none.
func (f Func) Witness(want func(v uint64) bool) (d bpf.Data, v uint64, ok bool) {
	s := f.s
	p := f.Map(func(v uint64) uint64 {
		if want(v) {
			return 1
		}
		return 0
	}).n
	if s.isLeaf(p) && s.nodes[p].val == 0 {
		return d, 0, false
	}
	var w [numFields]uint32
	s.minAssign(p, &w)
	d = dataOf(&w)
	return d, f.Eval(&d), true
}

// minAssign sets in w the smallest assignment (in level order) that leads
// from p to a non-zero terminal; bits p does not test stay 0. p must not
// be the zero terminal (in a reduced diagram every other node reaches a
// non-zero terminal).
func (s *Space) minAssign(p int32, w *[numFields]uint32) {
	zero := s.leaf(0)
	for !s.isLeaf(p) {
		nd := &s.nodes[p]
		if nd.lo != zero {
			p = nd.lo
			continue
		}
		f, b := int(nd.level)/32, 31-int(nd.level)%32
		w[f] |= 1 << b
		p = nd.hi
	}
}

// dataOf is words' inverse.
func dataOf(w *[numFields]uint32) bpf.Data {
	d := bpf.Data{Arch: w[fieldArch], Nr: w[fieldNr]}
	for i := range d.Args {
		d.Args[i] = uint64(w[argHi(i)])<<32 | uint64(w[argLo(i)])
	}
	d.InstructionPointer = uint64(w[fieldIPHi])<<32 | uint64(w[fieldIPLo])
	return d
}
