package ebpfasm

import (
	"strconv"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
)

// Builder collects instructions. The zero value is ready to use.
type Builder struct {
	// Insns are the instructions emitted so far.
	Insns   asm.Instructions
	label   string
	counter int
}

// Emit appends instructions; the first carries the pending label, if any.
func (b *Builder) Emit(ins ...asm.Instruction) {
	for _, in := range ins {
		if b.label != "" {
			in = in.WithSymbol(b.label)
			b.label = ""
		}
		b.Insns = append(b.Insns, in)
	}
}

// Mark puts label l on the next instruction emitted. Two labels in a row
// get a jump to the second in between (an instruction holds one symbol).
func (b *Builder) Mark(l string) {
	if b.label != "" {
		b.Emit(asm.Ja.Label(l))
	}
	b.label = l
}

// Fresh returns a label not returned before by this Builder.
func (b *Builder) Fresh(prefix string) string {
	b.counter++
	return prefix + "_" + strconv.Itoa(b.counter)
}

// StackPtr sets r to the frame pointer plus off, the address of a stack
// slot to pass to a helper.
func (b *Builder) StackPtr(r asm.Register, off int32) {
	b.Emit(asm.Mov.Reg(r, asm.RFP), asm.Add.Imm(r, off))
}

// MapPtr loads map m's address into r.
func MapPtr(r asm.Register, m *ebpf.Map) asm.Instruction { return asm.LoadMapPtr(r, m.FD()) }

// Atomic is a 64-bit atomic op on *(dst+0) with src. cilium/ebpf v0.22's
// Instruction.Marshal takes the immediate before it fills in the atomic
// operation, so every atomic op but ADD would be encoded as ADD; setting
// the immediate here works around it (TestAtomicEncoding).
func Atomic(op asm.AtomicOp, dst, src asm.Register) asm.Instruction {
	ins := op.Mem(dst, src, asm.DWord, 0)
	ins.Constant = int64(op >> 8)
	return ins
}
