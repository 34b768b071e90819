package bpf

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// testData has a distinct value in every 32-bit word of seccomp_data.
var testData = Data{
	Nr:                 0x101,
	Arch:               0xc000003e,
	InstructionPointer: 0x1111111122222222,
	Args: [6]uint64{
		0xa0a0a0a0_00000a00, 0xa1a1a1a1_00000a01, 0xa2a2a2a2_00000a02,
		0xa3a3a3a3_00000a03, 0xa4a4a4a4_00000a04, 0xa5a5a5a5_00000a05,
	},
}

func order(big bool) string {
	if big {
		return "big"
	}
	return "little"
}

func TestRunLoads(t *testing.T) {
	for _, big := range []bool{false, true} {
		for off := uint32(0); off < SeccompDataSize; off += 4 {
			want := map[uint32]uint32{0: 0x101, 4: 0xc000003e}[off]
			if off >= OffInstructionPointer {
				v := testData.InstructionPointer
				if off >= OffArgs {
					v = testData.Args[(off-OffArgs)/8]
				}
				lowFirst := !big
				if ((off-OffInstructionPointer)%8 == 0) == lowFirst {
					want = uint32(v)
				} else {
					want = uint32(v >> 32)
				}
			}
			t.Run(fmt.Sprintf("order=%s/off=%d", order(big), off), func(t *testing.T) {
				res, err := Run(Program{LoadAbs(off), ins(opRetA, 0, 0, 0)}, &testData, big, false)
				if err != nil || res.Ret != want {
					t.Fatalf("ld [%d] = %#x, %v; want %#x", off, res.Ret, err, want)
				}
			})
		}
		for i := 0; i < 6; i++ {
			lo, _ := Run(Program{LoadAbs(ArgLow(i, big)), ins(opRetA, 0, 0, 0)}, &testData, big, false)
			hi, _ := Run(Program{LoadAbs(ArgHigh(i, big)), ins(opRetA, 0, 0, 0)}, &testData, big, false)
			if lo.Ret != uint32(testData.Args[i]) || hi.Ret != uint32(testData.Args[i]>>32) {
				t.Errorf("order=%s/arg=%d: ArgLow/ArgHigh load %#x/%#x", order(big), i, lo.Ret, hi.Ret)
			}
		}
	}
}

