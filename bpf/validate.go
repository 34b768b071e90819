package bpf

import "fmt"

// Full opcodes of the instructions a seccomp filter may contain: the list
// of kernel/seccomp.c's seccomp_check_filter, a subset of what
// net/core/filter.c's bpf_check_classic allows for socket filters.
const (
	opLdAbs   = ClassLD | SizeW | ModeABS  // A = seccomp_data[k]
	opLdLen   = ClassLD | SizeW | ModeLEN  // A = sizeof(seccomp_data)
	opLdxLen  = ClassLDX | SizeW | ModeLEN // X = sizeof(seccomp_data)
	opLdImm   = ClassLD | ModeIMM
	opLdxImm  = ClassLDX | ModeIMM
	opLdMem   = ClassLD | ModeMEM
	opLdxMem  = ClassLDX | ModeMEM
	opSt      = ClassST
	opStx     = ClassSTX
	opTax     = ClassMISC | MiscTAX
	opTxa     = ClassMISC | MiscTXA
	opRetK    = ClassRET | RetK
	opRetA    = ClassRET | RetA
	opJa      = ClassJMP | JmpJA
	opAluNeg  = ClassALU | AluNEG
	opAluDivK = ClassALU | AluDIV | SrcK
	opAluLshK = ClassALU | AluLSH | SrcK
	opAluRshK = ClassALU | AluRSH | SrcK
	opAluAndK = ClassALU | AluAND | SrcK
)

// seccompOp reports whether the kernel accepts opcode op in a seccomp
// filter.
func seccompOp(op uint16) bool {
	switch op {
	case opLdAbs, opLdLen, opLdxLen, opLdImm, opLdxImm, opLdMem, opLdxMem,
		opSt, opStx, opTax, opTxa, opRetK, opRetA, opJa, opAluNeg:
		return true
	}
	switch op & 0x07 {
	case ClassALU:
		switch op &^ SrcX {
		case ClassALU | AluADD, ClassALU | AluSUB, ClassALU | AluMUL, ClassALU | AluDIV,
			ClassALU | AluAND, ClassALU | AluOR, ClassALU | AluXOR, ClassALU | AluLSH, ClassALU | AluRSH:
			return true
		}
	case ClassJMP:
		switch op &^ SrcX {
		case ClassJMP | JmpJEQ, ClassJMP | JmpJGT, ClassJMP | JmpJGE, ClassJMP | JmpJSET:
			return true
		}
	}
	return false
}

// isCondJump reports whether op is one of the conditional jumps.
func isCondJump(op uint16) bool {
	return op&0x07 == ClassJMP && op != opJa && seccompOp(op)
}

// classicOp reports whether bpf_check_classic accepts opcode op (its
// chk_code_allowed table), for socket filters as for seccomp.
func classicOp(op uint16) bool {
	if seccompOp(op) {
		return true
	}
	switch op {
	case ClassALU | AluMOD | SrcK, ClassALU | AluMOD | SrcX,
		ClassLD | SizeH | ModeABS, ClassLD | SizeB | ModeABS,
		ClassLD | SizeW | ModeIND, ClassLD | SizeH | ModeIND, ClassLD | SizeB | ModeIND,
		ClassLDX | SizeB | ModeMSH:
		return true
	}
	return false
}

// Validate checks p as the kernel does when a seccomp filter is installed
// (bpf_check_classic followed by seccomp_check_filter): 1 to 4096
// instructions, only the opcodes seccomp allows, `ld [k]` 4-byte aligned
// inside struct seccomp_data, scratch memory indexes below 16, shifts by a
// constant below 32, no division by constant zero, every jump inside the
// program, a return as the last instruction, and no scratch-memory cell
// read before a store on some path (with the kernel's own conservative
// rule, check_load_and_stores). The kernel only answers EINVAL; the *Error
// returned here names the first offending instruction, in the order the
// kernel checks.
func Validate(p Program) error {
	if err := checkClassic(p); err != nil {
		return err
	}
	for pc, ins := range p {
		if !seccompOp(ins.Op) {
			return &Error{PC: pc, Msg: fmt.Sprintf("opcode %#02x (%s) is not allowed in seccomp filters", ins.Op, opcodeName(ins.Op))}
		}
		if ins.Op == opLdAbs && (ins.K >= SeccompDataSize || ins.K%4 != 0) {
			return &Error{PC: pc, Msg: fmt.Sprintf("load from seccomp_data offset %d: offsets must be 4-byte aligned and below %d", ins.K, SeccompDataSize)}
		}
	}
	return nil
}

// checkClassic is bpf_check_classic (net/core/filter.c), the check every
// classic BPF program passes, socket filter or seccomp filter.
func checkClassic(p Program) error {
	n := len(p)
	if n == 0 {
		return &Error{PC: 0, Msg: "empty program: a filter needs at least one instruction"}
	}
	if n > MaxInstructions {
		return &Error{PC: MaxInstructions, Err: ErrTooLong,
			Msg: fmt.Sprintf("%d instructions, %d over the kernel's limit of %d", n, n-MaxInstructions, MaxInstructions)}
	}
	for pc, ins := range p {
		if msg := checkInstruction(pc, ins, n); msg != "" {
			return &Error{PC: pc, Msg: msg}
		}
	}
	if last := p[n-1].Op; last != opRetK && last != opRetA {
		return &Error{PC: n - 1, Msg: "the last instruction must be a return"}
	}
	return checkLoadsAndStores(p)
}

