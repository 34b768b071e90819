package compile

import (
	"fmt"
	"slices"

	"github.com/sysfence/sysfence/bpf"
)

// maxJump is the farthest a conditional jump reaches (8-bit offsets).
const maxJump = 255

// near remembers the closest already placed copy of a jump target: a `ret`
// (keyed by its value) or a trampoline (keyed by the target's index).
type near struct {
	key uint32
	ret bool
	pos int32 // index in the reversed output
}

// assemble turns the symbolic code into a program. It works backwards from
// the last instruction, so that the distance to every target is known when
// a jump is placed. A target out of a conditional jump's reach gets a copy
// of its `ret` (or a `ja` to it) placed right after the jump, and later
// (earlier in the program) jumps reuse that copy while it is in reach.
func (e *emitter) assemble() (bpf.Program, []Note, error) {
	code := e.code
	// resolve returns the index a label leads to, through unconditional
	// jumps.
	resolve := func(l label) (int32, error) {
		if l < 0 || e.at[l] < 0 {
			return 0, fmt.Errorf("compile: internal error: jump to unbound label %d", l)
		}
		i := e.at[l]
		for int(i) < len(code) && code[i].kind == vJA {
			i = e.at[code[i].jt]
		}
		if int(i) >= len(code) {
			return 0, fmt.Errorf("compile: internal error: label %d past the end", l)
		}
		return i, nil
	}

	out := make([]bpf.Instruction, 0, len(code)+16)
	var outNotes []int32
	if e.annotate {
		outNotes = make([]int32, 0, len(code)+16)
	}
	pos := make([]int32, len(code)+1) // index in out of code[i]
	var nears []near
	findNear := func(key uint32, ret bool) int {
		for i := range nears {
			if nears[i].key == key && nears[i].ret == ret {
				return i
			}
		}
		return -1
	}
	setNear := func(key uint32, ret bool, p int32) {
		if i := findNear(key, ret); i >= 0 {
			nears[i].pos = p
			return
		}
		nears = append(nears, near{key, ret, p})
	}
	put := func(ins bpf.Instruction, note int32) int32 {
		out = append(out, ins)
		if e.annotate {
			outNotes = append(outNotes, note)
		}
		return int32(len(out) - 1)
	}
	// target returns the closest placed instruction equivalent to code[t].
	target := func(t int32) int32 {
		p := pos[t]
		if code[t].kind == vRet {
			if i := findNear(code[t].ins.K, true); i >= 0 && nears[i].pos > p {
				p = nears[i].pos
			}
		} else if i := findNear(uint32(t), false); i >= 0 && nears[i].pos > p {
			p = nears[i].pos
		}
		return p
	}
	// stub places a copy of code[t] (a ret) or a trampoline to it here.
	stub := func(t int32, note int32) {
		if code[t].kind == vRet {
			p := put(code[t].ins, code[t].note)
			setNear(code[t].ins.K, true, p)
			return
		}
		p := put(bpf.JumpAlways(uint32(int32(len(out))-pos[t]-1)), note)
		setNear(uint32(t), false, p)
	}

	for i := int32(len(code)) - 1; i >= 0; i-- {
		v := code[i]
		switch v.kind {
		case vPlain:
			pos[i] = put(v.ins, v.note)
		case vRet:
			pos[i] = put(v.ins, v.note)
			setNear(v.ins.K, true, pos[i])
		case vJA:
			t, err := resolve(v.jt)
			if err != nil {
				return nil, nil, err
			}
			if code[t].kind == vRet { // a ret costs the same and runs faster
				pos[i] = put(code[t].ins, code[t].note)
				setNear(code[t].ins.K, true, pos[i])
				continue
			}
			off := int32(len(out)) - pos[t] - 1
			if off == 0 {
				pos[i] = pos[t] // falls through to the target anyway
				continue
			}
			pos[i] = put(bpf.JumpAlways(uint32(off)), v.note)
		case vJump:
			tt, err := resolve(v.jt)
			if err != nil {
				return nil, nil, err
			}
			tf, err := resolve(v.jf)
			if err != nil {
				return nil, nil, err
			}
			// Place stubs until both targets are in reach of the jump,
			// which goes at index len(out).
			for range 3 {
				pt, pf := target(tt), target(tf)
				here := int32(len(out))
				okT, okF := here-pt-1 <= maxJump, here-pf-1 <= maxJump
				if okT && okF {
					break
				}
				if !okF {
					stub(tf, v.note)
				} else {
					stub(tt, v.note)
				}
			}
			pt, pf := target(tt), target(tf)
			here := int32(len(out))
			if here-pt-1 > maxJump || here-pf-1 > maxJump {
				return nil, nil, fmt.Errorf("compile: internal error: jump at %d out of reach", i)
			}
			ins := v.ins
			ins.Jt, ins.Jf = uint8(here-pt-1), uint8(here-pf-1)
			pos[i] = put(ins, v.note)
		}
	}
	slices.Reverse(out)
	if len(out) > bpf.MaxInstructions {
		return nil, nil, &TooLongError{Len: len(out)}
	}
	var notes []Note
	if e.annotate {
		notes = make([]Note, len(out))
		for i, n := range outNotes {
			notes[len(out)-1-i] = e.notes[n]
		}
	}
	return out, notes, nil
}
