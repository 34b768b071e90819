package bpf

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrSyntax is wrapped by every *SyntaxError.
var ErrSyntax = errors.New("cannot assemble")

// SyntaxError is a line Assemble cannot read.
type SyntaxError struct {
	Line int // 1-based line of the input
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Unwrap makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// Assemble reads a program written the way Disassemble writes it, one
// instruction a line:
//
//	 0001: 0x15 0x00 0x05 0xc000003e  if (A != ARCH_X86_64) goto 0007
//	0001: if (A != ARCH_X86_64) goto 0007
//	if (A != ARCH_X86_64) goto 0007
//
// When a line has the raw columns (CODE JT JF K) they are the instruction
// and the readable text after them is ignored, so any listing assembles
// back exactly. Otherwise the readable form is parsed: syscall names are
// read for the architecture the program has compared at that point (or
// opts.Arch), exactly as Disassemble names them, so a program whose
// instructions are canonical (no stray bits in fields an instruction does
// not use) also assembles back exactly from Listing.Text. Line numbers
// ("0001:") are optional but must match the instruction's position; the
// header of a listing, blank lines and comments from '#' are skipped.
func Assemble(text string, opts Options) (Program, error) {
	type src struct {
		line int
		text string
	}
	var lines []src
	for i, l := range strings.Split(text, "\n") {
		if j := strings.IndexByte(l, '#'); j >= 0 {
			l = l[:j]
		}
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "line ") || strings.Trim(l, "=") == "" {
			continue
		}
		lines = append(lines, src{i + 1, l})
	}
	p := make(Program, len(lines))
	f := newFlow(len(lines))
	for pc, l := range lines {
		st := f.at(pc)
		ins, err := assembleLine(l.text, pc, st, contextAt(st, opts.Arch))
		if err != nil {
			return nil, &SyntaxError{Line: l.line, Msg: err.Error()}
		}
		p[pc] = ins
		f.step(pc, ins, st)
	}
	return p, nil
}

// assembleLine reads one instruction at pc.
func assembleLine(s string, pc int, st flowState, c context) (Instruction, error) {
	if i := strings.IndexByte(s, ':'); i > 0 && isDigits(s[:i]) {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n != pc {
			return Instruction{}, fmt.Errorf("line number %s is not the instruction's position %04d", s[:i], pc)
		}
		s = strings.TrimSpace(s[i+1:])
	}
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		return rawColumns(s)
	}
	return assembleReadable(s, pc, st, c)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// rawColumns reads "CODE JT JF K" (any base Go accepts), ignoring what
// follows.
func rawColumns(s string) (Instruction, error) {
	f := strings.Fields(s)
	if len(f) < 4 {
		return Instruction{}, fmt.Errorf("raw instruction %q needs four columns: CODE JT JF K", s)
	}
	code, err1 := strconv.ParseUint(f[0], 0, 16)
	jt, err2 := strconv.ParseUint(f[1], 0, 8)
	jf, err3 := strconv.ParseUint(f[2], 0, 8)
	k, err4 := strconv.ParseUint(f[3], 0, 32)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return Instruction{}, fmt.Errorf("raw instruction %q: CODE must fit 16 bits, JT and JF 8 bits, K 32 bits", strings.Join(f[:4], " "))
	}
	return Instruction{Op: uint16(code), Jt: uint8(jt), Jf: uint8(jf), K: uint32(k)}, nil
}

