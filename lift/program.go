package lift

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/sysfence/sysfence/bpf"
)

// ErrUnsupported is wrapped by every *UnsupportedError: a program whose
// decision cannot be represented exactly (it never happens to programs
// compiled by sysfence or libseccomp).
var ErrUnsupported = errors.New("cannot be lifted exactly")

// UnsupportedError names the instruction of a program that Program cannot
// follow exactly, and why.
type UnsupportedError struct {
	PC  int
	Msg string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("lift: pc %d: %s (%v)", e.PC, e.Msg, ErrUnsupported)
}

// Unwrap makes errors.Is(err, ErrUnsupported) true.
func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

// maxPaths bounds the distinct (instruction, register state) pairs a
// program may reach before Program gives up.
const maxPaths = 1 << 20

// value is what a register or scratch cell holds during symbolic
// execution: a constant, or a bitwise image of one seccomp_data word in
// which every bit is a constant or one bit of the word, possibly
// inverted (what ld, and, or, xor and shifts by constants make of it).
// Arithmetic on a word has no such image and is refused.
type value struct {
	field int8     // -1 for a constant
	c     uint32   // the constant, or the constant bits of a word's image
	src   [32]int8 // per bit of the image: the word's bit it copies, or -1 (a constant bit)
	inv   uint32   // bits of the image that are the word's bit inverted
}

func constValue(c uint32) value { return value{field: -1, c: c} }

func fieldValue(f int) value {
	v := value{field: int8(f)}
	for i := range v.src {
		v.src[i] = int8(i)
	}
	return v
}

func (v value) isConst() bool { return v.field < 0 }

// canon turns an image without variable bits into a constant and clears
// what does not count, so that equal values compare equal.
func (v value) canon() value {
	if v.field < 0 {
		return constValue(v.c)
	}
	varBits := uint32(0)
	for i, s := range v.src {
		if s >= 0 {
			varBits |= 1 << i
		}
	}
	if varBits == 0 {
		return constValue(v.c)
	}
	v.c &^= varBits
	v.inv &= varBits
	return v
}

// withBits applies a bitwise operation with a constant k to an image.
func (v value) withBits(op uint16, k uint32) value {
	for i := 0; i < 32; i++ {
		bit := uint32(1) << i
		switch op {
		case bpf.AluAND:
			if k&bit == 0 {
				v.src[i], v.c = -1, v.c&^bit
			}
		case bpf.AluOR:
			if k&bit != 0 {
				v.src[i], v.c = -1, v.c|bit
			}
		case bpf.AluXOR:
			if k&bit != 0 {
				if v.src[i] < 0 {
					v.c ^= bit
				} else {
					v.inv ^= bit
				}
			}
		}
	}
	return v.canon()
}

// shifted shifts an image left (or right) by n < 32.
func (v value) shifted(left bool, n uint32) value {
	out := value{field: v.field}
	for i := 0; i < 32; i++ {
		j := i + int(n) // the source position of bit i
		if left {
			j = i - int(n)
		}
		if j < 0 || j > 31 {
			out.src[i] = -1
			continue
		}
		out.src[i] = v.src[j]
		out.c |= (v.c >> j & 1) << i
		out.inv |= (v.inv >> j & 1) << i
	}
	return out.canon()
}

// lifter runs a program symbolically.
type lifter struct {
	s   *Space
	p   bpf.Program
	be  bool
	ids map[value]int32
	val []value
	sts map[state]int32
	// memo maps (pc, interned state) to the diagram of the rest of the
	// program from there.
	memo map[[2]int32]int32
}

// state is the machine: A, X and the 16 scratch cells, as value ids.
type state [2 + bpf.MemWords]int32

const (
	regA = 0
	regX = 1
	mem0 = 2
)

func (l *lifter) id(v value) int32 {
	if id, ok := l.ids[v]; ok {
		return id
	}
	id := int32(len(l.val))
	l.val = append(l.val, v)
	l.ids[v] = id
	return id
}

// Program lifts a seccomp filter into its decision: for every input, the
// value the program returns. bigEndian is the byte order of the machine
// that runs it (it says which seccomp_data offset holds which half of a
// 64-bit field). The program must pass bpf.Validate (what the kernel
// accepts); the result is exact, or an error: one wrapping
// bpf.ErrInvalid for a program the kernel would refuse, an
// *UnsupportedError for one whose decision depends on arithmetic on
// seccomp_data that has no exact representation here (a sum or product
// of input words, a value computed from input returned as the action).
func (s *Space) Program(p bpf.Program, bigEndian bool) (Func, error) {
	if err := bpf.Validate(p); err != nil {
		return Func{}, err
	}
	l := &lifter{s: s, p: p, be: bigEndian, ids: map[value]int32{}, sts: map[state]int32{}, memo: map[[2]int32]int32{}}
	zero := l.id(constValue(0))
	var st state
	for i := range st {
		st[i] = zero
	}
	n, err := l.run(0, st)
	if err != nil {
		return Func{}, err
	}
	return Func{s: s, n: n}, nil
}

