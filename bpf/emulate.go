package bpf

import "fmt"

// Data is struct seccomp_data: what a filter sees of a syscall.
type Data struct {
	Nr                 uint32
	Arch               uint32
	InstructionPointer uint64
	Args               [6]uint64
}

// word returns the 32-bit word at a seccomp_data offset, as the kernel's
// native load would see it on an ABI of the given byte order.
func (d *Data) word(off uint32, bigEndian bool) (uint32, bool) {
	if off%4 != 0 || off >= SeccompDataSize {
		return 0, false
	}
	switch {
	case off == OffNr:
		return d.Nr, true
	case off == OffArch:
		return d.Arch, true
	}
	var v uint64
	var idx uint32
	if off < OffArgs {
		v, idx = d.InstructionPointer, (off-OffInstructionPointer)/4
	} else {
		v, idx = d.Args[(off-OffArgs)/8], (off-OffArgs)%8/4
	}
	hiFirst := bigEndian
	if (idx == 0) == hiFirst {
		return uint32(v >> 32), true
	}
	return uint32(v), true
}

// Result is the outcome of running a program.
type Result struct {
	Ret   uint32 // the filter's return value (SECCOMP_RET_*)
	Steps int    // instructions executed, the final ret included
	PC    int    // the instruction that ended the run: a return, or a division by X == 0
	Trace []int  // program counters visited, when tracing was asked for
}

// Run executes p on d as the kernel would for an ABI of the given byte
// order (which decides where the low and high words of the 64-bit fields
// are). It returns an *Error for anything the kernel's checker would have
// refused (an opcode seccomp does not allow, a bad load offset, a jump out
// of range, falling off the end); a program accepted by Validate never
// fails here. Where Validate's static rules leave the kernel's behaviour
// to run time, Run does what the kernel does: a division by X == 0 ends
// the filter with return value 0 (SECCOMP_RET_KILL_THREAD), and a shift by
// X uses the low 5 bits of X (the interpreter masks it, and the JITs'
// 32-bit shift instructions do the same). Scratch memory starts zeroed;
// Validate guarantees a filter never reads a cell it has not written.
func Run(p Program, d *Data, bigEndian bool, trace bool) (Result, error) {
	var a, x uint32
	var mem [MemWords]uint32
	var res Result
	pc := 0
	for {
		if pc < 0 || pc >= len(p) {
			return res, &Error{PC: pc, Msg: "execution fell off the end of the program"}
		}
		ins := p[pc]
		res.Steps++
		res.PC = pc
		if trace {
			res.Trace = append(res.Trace, pc)
		}
		switch op := ins.Op; op {
		case opLdAbs:
			w, ok := d.word(ins.K, bigEndian)
			if !ok {
				return res, &Error{PC: pc, Msg: fmt.Sprintf("load from invalid seccomp_data offset %d", ins.K)}
			}
			a = w
		case opLdImm:
			a = ins.K
		case opLdxImm:
			x = ins.K
		case opLdLen:
			a = SeccompDataSize
		case opLdxLen:
			x = SeccompDataSize
		case opLdMem, opLdxMem, opSt, opStx:
			if ins.K >= MemWords {
				return res, &Error{PC: pc, Msg: fmt.Sprintf("scratch memory index %d out of range", ins.K)}
			}
			switch op {
			case opLdMem:
				a = mem[ins.K]
			case opLdxMem:
				x = mem[ins.K]
			case opSt:
				mem[ins.K] = a
			default:
				mem[ins.K] = x
			}
		case opTax:
			x = a
		case opTxa:
			a = x
		case opAluNeg:
			a = -a
		case opRetK:
			res.Ret = ins.K
			return res, nil
		case opRetA:
			res.Ret = a
			return res, nil
		case opJa:
			if uint64(ins.K) >= uint64(len(p)-pc-1) {
				return res, &Error{PC: pc, Msg: fmt.Sprintf("jump to %d is outside the program", int64(pc)+1+int64(ins.K))}
			}
			pc += 1 + int(ins.K)
			continue
		default:
			if !seccompOp(op) {
				return res, &Error{PC: pc, Msg: fmt.Sprintf("opcode %#02x (%s) is not allowed in seccomp filters", op, opcodeName(op))}
			}
			v := ins.K
			if op&SrcX != 0 {
				v = x
			}
			if op&0x07 == ClassJMP {
				if Taken(op, a, v) {
					pc += 1 + int(ins.Jt)
				} else {
					pc += 1 + int(ins.Jf)
				}
				continue
			}
			if op&0xf0 == AluDIV && v == 0 {
				// Only reachable with X: the kernel's cBPF
				// conversion makes the filter return 0.
				res.Ret = 0
				return res, nil
			}
			a = ALU(op, a, v)
		}
		pc++
	}
}

// ALU is the kernel's classic BPF arithmetic: A op v for the operation in
// op's ALU bits (op may hold the class and source bits too). Shifts take
// v modulo 32, as the kernel's conversion to eBPF does; v must not be 0
// for AluDIV (a filter dividing by a zero X returns 0, which Run handles).
// AluNEG ignores v. Seccomp allows no other operation (Validate refuses
// AluMOD), so anything else is taken as AluRSH.
func ALU(op uint16, a, v uint32) uint32 {
	switch op & 0xf0 {
	case AluADD:
		return a + v
	case AluSUB:
		return a - v
	case AluMUL:
		return a * v
	case AluDIV:
		return a / v
	case AluOR:
		return a | v
	case AluAND:
		return a & v
	case AluXOR:
		return a ^ v
	case AluLSH:
		return a << (v & 31)
	case AluNEG:
		return -a
	}
	return a >> (v & 31)
}

// Taken reports whether a conditional jump (JEQ, JGT, JGE or JSET in op's
// jump bits; op may hold the class and source bits too) goes to its true
// branch with A = a and the operand v. Validate allows no other.
func Taken(op uint16, a, v uint32) bool {
	switch op & 0xf0 {
	case JmpJEQ:
		return a == v
	case JmpJGT:
		return a > v
	case JmpJGE:
		return a >= v
	}
	return a&v != 0 // JmpJSET
}