// assembleReadable reads the readable form Disassemble writes.
func assembleReadable(s string, pc int, st flowState, c context) (Instruction, error) {
	switch {
	case strings.HasPrefix(s, "???"):
		return Instruction{}, errors.New("an opcode seccomp does not allow has no readable form: give the raw columns CODE JT JF K")
	case s == "return A":
		return Instruction{Op: opRetA}, nil
	case strings.HasPrefix(s, "return "):
		return assembleReturn(strings.TrimSpace(s[len("return "):]))
	case strings.HasPrefix(s, "goto "):
		off, err := jumpOffset(pc, strings.TrimSpace(s[len("goto "):]), 1<<32-1)
		return Instruction{Op: opJa, K: off}, err
	case strings.HasPrefix(s, "if "):
		return assembleIf(s, pc, st, c)
	}
	lhs, rhs, ok := strings.Cut(s, "=")
	if !ok {
		return Instruction{}, fmt.Errorf("cannot read %q", s)
	}
	lhs, rhs = strings.TrimSpace(lhs), strings.TrimSpace(rhs)
	if len(lhs) > 1 && lhs[0] == 'A' { // A op= v
		name := strings.TrimSpace(lhs[1:]) + "="
		for _, o := range aluOps {
			if op := o.op; o.sym == name {
				if rhs == "X" {
					return Instruction{Op: ClassALU | op | SrcX}, nil
				}
				k, err := parseNumber(rhs)
				return Instruction{Op: ClassALU | op | SrcK, K: k}, err
			}
		}
		return Instruction{}, fmt.Errorf("unknown operator %q", name)
	}
	switch {
	case lhs == "A":
		return assembleLoadA(rhs, c)
	case lhs == "X":
		switch {
		case rhs == "A":
			return Instruction{Op: opTax}, nil
		case rhs == "sizeof(seccomp_data)":
			return Instruction{Op: opLdxLen}, nil
		case strings.HasPrefix(rhs, "mem["):
			k, err := memIndex(rhs)
			return Instruction{Op: opLdxMem, K: k}, err
		}
		k, err := parseNumber(rhs)
		return Instruction{Op: opLdxImm, K: k}, err
	case strings.HasPrefix(lhs, "mem["):
		k, err := memIndex(lhs)
		switch rhs {
		case "A":
			return Instruction{Op: opSt, K: k}, err
		case "X":
			return Instruction{Op: opStx, K: k}, err
		}
		return Instruction{}, fmt.Errorf("only A or X can be stored in scratch memory, not %q", rhs)
	}
	return Instruction{}, fmt.Errorf("cannot assign to %q: only A, X and mem[0-15]", lhs)
}

func assembleLoadA(rhs string, c context) (Instruction, error) {
	switch rhs {
	case "sys_number":
		return LoadAbs(OffNr), nil
	case "arch":
		return LoadAbs(OffArch), nil
	case "sizeof(seccomp_data)":
		return Instruction{Op: opLdLen}, nil
	case "X":
		return Instruction{Op: opTxa}, nil
	case "-A":
		return Instruction{Op: opAluNeg}, nil
	}
	switch {
	case strings.HasPrefix(rhs, "mem["):
		k, err := memIndex(rhs)
		return Instruction{Op: opLdMem, K: k}, err
	case strings.HasPrefix(rhs, "data[") && strings.HasSuffix(rhs, "]"):
		k, err := parseNumber(rhs[len("data[") : len(rhs)-1])
		return LoadAbs(k), err
	case strings.HasPrefix(rhs, "args[") || strings.HasPrefix(rhs, "instruction_pointer"):
		for off := uint32(OffInstructionPointer); off < SeccompDataSize; off += 4 {
			if fieldName(off, c.bigEndian) == rhs {
				return LoadAbs(off), nil
			}
		}
		return Instruction{}, fmt.Errorf("unknown seccomp_data field %q (write e.g. \"args[0] (low)\" or \"instruction_pointer (high)\")", rhs)
	}
	k, err := parseNumber(rhs)
	return Instruction{Op: opLdImm, K: k}, err
}

func assembleReturn(s string) (Instruction, error) {
	if k, err := parseNumber(s); err == nil {
		return Ret(k), nil
	}
	a, err := ParseAction(s)
	if err != nil {
		return Instruction{}, fmt.Errorf("return %q: not a number or an action (ALLOW, ERRNO(1), KILL, KILL_PROCESS, TRAP, TRACE(n), LOG, USER_NOTIF)", s)
	}
	return Ret(uint32(a)), nil
}