func TestRunInstructions(t *testing.T) {
	retA := ins(opRetA, 0, 0, 0)
	ldx := func(k uint32) Instruction { return ins(opLdxImm, 0, 0, k) }
	lda := func(k uint32) Instruction { return ins(opLdImm, 0, 0, k) }
	alux := func(op uint16) Instruction { return ins(ClassALU|op|SrcX, 0, 0, 0) }
	jmpx := func(op uint16, jt, jf uint8) Instruction { return ins(ClassJMP|op|SrcX, jt, jf, 0) }
	tests := []struct {
		name  string
		p     Program
		want  uint32
		steps int
	}{
		{"class=ret/k", Program{Ret(0x50001)}, 0x50001, 1},
		{"class=ret/a", Program{lda(7), retA}, 7, 2},
		{"class=ld/imm", Program{lda(0xdeadbeef), retA}, 0xdeadbeef, 2},
		{"class=ld/len", Program{ins(opLdLen, 0, 0, 0), retA}, 64, 2},
		{"class=ldx/imm", Program{ldx(9), ins(opTxa, 0, 0, 0), retA}, 9, 3},
		{"class=ldx/len", Program{ins(opLdxLen, 0, 0, 0), ins(opTxa, 0, 0, 0), retA}, 64, 3},
		{"class=st/mem", Program{lda(5), ins(opSt, 0, 0, 7), lda(0), ins(opLdMem, 0, 0, 7), retA}, 5, 5},
		{"class=stx/mem", Program{ldx(6), ins(opStx, 0, 0, 15), ins(opLdxMem, 0, 0, 15), ins(opTxa, 0, 0, 0), retA}, 6, 5},
		{"class=misc/tax", Program{lda(3), ins(opTax, 0, 0, 0), lda(0), ins(opTxa, 0, 0, 0), retA}, 3, 5},
		{"class=alu/add_k", Program{lda(0xffffffff), AluK(AluADD, 2), retA}, 1, 3},
		{"class=alu/sub_k", Program{lda(1), AluK(AluSUB, 2), retA}, 0xffffffff, 3},
		{"class=alu/mul_k", Program{lda(0x10000), AluK(AluMUL, 0x10001), retA}, 0x10000, 3},
		{"class=alu/div_k", Program{lda(100), AluK(AluDIV, 7), retA}, 14, 3},
		{"class=alu/and_k", Program{lda(0xf0f0), AluK(AluAND, 0xff00), retA}, 0xf000, 3},
		{"class=alu/or_k", Program{lda(0xf0), AluK(AluOR, 0x0f), retA}, 0xff, 3},
		{"class=alu/xor_k", Program{lda(0xff), AluK(AluXOR, 0x0f), retA}, 0xf0, 3},
		{"class=alu/lsh_k", Program{lda(1), AluK(AluLSH, 31), retA}, 0x80000000, 3},
		{"class=alu/rsh_k", Program{lda(0x80000000), AluK(AluRSH, 31), retA}, 1, 3},
		{"class=alu/neg", Program{lda(1), ins(opAluNeg, 0, 0, 0), retA}, 0xffffffff, 3},
		{"class=alu/add_x", Program{lda(5), ldx(6), alux(AluADD), retA}, 11, 4},
		{"class=alu/sub_x", Program{lda(5), ldx(6), alux(AluSUB), retA}, 0xffffffff, 4},
		{"class=alu/mul_x", Program{lda(5), ldx(6), alux(AluMUL), retA}, 30, 4},
		{"class=alu/div_x", Program{lda(60), ldx(6), alux(AluDIV), retA}, 10, 4},
		{"class=alu/and_x", Program{lda(5), ldx(6), alux(AluAND), retA}, 4, 4},
		{"class=alu/or_x", Program{lda(5), ldx(6), alux(AluOR), retA}, 7, 4},
		{"class=alu/xor_x", Program{lda(5), ldx(6), alux(AluXOR), retA}, 3, 4},
		{"class=alu/lsh_x", Program{lda(5), ldx(2), alux(AluLSH), retA}, 20, 4},
		{"class=alu/rsh_x", Program{lda(20), ldx(2), alux(AluRSH), retA}, 5, 4},
		// The kernel masks a shift count in X to 5 bits.
		{"class=alu/lsh_x_33", Program{lda(5), ldx(33), alux(AluLSH), retA}, 10, 4},
		{"class=alu/rsh_x_32", Program{lda(20), ldx(32), alux(AluRSH), retA}, 20, 4},
		// cBPF division by X == 0 ends the filter with 0 (KILL_THREAD).
		{"class=alu/div_x_zero", Program{lda(5), ldx(0), alux(AluDIV), Ret(retAllow)}, 0, 3},
		{"class=jmp/ja", Program{JumpAlways(1), Ret(1), Ret(2)}, 2, 2},
		{"class=jmp/jeq_k_true", Program{lda(5), Jump(JmpJEQ, 5, 0, 1), Ret(1), Ret(2)}, 1, 3},
		{"class=jmp/jeq_k_false", Program{lda(5), Jump(JmpJEQ, 6, 0, 1), Ret(1), Ret(2)}, 2, 3},
		{"class=jmp/jgt_k_true", Program{lda(7), Jump(JmpJGT, 6, 0, 1), Ret(1), Ret(2)}, 1, 3},
		{"class=jmp/jgt_k_equal", Program{lda(6), Jump(JmpJGT, 6, 0, 1), Ret(1), Ret(2)}, 2, 3},
		{"class=jmp/jge_k_equal", Program{lda(6), Jump(JmpJGE, 6, 0, 1), Ret(1), Ret(2)}, 1, 3},
		{"class=jmp/jge_k_less", Program{lda(5), Jump(JmpJGE, 6, 0, 1), Ret(1), Ret(2)}, 2, 3},
		{"class=jmp/jset_k_true", Program{lda(6), Jump(JmpJSET, 2, 0, 1), Ret(1), Ret(2)}, 1, 3},
		{"class=jmp/jset_k_false", Program{lda(6), Jump(JmpJSET, 1, 0, 1), Ret(1), Ret(2)}, 2, 3},
		{"class=jmp/unsigned", Program{lda(0xffffffff), Jump(JmpJGT, 1, 0, 1), Ret(1), Ret(2)}, 1, 3},
		{"class=jmp/jeq_x", Program{lda(5), ldx(5), jmpx(JmpJEQ, 1, 0), Ret(1), Ret(2)}, 2, 4},
		{"class=jmp/jgt_x", Program{lda(5), ldx(5), jmpx(JmpJGT, 1, 0), Ret(1), Ret(2)}, 1, 4},
		{"class=jmp/jge_x", Program{lda(5), ldx(5), jmpx(JmpJGE, 1, 0), Ret(1), Ret(2)}, 2, 4},
		{"class=jmp/jset_x", Program{lda(5), ldx(2), jmpx(JmpJSET, 1, 0), Ret(1), Ret(2)}, 1, 4},
		{"class=jmp/far", Program{Jump(JmpJEQ, 0, 2, 0), Ret(1), Ret(2), Ret(3)}, 3, 2},
	}
	for _, tt := range tests {
		for _, big := range []bool{false, true} {
			t.Run(tt.name+"/order="+order(big), func(t *testing.T) {
				if err := Validate(tt.p); err != nil {
					t.Fatalf("test program invalid: %v", err)
				}
				res, err := Run(tt.p, &testData, big, true)
				if err != nil {
					t.Fatal(err)
				}
				if res.Ret != tt.want || res.Steps != tt.steps || len(res.Trace) != tt.steps || res.PC != res.Trace[len(res.Trace)-1] {
					t.Errorf("Run = ret %#x in %d steps (trace %v, pc %d), want %#x in %d", res.Ret, res.Steps, res.Trace, res.PC, tt.want, tt.steps)
				}
			})
		}
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name string
		p    Program
		pc   int
		msg  string
	}{
		{"fall_off_end", Program{LoadAbs(0)}, 1, "fell off the end"},
		{"empty", Program{}, 0, "fell off the end"},
		{"bad_offset", Program{LoadAbs(2), Ret(0)}, 0, "invalid seccomp_data offset 2"},
		{"bad_offset_past_end", Program{LoadAbs(64), Ret(0)}, 0, "offset 64"},
		{"not_seccomp_opcode", Program{ins(ClassLD|SizeH|ModeABS, 0, 0, 0), Ret(0)}, 0, "not allowed in seccomp"},
		{"mod", Program{AluK(AluMOD, 2), Ret(0)}, 0, "not allowed"},
		{"ret_x", Program{ins(ClassRET|RetX, 0, 0, 0)}, 0, "not allowed"},
		{"mem_index", Program{ins(opSt, 0, 0, 16), Ret(0)}, 0, "index 16"},
		{"ja_out", Program{JumpAlways(0xffffffff), Ret(0)}, 0, "outside the program"},
		{"jt_out", Program{Jump(JmpJEQ, 0, 5, 5), Ret(0)}, 6, "fell off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(tt.p, &testData, false, false)
			var e *Error
			if !errors.As(err, &e) || e.PC != tt.pc || !strings.Contains(e.Msg, tt.msg) {
				t.Fatalf("Run = %v, want pc %d %q", err, tt.pc, tt.msg)
			}
		})
	}
}

