package ebpfasm_test

import (
	"fmt"

	"github.com/cilium/ebpf/asm"

	"github.com/sysfence/sysfence/internal/ebpfasm"
)

// A program that returns 1 when its context pointer is null, else 0.
func Example() {
	var b ebpfasm.Builder
	zero := b.Fresh("zero")
	b.Emit(asm.Mov.Imm(asm.R0, 0), asm.JNE.Imm(asm.R1, 0, zero), asm.Mov.Imm(asm.R0, 1))
	b.Mark(zero)
	b.Emit(asm.Return())
	fmt.Println(len(b.Insns), "instructions; the last is", b.Insns[3].Symbol())
	// Output: 4 instructions; the last is zero_1
}
