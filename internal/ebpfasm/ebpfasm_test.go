package ebpfasm

import (
	"testing"

	"github.com/cilium/ebpf/asm"
)

func TestLabels(t *testing.T) {
	var b Builder
	skip := b.Fresh("skip")
	if again := b.Fresh("skip"); again == skip {
		t.Fatalf("Fresh returned %q twice", skip)
	}
	b.Emit(asm.JEq.Imm(asm.R1, 0, skip), asm.Mov.Imm(asm.R0, 1))
	b.Mark(skip)
	b.Mark("end") // two labels in a row: a jump between them
	b.Emit(asm.Return())
	if len(b.Insns) != 4 {
		t.Fatalf("got %d instructions, want 4:\n%v", len(b.Insns), b.Insns)
	}
	if got := b.Insns[2].Symbol(); got != skip {
		t.Errorf("instruction 2 has symbol %q, want %q", got, skip)
	}
	if got := b.Insns[3].Symbol(); got != "end" {
		t.Errorf("instruction 3 has symbol %q, want %q", got, "end")
	}
	if got := b.Insns[0].Reference(); got != skip {
		t.Errorf("the jump refers to %q, want %q", got, skip)
	}
	if got := b.Insns[2].Reference(); got != "end" {
		t.Errorf("the jump between two labels refers to %q, want %q", got, "end")
	}
}
