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
	Trace []int  // program counters visited, when tracing was asked for
}

// Run executes p on d as the kernel would for an ABI of the given byte
// order. It returns an *Error for anything the kernel's checker would have
// refused at run time (bad load offset, jump out of range, falling off the
// end); a program accepted by Validate never fails here.
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
		if trace {
			res.Trace = append(res.Trace, pc)
		}
		if res.Steps > len(p) { // only forward jumps exist; cannot loop
			return res, &Error{PC: pc, Msg: "program loops"}
		}
		switch ins.Class() {
		case ClassLD:
			switch ins.Op {
			case ClassLD | SizeW | ModeABS:
				w, ok := d.word(ins.K, bigEndian)
				if !ok {
					return res, &Error{PC: pc, Msg: fmt.Sprintf("load from invalid seccomp_data offset %d", ins.K)}
				}
				a = w
			case ClassLD | ModeIMM:
				a = ins.K
			case ClassLD | ModeMEM:
				if ins.K >= MemWords {
					return res, &Error{PC: pc, Msg: "scratch memory index out of range"}
				}
				a = mem[ins.K]
			case ClassLD | SizeW | ModeLEN:
				a = SeccompDataSize
			default:
				return res, &Error{PC: pc, Msg: fmt.Sprintf("unsupported load opcode %#x", ins.Op)}
			}
		case ClassLDX:
			switch ins.Op {
			case ClassLDX | ModeIMM:
				x = ins.K
			case ClassLDX | ModeMEM:
				if ins.K >= MemWords {
					return res, &Error{PC: pc, Msg: "scratch memory index out of range"}
				}
				x = mem[ins.K]
			case ClassLDX | SizeW | ModeLEN:
				x = SeccompDataSize
			default:
				return res, &Error{PC: pc, Msg: fmt.Sprintf("unsupported ldx opcode %#x", ins.Op)}
			}
		case ClassST, ClassSTX:
			if ins.K >= MemWords {
				return res, &Error{PC: pc, Msg: "scratch memory index out of range"}
			}
			if ins.Class() == ClassST {
				mem[ins.K] = a
			} else {
				mem[ins.K] = x
			}
		case ClassALU:
			v := ins.K
			if ins.Op&SrcX != 0 {
				v = x
			}
			switch ins.Op &^ (0x07 | SrcX) {
			case AluADD:
				a += v
			case AluSUB:
				a -= v
			case AluMUL:
				a *= v
			case AluDIV:
				if v == 0 {
					res.Ret = 0 // the kernel's interpreter returns 0 on division by zero
					return res, nil
				}
				a /= v
			case AluMOD:
				if v == 0 {
					res.Ret = 0
					return res, nil
				}
				a %= v
			case AluOR:
				a |= v
			case AluAND:
				a &= v
			case AluXOR:
				a ^= v
			case AluLSH:
				if v >= 32 {
					a = 0
				} else {
					a <<= v
				}
			case AluRSH:
				if v >= 32 {
					a = 0
				} else {
					a >>= v
				}
			case AluNEG:
				a = -a
			default:
				return res, &Error{PC: pc, Msg: fmt.Sprintf("unsupported alu opcode %#x", ins.Op)}
			}
		case ClassJMP:
			op := ins.Op &^ (0x07 | SrcX)
			if op == JmpJA {
				pc += 1 + int(ins.K)
				continue
			}
			v := ins.K
			if ins.Op&SrcX != 0 {
				v = x
			}
			var cond bool
			switch op {
			case JmpJEQ:
				cond = a == v
			case JmpJGT:
				cond = a > v
			case JmpJGE:
				cond = a >= v
			case JmpJSET:
				cond = a&v != 0
			default:
				return res, &Error{PC: pc, Msg: fmt.Sprintf("unsupported jump opcode %#x", ins.Op)}
			}
			if cond {
				pc += 1 + int(ins.Jt)
			} else {
				pc += 1 + int(ins.Jf)
			}
			continue
		case ClassRET:
			switch ins.Op {
			case ClassRET | RetK:
				res.Ret = ins.K
			case ClassRET | RetA:
				res.Ret = a
			default:
				return res, &Error{PC: pc, Msg: fmt.Sprintf("unsupported ret opcode %#x", ins.Op)}
			}
			return res, nil
		case ClassMISC:
			switch ins.Op {
			case ClassMISC | MiscTAX:
				x = a
			case ClassMISC | MiscTXA:
				a = x
			default:
				return res, &Error{PC: pc, Msg: fmt.Sprintf("unsupported misc opcode %#x", ins.Op)}
			}
		}
		pc++
	}
}