// fieldName names a field for messages.
func fieldName(f int) string {
	switch {
	case f == fieldArch:
		return "arch"
	case f == fieldNr:
		return "nr"
	case f == fieldIPHi:
		return "instruction_pointer (high word)"
	case f == fieldIPLo:
		return "instruction_pointer (low word)"
	case (f-fieldArg0)%2 == 0:
		return fmt.Sprintf("args[%d] (high word)", (f-fieldArg0)/2)
	}
	return fmt.Sprintf("args[%d] (low word)", (f-fieldArg0)/2)
}

// aluNames names the ALU operations by op>>4 (static data: nothing is
// built at start-up).
var aluNames = [16]string{bpf.AluADD >> 4: "add", bpf.AluSUB >> 4: "sub", bpf.AluMUL >> 4: "mul", bpf.AluDIV >> 4: "div",
	bpf.AluOR >> 4: "or", bpf.AluAND >> 4: "and", bpf.AluLSH >> 4: "lsh", bpf.AluRSH >> 4: "rsh", bpf.AluXOR >> 4: "xor",
	bpf.AluNEG >> 4: "neg", bpf.AluMOD >> 4: "mod"}

func (l *lifter) run(pc int, st state) (int32, error) {
	sid, ok := l.sts[st]
	if !ok {
		sid = int32(len(l.sts))
		l.sts[st] = sid
	}
	key := [2]int32{int32(pc), sid}
	if r, ok := l.memo[key]; ok {
		return r, nil
	}
	if len(l.memo) >= maxPaths {
		return 0, &UnsupportedError{PC: pc, Msg: fmt.Sprintf("more than %d distinct paths", maxPaths)}
	}
	r, err := l.step(pc, st)
	if err != nil {
		return 0, err
	}
	l.memo[key] = r
	return r, nil
}

// step runs straight-line code from pc to the next conditional jump or
// return.
func (l *lifter) step(pc int, st state) (int32, error) {
	for {
		ins := l.p[pc]
		op := ins.Op
		switch op & 0x07 {
		case bpf.ClassLD, bpf.ClassLDX:
			var v int32
			switch op &^ 0x07 {
			case bpf.SizeW | bpf.ModeABS:
				v = l.id(fieldValue(fieldOf(ins.K, l.be)))
			case bpf.ModeIMM:
				v = l.id(constValue(ins.K))
			case bpf.SizeW | bpf.ModeLEN:
				v = l.id(constValue(bpf.SeccompDataSize))
			case bpf.ModeMEM:
				v = st[mem0+int(ins.K)]
			default:
				return 0, &UnsupportedError{PC: pc, Msg: fmt.Sprintf("opcode %#02x", op)}
			}
			if op&0x07 == bpf.ClassLD {
				st[regA] = v
			} else {
				st[regX] = v
			}
		case bpf.ClassST:
			st[mem0+int(ins.K)] = st[regA]
		case bpf.ClassSTX:
			st[mem0+int(ins.K)] = st[regX]
		case bpf.ClassMISC:
			if op == bpf.ClassMISC|bpf.MiscTAX {
				st[regX] = st[regA]
			} else {
				st[regA] = st[regX]
			}
		case bpf.ClassRET:
			if op&0x18 == bpf.RetK {
				return l.s.leaf(uint64(ins.K)), nil
			}
			a := l.val[st[regA]]
			if !a.isConst() {
				return 0, &UnsupportedError{PC: pc, Msg: "returns a value computed from seccomp_data." + fieldName(int(a.field))}
			}
			return l.s.leaf(uint64(a.c)), nil
		case bpf.ClassALU:
			a, k, useX := l.val[st[regA]], constValue(ins.K), op&bpf.SrcX != 0
			if useX {
				k = l.val[st[regX]]
			}
			alu := op & 0xf0
			if alu == bpf.AluDIV && useX && k.isConst() && k.c == 0 {
				// The kernel ends the filter with 0 (KILL_THREAD).
				return l.s.leaf(0), nil
			}
			if alu == bpf.AluDIV && useX && !k.isConst() {
				return 0, &UnsupportedError{PC: pc, Msg: "divides by X, which holds seccomp_data." + fieldName(int(k.field))}
			}
			v, msg := aluValue(alu, a, k, useX)
			if msg != "" {
				return 0, &UnsupportedError{PC: pc, Msg: fmt.Sprintf("alu %s: %s", aluNames[alu>>4], msg)}
			}
			st[regA] = l.id(v)
		case bpf.ClassJMP:
			if op == bpf.ClassJMP|bpf.JmpJA {
				pc += 1 + int(ins.K)
				continue
			}
			a, k := l.val[st[regA]], constValue(ins.K)
			if op&bpf.SrcX != 0 {
				k = l.val[st[regX]]
			}
			jt, jf := pc+1+int(ins.Jt), pc+1+int(ins.Jf)
			cond, msg := l.condition(op&0xf0, a, k)
			if msg != "" {
				return 0, &UnsupportedError{PC: pc, Msg: msg}
			}
			if l.s.isLeaf(cond) {
				if l.s.nodes[cond].val != 0 {
					pc = jt
				} else {
					pc = jf
				}
				continue
			}
			t, err := l.run(jt, st)
			if err != nil {
				return 0, err
			}
			e, err := l.run(jf, st)
			if err != nil {
				return 0, err
			}
			return l.s.iteN(cond, t, e), nil
		}
		pc++
	}
}

