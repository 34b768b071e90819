package ebpfasm

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/cilium/ebpf/asm"
)

// TestAtomicEncoding pins the workaround in Atomic: the immediate of
// BPF_ATOMIC instructions selects the operation (BPF_OR|BPF_FETCH 0x41,
// BPF_AND|BPF_FETCH 0x51).
func TestAtomicEncoding(t *testing.T) {
	for _, tt := range []struct {
		name string
		op   asm.AtomicOp
		imm  uint32
	}{{"op=FetchOr", asm.FetchOr, 0x41}, {"op=FetchAnd", asm.FetchAnd, 0x51}, {"op=Add", asm.AddAtomic, 0x00}} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if _, err := Atomic(tt.op, asm.R0, asm.R1).Marshal(&buf, binary.LittleEndian); err != nil {
				t.Fatal(err)
			}
			b := buf.Bytes()
			if b[0] != 0xdb || binary.LittleEndian.Uint32(b[4:]) != tt.imm {
				t.Errorf("encoded % x, want opcode db and imm %#x", b, tt.imm)
			}
		})
	}
}
