package bpf

import (
	"errors"
	"strings"
	"testing"
)

// Shorthands for hand-written test programs.
var (
	retAllowI = Ret(retAllow)
	retKill   = Ret(0)
)

func ins(op uint16, jt, jf uint8, k uint32) Instruction {
	return Instruction{Op: op, Jt: jt, Jf: jf, K: k}
}

type validateCase struct {
	name string
	p    Program
	pc   int    // -1: valid
	msg  string // part of the message
}

// validateCases are the kernel's rules, one program each.
func validateCases() []validateCase {
	long := make(Program, MaxInstructions+1)
	for i := range long {
		long[i] = retKill
	}
	max := long[:MaxInstructions]
	return []validateCase{
		{"ok=minimal", Program{retAllowI}, -1, ""},
		{"ok=ret_a", Program{ins(opRetA, 0, 0, 0)}, -1, ""},
		{"ok=max_length", max, -1, ""},
		{"ok=every_allowed_opcode", Program{
			LoadAbs(OffNr), LoadAbs(60), ins(opLdLen, 0, 0, 0), ins(opLdxLen, 0, 0, 0),
			ins(opLdImm, 0, 0, 7), ins(opLdxImm, 0, 0, 3), ins(opSt, 0, 0, 0), ins(opStx, 0, 0, 15),
			ins(opLdMem, 0, 0, 0), ins(opLdxMem, 0, 0, 15), ins(opTax, 0, 0, 0), ins(opTxa, 0, 0, 0),
			AluK(AluADD, 1), AluK(AluSUB, 1), AluK(AluMUL, 1), AluK(AluDIV, 1), AluK(AluAND, 1),
			AluK(AluOR, 1), AluK(AluXOR, 1), AluK(AluLSH, 31), AluK(AluRSH, 31), ins(opAluNeg, 0, 0, 0),
			ins(ClassALU|AluADD|SrcX, 0, 0, 0), ins(ClassALU|AluDIV|SrcX, 0, 0, 0), ins(ClassALU|AluLSH|SrcX, 0, 0, 0),
			Jump(JmpJEQ, 1, 0, 0), Jump(JmpJGT, 1, 0, 0), Jump(JmpJGE, 1, 0, 0), Jump(JmpJSET, 1, 0, 0),
			ins(ClassJMP|JmpJEQ|SrcX, 0, 0, 0), JumpAlways(0), retAllowI,
		}, -1, ""},
		{"rule=empty", Program{}, 0, "empty program"},
		{"rule=too_long", long, MaxInstructions, "4097 instructions, 1 over"},
		{"rule=last_not_ret", Program{LoadAbs(0)}, 0, "last instruction must be a return"},
		{"rule=last_not_ret_after_jump", Program{Jump(JmpJEQ, 0, 0, 1), retKill, LoadAbs(0)}, 2, "last instruction must be a return"},
		{"rule=opcode/ld_h_abs", Program{ins(ClassLD|SizeH|ModeABS, 0, 0, 0), retKill}, 0, "not allowed in seccomp"},
		// Classic checks come first, as in the kernel: the bad jump at pc 1
		// is reported before the seccomp-only opcode at pc 0.
		{"rule=opcode/classic_first", Program{ins(ClassLD|SizeH|ModeABS, 0, 0, 0), JumpAlways(5), retKill}, 1, "outside"},
		{"rule=ld_abs/unknown_ancillary", Program{ins(ClassLD|SizeB|ModeABS, 0, 0, 0xfffff040), retKill}, 0, "unknown ancillary"},
		{"rule=ld_abs/known_ancillary", Program{ins(ClassLD|SizeB|ModeABS, 0, 0, 0xfffff004), retKill}, 0, "not allowed in seccomp"},
		{"rule=opcode/ld_b_abs", Program{ins(ClassLD|SizeB|ModeABS, 0, 0, 0), retKill}, 0, "not allowed"},
		{"rule=opcode/ld_ind", Program{ins(ClassLD|SizeW|ModeIND, 0, 0, 0), retKill}, 0, "ld w ind"},
		{"rule=opcode/ldx_msh", Program{ins(ClassLDX|SizeB|ModeMSH, 0, 0, 0), retKill}, 0, "not allowed"},
		{"rule=opcode/mod", Program{AluK(AluMOD, 3), retKill}, 0, "alu mod k"},
		{"rule=opcode/neg_x", Program{ins(opAluNeg|SrcX, 0, 0, 0), retKill}, 0, "not a classic BPF instruction"},
		{"rule=opcode/ret_x", Program{ins(ClassRET|RetX, 0, 0, 0)}, 0, "ret x"},
		{"rule=opcode/ja_x", Program{ins(opJa|SrcX, 0, 0, 0), retKill}, 0, "not a classic"},
		{"rule=opcode/st_with_mode", Program{ins(opSt|ModeMEM, 0, 0, 0), retKill}, 0, "not a classic"},
		{"rule=opcode/wide", Program{ins(0x106, 0, 0, 0)}, 0, "not an opcode"},
		{"rule=opcode/later_pc", Program{LoadAbs(0), LoadAbs(4), ins(0xff, 0, 0, 0), retKill}, 2, "0xff"},
		{"rule=ld_abs/misaligned", Program{LoadAbs(2), retKill}, 0, "offset 2"},
		{"rule=ld_abs/past_end", Program{LoadAbs(64), retKill}, 0, "offset 64"},
		{"rule=ld_abs/ancillary", Program{LoadAbs(0xfffff000), retKill}, 0, "4-byte aligned and below 64"},
		{"rule=div_zero", Program{LoadAbs(0), AluK(AluDIV, 0), retKill}, 1, "division by constant zero"},
		{"rule=lsh_32", Program{AluK(AluLSH, 32), retKill}, 0, "shift by 32"},
		{"rule=rsh_big", Program{AluK(AluRSH, 0xffffffff), retKill}, 0, "shift by 4294967295"},
		{"rule=mem_index/ld", Program{ins(opSt, 0, 0, 0), ins(opLdMem, 0, 0, 16), retKill}, 1, "index 16"},
		{"rule=mem_index/st", Program{ins(opSt, 0, 0, 16), retKill}, 0, "index 16"},
		{"rule=mem_index/stx", Program{ins(opStx, 0, 0, 99), retKill}, 0, "index 99"},
		{"rule=mem_index/ldx", Program{ins(opLdxMem, 0, 0, 16), retKill}, 0, "index 16"},
		{"rule=ja/past_end", Program{JumpAlways(1), retKill}, 0, "jump to 2 is outside"},
		{"rule=ja/huge", Program{retKill, JumpAlways(0xffffffff), retKill}, 1, "outside"},
		{"rule=jt/past_end", Program{Jump(JmpJEQ, 0, 1, 0), retKill}, 0, "jump-if-true to 2"},
		{"rule=jf/past_end", Program{Jump(JmpJGT, 0, 0, 5), retKill}, 0, "jump-if-false to 6"},
		{"rule=jump_x/past_end", Program{ins(ClassJMP|JmpJSET|SrcX, 0, 1, 0), retKill}, 0, "jump-if-false to 2"},
		{"rule=mem/read_before_store", Program{ins(opLdMem, 0, 0, 3), retKill}, 0, "mem[3]"},
		{"rule=mem/ldx_before_store", Program{ins(opSt, 0, 0, 2), ins(opLdxMem, 0, 0, 3), retKill}, 1, "mem[3]"},
		{"ok=mem/store_then_read", Program{ins(opStx, 0, 0, 3), ins(opLdMem, 0, 0, 3), retKill}, -1, ""},
		{"rule=mem/store_on_one_branch", Program{
			Jump(JmpJEQ, 0, 0, 1), // 0: true -> 1, false -> 2
			ins(opSt, 0, 0, 0),    // 1
			ins(opLdMem, 0, 0, 0), // 2: reached from 0 without the store
			retKill,
		}, 2, "mem[0]"},
		{"ok=mem/store_on_both_branches", Program{
			Jump(JmpJEQ, 0, 0, 2), // 0: -> 1 or 3
			ins(opSt, 0, 0, 0),    // 1
			JumpAlways(1),         // 2: -> 4
			ins(opSt, 0, 0, 0),    // 3
			ins(opLdMem, 0, 0, 0), // 4
			retKill,
		}, -1, ""},
		{"rule=mem/ja_skips_store", Program{
			ins(opSt, 0, 0, 1), JumpAlways(1), ins(opSt, 0, 0, 0), ins(opLdMem, 0, 0, 0), retKill,
		}, 3, "mem[0]"},
		// The kernel's scan does not reset the set after a return: code
		// only reachable by falling off a return keeps it.
		{"ok=mem/kernel_rule_after_ret", Program{ins(opSt, 0, 0, 0), retKill, ins(opLdMem, 0, 0, 0), retKill}, -1, ""},
		// ...but a jump target intersects the sets of all its jumps.
		{"rule=mem/join_after_ret", Program{
			Jump(JmpJEQ, 0, 2, 0), // 0: -> 1 or 3
			ins(opSt, 0, 0, 0),    // 1
			retKill,               // 2
			ins(opLdMem, 0, 0, 0), // 3: the jump from 0 did not store
			retKill,
		}, 3, "mem[0]"},
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range validateCases() {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.p)
			if tt.pc < 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Validate = %v, want *Error at pc %d", err, tt.pc)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
			}
			if e.PC != tt.pc || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("Validate = pc %d %q, want pc %d containing %q", e.PC, e.Msg, tt.pc, tt.msg)
			}
		})
	}
}

func TestValidateTooLongIsErrTooLong(t *testing.T) {
	p := make(Program, 5000)
	for i := range p {
		p[i] = retKill
	}
	err := Validate(p)
	if !errors.Is(err, ErrTooLong) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("Validate(5000 instructions) = %v, want ErrTooLong and ErrInvalid", err)
	}
	if !strings.Contains(err.Error(), "904 over") {
		t.Errorf("error %q does not say how far over", err)
	}
}

func TestValidateLibseccompPrograms(t *testing.T) {
	for _, g := range goldenPrograms(t) {
		if err := Validate(g.prog); err != nil {
			t.Errorf("%s: %v", g.name, err)
		}
	}
}
