package bpf

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Opcode classes, sizes, modes, operations and sources of <linux/filter.h>.
const (
	ClassLD   = 0x00
	ClassLDX  = 0x01
	ClassST   = 0x02
	ClassSTX  = 0x03
	ClassALU  = 0x04
	ClassJMP  = 0x05
	ClassRET  = 0x06
	ClassMISC = 0x07

	SizeW = 0x00
	SizeH = 0x08
	SizeB = 0x10

	ModeIMM = 0x00
	ModeABS = 0x20
	ModeIND = 0x40
	ModeMEM = 0x60
	ModeLEN = 0x80
	ModeMSH = 0xa0

	AluADD = 0x00
	AluSUB = 0x10
	AluMUL = 0x20
	AluDIV = 0x30
	AluOR  = 0x40
	AluAND = 0x50
	AluLSH = 0x60
	AluRSH = 0x70
	AluNEG = 0x80
	AluMOD = 0x90
	AluXOR = 0xa0

	JmpJA   = 0x00
	JmpJEQ  = 0x10
	JmpJGT  = 0x20
	JmpJGE  = 0x30
	JmpJSET = 0x40

	SrcK = 0x00
	SrcX = 0x08

	RetK = 0x00
	RetX = 0x08
	RetA = 0x10

	MiscTAX = 0x00
	MiscTXA = 0x80
)

// MaxInstructions is BPF_MAXINSNS, the kernel's limit on a filter's length.
const MaxInstructions = 4096

// MemWords is BPF_MEMWORDS, the number of scratch memory cells.
const MemWords = 16

// Instruction is one struct sock_filter.
type Instruction struct {
	Op uint16
	Jt uint8
	Jf uint8
	K  uint32
}

// Class returns the instruction class (BPF_CLASS).
func (i Instruction) Class() uint16 { return i.Op & 0x07 }

// Convenience constructors for the instructions seccomp filters use.

// LoadAbs is `ld [k]`: A = 32-bit word of seccomp_data at offset k.
func LoadAbs(off uint32) Instruction { return Instruction{Op: ClassLD | SizeW | ModeABS, K: off} }

// Jump builds a conditional jump `op k, jt, jf` (op one of JmpJEQ, JmpJGT,
// JmpJGE, JmpJSET) comparing A with k.
func Jump(op uint16, k uint32, jt, jf uint8) Instruction {
	return Instruction{Op: ClassJMP | op | SrcK, Jt: jt, Jf: jf, K: k}
}

// JumpAlways is `ja k`.
func JumpAlways(k uint32) Instruction { return Instruction{Op: ClassJMP | JmpJA, K: k} }

// Ret is `ret k`.
func Ret(k uint32) Instruction { return Instruction{Op: ClassRET | RetK, K: k} }

// AluK is `op A, k` for the ALU operations.
func AluK(op uint16, k uint32) Instruction { return Instruction{Op: ClassALU | op | SrcK, K: k} }

// Program is a classic BPF program.
type Program []Instruction

// Offsets into struct seccomp_data.
const (
	OffNr                 = 0
	OffArch               = 4
	OffInstructionPointer = 8
	OffArgs               = 16
	SeccompDataSize       = 64
)

// ArgLow and ArgHigh return the seccomp_data offsets of the low and high
// 32-bit words of argument i, which depend on the byte order of the ABI.
func ArgLow(i int, bigEndian bool) uint32 {
	if bigEndian {
		return OffArgs + uint32(i)*8 + 4
	}
	return OffArgs + uint32(i)*8
}

// ArgHigh: see ArgLow.
func ArgHigh(i int, bigEndian bool) uint32 {
	if bigEndian {
		return OffArgs + uint32(i)*8
	}
	return OffArgs + uint32(i)*8 + 4
}

// ErrTooLong is wrapped by the *Error for programs over MaxInstructions.
var ErrTooLong = errors.New("program longer than the kernel's 4096 instructions")

// ErrInvalid is wrapped by every *Error about a malformed program.
var ErrInvalid = errors.New("invalid BPF program")

// Error is a problem at one instruction of a program.
type Error struct {
	PC  int
	Msg string
	// Err is a more specific sentinel (ErrTooLong), or nil.
	Err error
}

func (e *Error) Error() string { return fmt.Sprintf("bpf: pc %d: %s", e.PC, e.Msg) }

// Unwrap makes errors.Is(err, ErrInvalid) true, and errors.Is(err, e.Err).
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalid, e.Err}
	}
	return []error{ErrInvalid}
}

// ByteOrder returns the byte order of raw filters for an ABI.
func ByteOrder(bigEndian bool) binary.ByteOrder {
	if bigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// Encode returns the raw struct sock_filter array, 8 bytes per instruction,
// in the given byte order (the target's, as the kernel reads it natively).
func (p Program) Encode(order binary.ByteOrder) []byte {
	out := make([]byte, 8*len(p))
	for i, ins := range p {
		b := out[8*i:]
		order.PutUint16(b[0:], ins.Op)
		b[2] = ins.Jt
		b[3] = ins.Jf
		order.PutUint32(b[4:], ins.K)
	}
	return out
}

// Decode parses a raw struct sock_filter array.
func Decode(raw []byte, order binary.ByteOrder) (Program, error) {
	if len(raw)%8 != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not a whole number of 8-byte instructions", ErrInvalid, len(raw))
	}
	p := make(Program, len(raw)/8)
	for i := range p {
		b := raw[8*i:]
		p[i] = Instruction{Op: order.Uint16(b[0:]), Jt: b[2], Jf: b[3], K: order.Uint32(b[4:])}
	}
	return p, nil
}
