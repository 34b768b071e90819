package bpf

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sysfence/sysfence/syscalls"
)

// Options tell the disassembler, assembler and output formats which ABI a
// program is for.
type Options struct {
	// Arch is the ABI assumed where the program has not (yet) compared
	// seccomp_data.arch: it names syscall numbers and tells the byte order
	// of argument words. After `if (A == ARCH_X) ...` the listing follows
	// ARCH_X instead. nil: plain numbers, little-endian words. For the raw
	// format it is also the byte order of the output (nil: this machine's).
	Arch *syscalls.Arch
	// Name is the variable name of the c and go formats ("filter").
	Name string
}

// Line is one instruction of a listing.
type Line struct {
	PC   int    `json:"pc"`
	Code uint16 `json:"code"`
	Jt   uint8  `json:"jt"`
	Jf   uint8  `json:"jf"`
	K    uint32 `json:"k"`
	// Text is the readable form, e.g. "if (A == openat) goto 0012".
	Text string `json:"text"`
	// Arch is the ABI whose names Text uses, when known (for
	// AUDIT_ARCH_X86_64, x86_64; x32 names carry an "x32:" prefix).
	Arch string `json:"arch,omitempty"`
}

// Instruction returns the raw instruction of the line.
func (l Line) Instruction() Instruction { return Instruction{Op: l.Code, Jt: l.Jt, Jf: l.Jf, K: l.K} }

// Listing is a disassembled program.
type Listing struct {
	Lines []Line `json:"lines"`
}

// listingHeader is seccomp-tools' header, which the listing imitates.
const listingHeader = " line  CODE  JT   JF      K\n=================================\n"

// String renders the listing like seccomp-tools' disassembler:
//
//	 line  CODE  JT   JF      K
//	=================================
//	 0000: 0x20 0x00 0x00 0x00000004  A = arch
//	 0001: 0x15 0x00 0x05 0xc000003e  if (A != ARCH_X86_64) goto 0007
//
// Assemble reads it back exactly.
func (l *Listing) String() string {
	var b strings.Builder
	b.WriteString(listingHeader)
	for _, ln := range l.Lines {
		fmt.Fprintf(&b, " %04d: 0x%02x 0x%02x 0x%02x 0x%08x  %s\n", ln.PC, ln.Code, ln.Jt, ln.Jf, ln.K, ln.Text)
	}
	return b.String()
}

// Text renders only the readable column, one instruction a line, prefixed
// with its line number; Assemble reads it back exactly for canonical
// programs (see Assemble).
func (l *Listing) Text() string {
	var b strings.Builder
	for _, ln := range l.Lines {
		fmt.Fprintf(&b, "%04d: %s\n", ln.PC, ln.Text)
	}
	return b.String()
}

// Disassemble returns the listing of p. It never fails: instructions the
// kernel would refuse are shown as such (Validate tells why).
func Disassemble(p Program, opts Options) *Listing {
	f := newFlow(len(p))
	l := &Listing{Lines: make([]Line, len(p))}
	for pc, ins := range p {
		s := f.at(pc)
		c := contextAt(s, opts.Arch)
		ln := Line{PC: pc, Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K, Text: readable(pc, ins, s, c)}
		if primary, _ := c.abis(); primary != nil {
			ln.Arch = primary.Name
		}
		l.Lines[pc] = ln
		f.step(pc, ins, s)
	}
	return l
}

// String is Disassemble(p, Options{}).String().
func (p Program) String() string { return Disassemble(p, Options{}).String() }

// aluOps are the ALU operators of the readable form, by BPF_OP (static
// data: nothing is built when the package initialises).
var aluOps = [...]struct {
	op  uint16
	sym string
}{{AluADD, "+="}, {AluSUB, "-="}, {AluMUL, "*="}, {AluDIV, "/="}, {AluOR, "|="},
	{AluAND, "&="}, {AluXOR, "^="}, {AluLSH, "<<="}, {AluRSH, ">>="}}

// aluSym is the readable operator of an ALU BPF_OP, or "".
func aluSym(op uint16) string {
	for _, o := range aluOps {
		if o.op == op {
			return o.sym
		}
	}
	return ""
}

// condSyms are the comparisons of the readable form, by BPF_OP: the
// condition that takes jt, and its negation.
func condSyms(op uint16) [2]string {
	switch op {
	case JmpJEQ:
		return [2]string{"==", "!="}
	case JmpJGT:
		return [2]string{">", "<="}
	case JmpJGE:
		return [2]string{">=", "<"}
	}
	return [2]string{}
}

