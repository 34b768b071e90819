package compile

import (
	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
)

// label names a position in the code being generated. Jumps name labels;
// labels are bound after every jump to them (all jumps go forward).
type label int32

// dc marks a segment whose outcome does not matter (the number is handled
// elsewhere or cannot occur there): it merges into a neighbour.
const dc label = -1

type vkind uint8

const (
	vPlain vkind = iota // load or ALU: falls through
	vJump               // conditional jump to jt or jf
	vJA                 // unconditional jump to jt
	vRet                // ret k
)

// vinsn is one instruction with symbolic targets.
type vinsn struct {
	ins    bpf.Instruction
	kind   vkind
	jt, jf label
	note   int32
}

// aState is what the accumulator holds: 0 unknown, off+1 the word of
// seccomp_data at offset off; aNone (in a label) means no jump seen yet.
type aState int32

const aNone aState = -1

func meet(x, y aState) aState {
	switch {
	case x == aNone:
		return y
	case y == aNone, x == y:
		return x
	}
	return 0
}

type retLabel struct {
	act policy.Action
	l   label
}

// emitter generates straight-line code with labels, tracking the
// accumulator so that loads of a word A already holds are left out.
type emitter struct {
	code []vinsn
	at   []int32  // label -> index in code, -1 while unbound
	in   []aState // label -> accumulator state over the jumps to it
	rets []retLabel
	a    aState
	live bool // the next instruction is reached by falling through

	dp       dpTable // scratch for valueTree
	memo     []dpMemo
	annotate bool
	notes    []Note
	note     int32
}

func (e *emitter) reset() {
	e.code = e.code[:0]
	e.at = e.at[:0]
	e.in = e.in[:0]
	e.rets = e.rets[:0]
	e.notes = e.notes[:0]
	e.memo = e.memo[:0]
	e.a, e.live, e.note = 0, true, 0
}

func (e *emitter) newLabel() label {
	e.at = append(e.at, -1)
	e.in = append(e.in, aNone)
	return label(len(e.at) - 1)
}

// ret returns the label of the shared `ret act`.
func (e *emitter) ret(act policy.Action) label {
	for _, r := range e.rets {
		if r.act == act {
			return r.l
		}
	}
	l := e.newLabel()
	e.rets = append(e.rets, retLabel{act, l})
	return l
}

// setNote starts a new annotation for the instructions emitted next.
func (e *emitter) setNote(n Note) {
	if !e.annotate {
		return
	}
	e.notes = append(e.notes, n)
	e.note = int32(len(e.notes) - 1)
}

// bind places l here. It reports whether the position is reachable.
func (e *emitter) bind(l label) bool {
	e.at[l] = int32(len(e.code))
	st := e.in[l]
	if e.live {
		st = meet(st, e.a)
	}
	if st == aNone {
		e.a, e.live = 0, false
		return false
	}
	e.a, e.live = st, true
	return true
}

func (e *emitter) emit(v vinsn) {
	v.note = e.note
	e.code = append(e.code, v)
}

func (e *emitter) reach(l label) { e.in[l] = meet(e.in[l], e.a) }

// load makes A hold the word at seccomp_data offset off.
func (e *emitter) load(off uint32) {
	if e.live && e.a == aState(off+1) {
		return
	}
	e.emit(vinsn{ins: bpf.LoadAbs(off)})
	e.a, e.live = aState(off+1), true
}

// and is `and #k`; A no longer holds a known word.
func (e *emitter) and(k uint32) {
	e.emit(vinsn{ins: bpf.AluK(bpf.AluAND, k)})
	e.a = 0
}

// jump is `op #k, jt, jf` comparing A.
func (e *emitter) jump(op uint16, k uint32, jt, jf label) {
	if jt == jf {
		e.ja(jt)
		return
	}
	e.reach(jt)
	e.reach(jf)
	e.emit(vinsn{ins: bpf.Jump(op, k, 0, 0), kind: vJump, jt: jt, jf: jf})
	e.live = false
}

// ja jumps to l unconditionally (nothing is emitted for a jump to the next
// instruction: the assembler drops it).
func (e *emitter) ja(l label) {
	e.reach(l)
	e.emit(vinsn{ins: bpf.JumpAlways(0), kind: vJA, jt: l})
	e.live = false
}

// finish emits the shared return instructions.
func (e *emitter) finish() {
	for _, r := range e.rets {
		if e.in[r.l] == aNone {
			continue // never jumped to
		}
		e.at[r.l] = int32(len(e.code))
		e.setNote(Note{Kind: NoteRet, Action: r.act})
		e.emit(vinsn{ins: bpf.Ret(uint32(r.act)), kind: vRet})
	}
}