func BenchmarkRun(b *testing.B) {
	var p Program
	for _, g := range goldenPrograms(b) {
		if g.name == "x86_64-libseccomp" {
			p = g.prog
		}
	}
	d := Data{Nr: 135, Arch: 0xc000003e} // personality: argument checks near the end
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(p, &d, false, false); err != nil {
			b.Fatal(err)
		}
	}
}

// TestALUIsRun checks ALU against Run, which the kernel comparisons pin,
// for every operation seccomp allows, on both sources.
func TestALUIsRun(t *testing.T) {
	ops := []uint16{AluADD, AluSUB, AluMUL, AluDIV, AluOR, AluAND, AluXOR, AluLSH, AluRSH}
	vals := []uint32{0, 1, 2, 7, 31, 32, 33, 0x7fffffff, 0x80000000, 0xffffffff}
	for _, op := range ops {
		for _, a := range vals {
			for _, v := range vals {
				if op == AluDIV && v == 0 {
					continue
				}
				prog := Program{{Op: opLdImm, K: a}, AluK(op, v), {Op: opRetA}}
				res, err := Run(prog, &Data{}, false, false)
				if err != nil {
					t.Fatal(err)
				}
				if got := ALU(ClassALU|op, a, v); got != res.Ret {
					t.Errorf("ALU(%#x, %#x, %#x) = %#x; Run answers %#x", op, a, v, got, res.Ret)
				}
			}
		}
	}
	if got := ALU(ClassALU|AluNEG, 5, 99); got != ^uint32(5)+1 {
		t.Errorf("ALU(neg, 5) = %#x", got)
	}
}

// TestTakenIsRun checks Taken against Run for every conditional jump.
func TestTakenIsRun(t *testing.T) {
	vals := []uint32{0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff}
	for _, op := range []uint16{JmpJEQ, JmpJGT, JmpJGE, JmpJSET} {
		for _, a := range vals {
			for _, v := range vals {
				prog := Program{{Op: opLdImm, K: a}, Jump(op, v, 0, 1), {Op: opRetK, K: 1}, {Op: opRetK, K: 0}}
				res, err := Run(prog, &Data{}, false, false)
				if err != nil {
					t.Fatal(err)
				}
				if got := Taken(ClassJMP|op, a, v); got != (res.Ret == 1) {
					t.Errorf("Taken(%#x, %#x, %#x) = %v; Run answers %d", op, a, v, got, res.Ret)
				}
			}
		}
	}
}