func assembleIf(s string, pc int, st flowState, c context) (Instruction, error) {
	rest, ok := strings.CutPrefix(s, "if (")
	i := strings.Index(rest, ") goto ")
	if !ok || i < 0 {
		return Instruction{}, fmt.Errorf("cannot read %q: write if (A == K) goto N [else goto M]", s)
	}
	cond, targets := strings.TrimSpace(rest[:i]), strings.TrimSpace(rest[i+len(") goto "):])
	var op uint16
	var neg bool
	var operand string
	if inner, ok := strings.CutPrefix(cond, "!("); ok && strings.HasSuffix(inner, ")") {
		cond, neg = strings.TrimSpace(inner[:len(inner)-1]), true
		if !strings.HasPrefix(cond, "A & ") {
			return Instruction{}, fmt.Errorf("cannot read condition %q: only !(A & K) is negated this way", cond)
		}
	}
	f := strings.Fields(cond)
	if len(f) < 3 || f[0] != "A" {
		return Instruction{}, fmt.Errorf("cannot read condition %q: write A == K, A != K, A > K, A <= K, A >= K, A < K, A & K or !(A & K)", cond)
	}
	operand = strings.Join(f[2:], " ")
	switch f[1] {
	case "&":
		op = JmpJSET
	case "==", "!=":
		op, neg = JmpJEQ, f[1] == "!="
	case ">", "<=":
		op, neg = JmpJGT, f[1] == "<="
	case ">=", "<":
		op, neg = JmpJGE, f[1] == "<"
	default:
		return Instruction{}, fmt.Errorf("unknown comparison %q", f[1])
	}
	ins := Instruction{Op: ClassJMP | op}
	if operand == "X" {
		ins.Op |= SrcX
	} else {
		k, err := parseOperand(operand, c)
		if err != nil {
			return Instruction{}, err
		}
		ins.K = k
	}
	first, second, hasElse := strings.Cut(targets, " else goto ")
	j1, err := jumpOffset(pc, strings.TrimSpace(first), 255)
	if err != nil {
		return Instruction{}, err
	}
	var j2 uint32
	if hasElse {
		if j2, err = jumpOffset(pc, strings.TrimSpace(second), 255); err != nil {
			return Instruction{}, err
		}
	}
	// "if (c) goto T" falls through when c fails; "if (!c) goto F" falls
	// through when c holds.
	if neg {
		j1, j2 = j2, j1
	}
	ins.Jt, ins.Jf = uint8(j1), uint8(j2)
	return ins, nil
}

// jumpOffset turns a target line into the offset of a jump at pc.
func jumpOffset(pc int, target string, max uint64) (uint32, error) {
	t, err := strconv.ParseUint(target, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("jump target %q is not a line number", target)
	}
	if t <= uint64(pc) {
		return 0, fmt.Errorf("jump from %04d to %04d: classic BPF only jumps forward", pc, t)
	}
	off := t - uint64(pc) - 1
	if off > max {
		return 0, fmt.Errorf("jump from %04d to %04d is %d instructions, more than a conditional jump's %d: use a goto", pc, t, off, max)
	}
	return uint32(off), nil
}

// parseOperand reads a comparison constant: a number, an AUDIT_ARCH name
// (ARCH_X86_64) or a syscall name of the architecture in context.
func parseOperand(s string, c context) (uint32, error) {
	if k, err := parseNumber(s); err == nil {
		return k, nil
	}
	if strings.HasPrefix(s, "ARCH_") || strings.HasPrefix(s, "AUDIT_ARCH_") {
		if k, ok := auditArchToken(s); ok {
			return k, nil
		}
		return 0, fmt.Errorf("unknown architecture %q", s)
	}
	if k, ok := c.syscallNumber(s); ok {
		return k, nil
	}
	primary, _ := c.abis()
	if primary == nil {
		return 0, fmt.Errorf("syscall name %q needs an architecture: compare arch first, or give one (--arch)", s)
	}
	return 0, fmt.Errorf("%q is not a number or a syscall of %s", s, primary.Name)
}

func parseNumber(s string) (uint32, error) {
	k, err := strconv.ParseUint(s, 0, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a 32-bit number", s)
	}
	return uint32(k), nil
}

func memIndex(s string) (uint32, error) {
	if !strings.HasPrefix(s, "mem[") || !strings.HasSuffix(s, "]") {
		return 0, fmt.Errorf("cannot read %q: write mem[0] to mem[15]", s)
	}
	k, err := strconv.ParseUint(s[len("mem["):len(s)-1], 10, 32)
	if err != nil {
		return 0, fmt.Errorf("cannot read %q: write mem[0] to mem[15]", s)
	}
	return uint32(k), nil
}