// aluValue computes A op K (or A op X). It returns a message when the
// result is no exact image of a single word.
func aluValue(op uint16, a, k value, useX bool) (value, string) {
	if a.isConst() && k.isConst() {
		return constValue(bpf.ALU(op, a.c, k.c)), ""
	}
	if op == bpf.AluNEG {
		return value{}, "negates seccomp_data." + fieldName(int(a.field))
	}
	if !a.isConst() && !k.isConst() {
		return value{}, fmt.Sprintf("combines seccomp_data.%s with seccomp_data.%s", fieldName(int(a.field)), fieldName(int(k.field)))
	}
	if a.isConst() {
		// A constant op X: the commutative cases are an image of X.
		switch op {
		case bpf.AluAND, bpf.AluOR, bpf.AluXOR:
			return k.withBits(op, a.c), ""
		case bpf.AluADD:
			if a.c == 0 {
				return k, ""
			}
		case bpf.AluMUL:
			switch {
			case a.c == 0:
				return constValue(0), ""
			case a.c&(a.c-1) == 0:
				return k.shifted(true, uint32(bits.TrailingZeros32(a.c))), ""
			}
		}
		return value{}, "computes with seccomp_data." + fieldName(int(k.field)) + " in X arithmetically"
	}
	c := k.c
	if useX && (op == bpf.AluLSH || op == bpf.AluRSH) {
		c &= 31
	}
	switch op {
	case bpf.AluAND, bpf.AluOR, bpf.AluXOR:
		return a.withBits(op, c), ""
	case bpf.AluLSH:
		return a.shifted(true, c), ""
	case bpf.AluRSH:
		return a.shifted(false, c), ""
	case bpf.AluADD, bpf.AluSUB:
		if c == 0 {
			return a, ""
		}
	case bpf.AluMUL:
		switch {
		case c == 0:
			return constValue(0), ""
		case c&(c-1) == 0:
			return a.shifted(true, uint32(bits.TrailingZeros32(c))), ""
		}
	case bpf.AluDIV:
		if c&(c-1) == 0 { // c != 0: checked by Validate, or by the caller for X
			return a.shifted(false, uint32(bits.TrailingZeros32(c))), ""
		}
	}
	return value{}, fmt.Sprintf("computes with seccomp_data.%s arithmetically", fieldName(int(a.field)))
}

// condition returns the predicate of a conditional jump (JEQ, JGT, JGE
// or JSET) as a diagram with terminals 0 and 1.
func (l *lifter) condition(op uint16, a, k value) (int32, string) {
	s := l.s
	switch {
	case a.isConst() && k.isConst():
		if bpf.Taken(op, a.c, k.c) {
			return s.leaf(1), ""
		}
		return s.leaf(0), ""
	case !a.isConst() && !k.isConst():
		return 0, fmt.Sprintf("compares seccomp_data.%s with seccomp_data.%s", fieldName(int(a.field)), fieldName(int(k.field)))
	case !a.isConst():
		return s.predicate(a, op, k.c), ""
	}
	// A constant compared with X: turn it around.
	switch op {
	case bpf.JmpJGT: // c > X: not X >= c
		return s.not(s.predicate(k, bpf.JmpJGE, a.c)), ""
	case bpf.JmpJGE: // c >= X: not X > c
		return s.not(s.predicate(k, bpf.JmpJGT, a.c)), ""
	}
	return s.predicate(k, op, a.c), ""
}

// not negates a predicate.
func (s *Space) not(p int32) int32 { return s.iteN(p, s.leaf(0), s.leaf(1)) }

// predicate builds "v op k" over the bits of v's word, from the least
// significant bit of the image up: the image's bits copy the word's bits
// in increasing order, so each new node tests a level above its children.
func (s *Space) predicate(v value, op uint16, k uint32) int32 {
	f, t := s.leaf(0), s.leaf(1)
	r := f
	if op == bpf.JmpJEQ || op == bpf.JmpJGE {
		r = t
	}
	last := uint16(leafLevel)
	for i := 0; i < 32; i++ {
		ki := k>>i&1 != 0
		var on, off int32 // r for image bit i set / clear
		switch op {
		case bpf.JmpJEQ:
			if ki {
				on, off = r, f
			} else {
				on, off = f, r
			}
		case bpf.JmpJGT, bpf.JmpJGE:
			if ki {
				on, off = r, f
			} else {
				on, off = t, r
			}
		default: // JSET
			if ki {
				on, off = t, r
			} else {
				on, off = r, r
			}
		}
		if v.src[i] < 0 {
			if v.c>>i&1 != 0 {
				r = on
			} else {
				r = off
			}
			continue
		}
		lv := level(int(v.field), int(v.src[i]))
		if lv >= last {
			panic("lift: image bits out of order")
		}
		last = lv
		if v.inv>>i&1 != 0 {
			r = s.mk(lv, on, off)
		} else {
			r = s.mk(lv, off, on)
		}
	}
	return r
}