// skfAdOff is SKF_AD_OFF: `ld [k]` at or above it loads socket metadata
// ("ancillary data"), SKF_AD_MAX bytes of known fields.
const (
	skfAdOff = 0xfffff000
	skfAdMax = 64
)

// checkInstruction is the per-instruction part of bpf_check_classic; it
// returns a message, or "" when the instruction is fine.
func checkInstruction(pc int, ins Instruction, n int) string {
	if !classicOp(ins.Op) {
		return fmt.Sprintf("opcode %#02x (%s) is not a classic BPF instruction the kernel accepts", ins.Op, opcodeName(ins.Op))
	}
	switch ins.Op {
	case opLdAbs, ClassLD | SizeH | ModeABS, ClassLD | SizeB | ModeABS:
		if ins.K >= skfAdOff && (ins.K%4 != 0 || ins.K-skfAdOff >= skfAdMax) {
			return fmt.Sprintf("load from offset %#x: unknown ancillary data", ins.K)
		}
	case opAluDivK, ClassALU | AluMOD | SrcK:
		if ins.K == 0 {
			return "division by constant zero"
		}
	case opAluLshK, opAluRshK:
		if ins.K >= 32 {
			return fmt.Sprintf("shift by %d: constant shifts must be below 32", ins.K)
		}
	case opLdMem, opLdxMem, opSt, opStx:
		if ins.K >= MemWords {
			return fmt.Sprintf("scratch memory index %d out of range (0-%d)", ins.K, MemWords-1)
		}
	case opJa:
		if uint64(ins.K) >= uint64(n-pc-1) {
			return fmt.Sprintf("jump to %d is outside the program (last instruction %d)", int64(pc)+1+int64(ins.K), n-1)
		}
	default:
		if isCondJump(ins.Op) {
			if pc+int(ins.Jt)+1 >= n {
				return fmt.Sprintf("jump-if-true to %d is outside the program (last instruction %d)", pc+int(ins.Jt)+1, n-1)
			}
			if pc+int(ins.Jf)+1 >= n {
				return fmt.Sprintf("jump-if-false to %d is outside the program (last instruction %d)", pc+int(ins.Jf)+1, n-1)
			}
		}
	}
	return ""
}

// checkLoadsAndStores is the kernel's check_load_and_stores: a linear scan
// that tracks which scratch cells are surely written, intersecting the set
// at every jump target. It is deliberately the kernel's rule, not a
// precise data-flow analysis, so that Validate accepts exactly what the
// kernel accepts. p must have passed checkInstruction.
func checkLoadsAndStores(p Program) error {
	masks := make([]uint16, len(p))
	for i := range masks {
		masks[i] = 0xffff
	}
	var valid uint16
	for pc, ins := range p {
		valid &= masks[pc]
		switch ins.Op {
		case opSt, opStx:
			valid |= 1 << ins.K
		case opLdMem, opLdxMem:
			if valid&(1<<ins.K) == 0 {
				return &Error{PC: pc, Msg: fmt.Sprintf("reads scratch memory mem[%d] that is not written on every path to it", ins.K)}
			}
		case opJa:
			masks[pc+1+int(ins.K)] &= valid
			valid = 0xffff
		default:
			if isCondJump(ins.Op) {
				masks[pc+1+int(ins.Jt)] &= valid
				masks[pc+1+int(ins.Jf)] &= valid
				valid = 0xffff
			}
		}
	}
	return nil
}

// opcodeName names an opcode in classic BPF terms, for error messages.
func opcodeName(op uint16) string {
	if op > 0xff {
		return "not an opcode"
	}
	class := [...]string{"ld", "ldx", "st", "stx", "alu", "jmp", "ret", "misc"}[op&0x07]
	switch op & 0x07 {
	case ClassLD, ClassLDX:
		size := map[uint16]string{SizeW: "w", SizeH: "h", SizeB: "b", 0x18: "dw"}[op&0x18]
		mode := map[uint16]string{ModeIMM: "imm", ModeABS: "abs", ModeIND: "ind", ModeMEM: "mem", ModeLEN: "len", ModeMSH: "msh"}[op&0xe0]
		if mode == "" {
			mode = fmt.Sprintf("mode %#x", op&0xe0)
		}
		return class + " " + size + " " + mode
	case ClassALU:
		name := map[uint16]string{AluADD: "add", AluSUB: "sub", AluMUL: "mul", AluDIV: "div", AluOR: "or", AluAND: "and",
			AluLSH: "lsh", AluRSH: "rsh", AluNEG: "neg", AluMOD: "mod", AluXOR: "xor"}[op&0xf0]
		if name == "" {
			name = fmt.Sprintf("op %#x", op&0xf0)
		}
		return class + " " + name + " " + srcName(op)
	case ClassJMP:
		name := map[uint16]string{JmpJA: "ja", JmpJEQ: "jeq", JmpJGT: "jgt", JmpJGE: "jge", JmpJSET: "jset"}[op&0xf0]
		if name == "" {
			name = fmt.Sprintf("op %#x", op&0xf0)
		}
		return class + " " + name + " " + srcName(op)
	case ClassRET:
		src := map[uint16]string{RetK: "k", RetX: "x", RetA: "a"}[op&0x18]
		if src == "" {
			src = fmt.Sprintf("src %#x", op&0x18)
		}
		return class + " " + src
	}
	return class
}

func srcName(op uint16) string {
	if op&SrcX != 0 {
		return "x"
	}
	return "k"
}