// readable is the readable form of one instruction.
func readable(pc int, ins Instruction, s flowState, c context) string {
	k := ins.K
	switch ins.Op {
	case opLdAbs:
		switch k {
		case OffNr:
			return "A = sys_number"
		case OffArch:
			return "A = arch"
		}
		if n := fieldName(k, c.bigEndian); n != "" {
			return "A = " + n
		}
		return "A = data[" + hexNum(k) + "]"
	case opLdLen:
		return "A = sizeof(seccomp_data)"
	case opLdxLen:
		return "X = sizeof(seccomp_data)"
	case opLdImm:
		return "A = " + num(k)
	case opLdxImm:
		return "X = " + num(k)
	case opLdMem:
		return "A = " + memName(k)
	case opLdxMem:
		return "X = " + memName(k)
	case opSt:
		return memName(k) + " = A"
	case opStx:
		return memName(k) + " = X"
	case opTax:
		return "X = A"
	case opTxa:
		return "A = X"
	case opAluNeg:
		return "A = -A"
	case opRetA:
		return "return A"
	case opRetK:
		return "return " + retName(k)
	case opJa:
		return "goto " + target(pc, k)
	}
	if !seccompOp(ins.Op) {
		return fmt.Sprintf("??? opcode 0x%02x (%s): not allowed in seccomp filters", ins.Op, opcodeName(ins.Op))
	}
	if ins.Op&0x07 == ClassALU {
		op := ins.Op & 0xf0
		operand := "X"
		switch {
		case ins.Op&SrcX != 0:
		case op == AluLSH || op == AluRSH:
			operand = strconv.FormatUint(uint64(k), 10)
		default:
			operand = num(k)
		}
		return "A " + aluSym(op) + " " + operand
	}
	jt, jf := target(pc, uint32(ins.Jt)), target(pc, uint32(ins.Jf))
	switch {
	case ins.Jf == 0:
		return "if (" + condText(ins, s, c, false) + ") goto " + jt
	case ins.Jt == 0:
		return "if (" + condText(ins, s, c, true) + ") goto " + jf
	default:
		return "if (" + condText(ins, s, c, false) + ") goto " + jt + " else goto " + jf
	}
}

// condText is the condition of a conditional jump (neg: its negation),
// e.g. "A == openat", "!(A & 0x40000000)".
func condText(ins Instruction, s flowState, c context, neg bool) string {
	op := ins.Op & 0xf0
	operand := "X"
	if ins.Op&SrcX == 0 {
		operand = jumpOperand(op, ins.K, s.a, c)
	}
	if op == JmpJSET {
		if neg {
			return "!(A & " + operand + ")"
		}
		return "A & " + operand
	}
	sym := condSyms(op)[0]
	if neg {
		sym = condSyms(op)[1]
	}
	return "A " + sym + " " + operand
}

// jumpOperand writes the constant of a comparison, named after what A
// holds: an AUDIT_ARCH name for arch equality, a syscall name for number
// equality, a decimal number for syscall number ranges.
func jumpOperand(op uint16, k uint32, a val, c context) string {
	switch a.kind {
	case valArch:
		if op == JmpJEQ {
			if n := auditArchName(k); n != "" {
				return n
			}
		}
	case valNr:
		if op == JmpJEQ {
			if n := c.syscallName(k); n != "" {
				return n
			}
		}
		if op != JmpJSET && k < syscalls.X32SyscallBit {
			return strconv.FormatUint(uint64(k), 10)
		}
	}
	return num(k)
}

// retName names a return value: Action's words where they say it
// exactly (ALLOW, ERRNO(1), KILL_PROCESS, ...), otherwise the number with
// a comment.
func retName(k uint32) string {
	a := Action(k)
	s := a.String()
	if back, err := ParseAction(s); err == nil && back == a {
		return s
	}
	if strings.HasPrefix(s, "UNKNOWN") {
		return hexNum(k) + "  # not a seccomp action: the kernel kills the process"
	}
	return hexNum(k) + "  # " + a.Kind().String() + " with data " + hexNum(uint32(a.Data()))
}

// target is the line a jump at pc with offset off goes to.
func target(pc int, off uint32) string { return fmt.Sprintf("%04d", int64(pc)+1+int64(off)) }

func memName(k uint32) string { return "mem[" + strconv.FormatUint(uint64(k), 10) + "]" }

// num writes a constant: decimal below 10, hexadecimal otherwise.
func num(k uint32) string {
	if k < 10 {
		return strconv.FormatUint(uint64(k), 10)
	}
	return hexNum(k)
}

func hexNum(k uint32) string { return "0x" + strconv.FormatUint(uint64(k), 16) }
