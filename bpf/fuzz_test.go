package bpf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"

	xbpf "golang.org/x/net/bpf"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/syscalls"
)

// genOps are the opcodes genProgram draws from: every one seccomp allows.
var genOps = []uint16{
	opLdAbs, opLdAbs, opLdAbs, opLdLen, opLdxLen, opLdImm, opLdxImm, opLdMem, opLdxMem, opSt, opStx,
	opTax, opTxa, opAluNeg, opRetK, opRetA, opJa,
	ClassALU | AluADD, ClassALU | AluSUB, ClassALU | AluMUL, ClassALU | AluDIV, ClassALU | AluAND,
	ClassALU | AluOR, ClassALU | AluXOR, ClassALU | AluLSH, ClassALU | AluRSH,
	ClassALU | AluADD | SrcX, ClassALU | AluSUB | SrcX, ClassALU | AluMUL | SrcX, ClassALU | AluDIV | SrcX,
	ClassALU | AluAND | SrcX, ClassALU | AluOR | SrcX, ClassALU | AluXOR | SrcX,
	ClassALU | AluLSH | SrcX, ClassALU | AluRSH | SrcX,
	ClassJMP | JmpJEQ, ClassJMP | JmpJGT, ClassJMP | JmpJGE, ClassJMP | JmpJSET,
	ClassJMP | JmpJEQ, ClassJMP | JmpJGT, ClassJMP | JmpJGE, ClassJMP | JmpJSET,
	ClassJMP | JmpJEQ | SrcX, ClassJMP | JmpJGT | SrcX, ClassJMP | JmpJGE | SrcX, ClassJMP | JmpJSET | SrcX,
}

// genProgram turns fuzz bytes into a program Validate almost always
// accepts: 8 bytes per instruction (opcode choice, jt, jf, -, k), jumps
// folded into the program, loads aligned, and when it reads scratch memory
// a prologue that stores every cell. Fields an instruction does not use
// are zero, so the readable form says everything. forXNet leaves out what
// golang.org/x/net/bpf's VM does differently from the kernel: NegateA
// (not implemented), `ldx len` (decoded as a load into A) and shifts by X
// (Go's shift semantics, where the kernel masks the count to 5 bits).
func genProgram(b []byte, forXNet bool) Program {
	n := len(b) / 8
	if n > 200 {
		n = 200
	}
	body := make(Program, 0, n+1)
	usesMem := false
	for i := 0; i < n; i++ {
		c := b[8*i : 8*i+8]
		op := genOps[int(c[0])%len(genOps)]
		jt, jf, k := c[1], c[2], binary.LittleEndian.Uint32(c[4:])
		if forXNet {
			switch op {
			case opAluNeg:
				op = opTxa
			case opLdxLen:
				op = opLdxImm
			case ClassALU | AluLSH | SrcX, ClassALU | AluRSH | SrcX:
				op &^= SrcX
			}
		}
		left := n - i // instructions after this one, the final ret included
		ins := Instruction{Op: op}
		switch {
		case op == opLdAbs:
			ins.K = k % 16 * 4
		case op == opLdImm || op == opLdxImm || op == opRetK:
			ins.K = k
		case op == opLdMem || op == opLdxMem || op == opSt || op == opStx:
			ins.K = k % MemWords
			usesMem = usesMem || op == opLdMem || op == opLdxMem
		case op == opJa:
			ins.K = k % uint32(left)
		case isCondJump(op):
			ins.Jt, ins.Jf = uint8(int(jt)%min(left, 256)), uint8(int(jf)%min(left, 256))
			if op&SrcX == 0 {
				ins.K = k
			}
		case op&0x07 == ClassALU && op&SrcX == 0 && op != opAluNeg:
			ins.K = k
			switch op & 0xf0 {
			case AluDIV:
				ins.K |= 1 << (k % 32) // never zero
			case AluLSH, AluRSH:
				ins.K = k % 32
			}
		}
		body = append(body, ins)
	}
	last := Ret(retAllow)
	if len(b) > 0 && b[0]&1 == 1 {
		last = Instruction{Op: opRetA}
	}
	body = append(body, last)
	if !usesMem {
		return body
	}
	p := make(Program, 0, MemWords+len(body))
	for i := uint32(0); i < MemWords; i++ {
		p = append(p, Instruction{Op: opSt, K: i})
	}
	return append(p, body...)
}

// genData turns fuzz bytes into seccomp_data.
func genData(b []byte) Data {
	var w [16]uint32
	for i := range w {
		if len(b) >= 4*i+4 {
			w[i] = binary.LittleEndian.Uint32(b[4*i:])
		}
	}
	d := Data{Nr: w[0], Arch: w[1], InstructionPointer: uint64(w[3])<<32 | uint64(w[2])}
	for i := range d.Args {
		d.Args[i] = uint64(w[5+2*i])<<32 | uint64(w[4+2*i])
	}
	return d
}

func seedPrograms(f *testing.F) [][]byte {
	var out [][]byte
	for _, g := range goldenPrograms(f) {
		out = append(out, g.prog.Encode(binary.LittleEndian))
	}
	out = append(out, everyOpcode.Encode(binary.LittleEndian), []byte{})
	return out
}

// FuzzRun: Run never panics; a program Validate accepts never fails.
func FuzzRun(f *testing.F) {
	for _, s := range seedPrograms(f) {
		f.Add(s, []byte{1, 2, 3, 4, 0x3e, 0, 0, 0xc0}, false)
	}
	f.Fuzz(func(t *testing.T, code, data []byte, big bool) {
		d := genData(data)
		for _, p := range []Program{decodeAny(code), genProgram(code, false)} {
			res, err := Run(p, &d, big, true)
			valid := Validate(p) == nil
			if valid && err != nil {
				t.Fatalf("Run of a valid program failed: %v\n%s", err, p)
			}
			if err == nil && (res.Steps != len(res.Trace) || res.Steps > len(p)) {
				t.Fatalf("steps %d, trace %d, program %d", res.Steps, len(res.Trace), len(p))
			}
			var e *Error
			if err != nil && !errors.As(err, &e) {
				t.Fatalf("Run error %v is not an *Error", err)
			}
			CacheCheck(p, d.Arch, d.Nr)
		}
	})
}

func decodeAny(b []byte) Program {
	p, _ := Decode(b[:len(b)/8*8], binary.LittleEndian)
	return p
}

// FuzzDecode: Decode accepts exactly the whole numbers of instructions,
// and Encode gives the bytes back.
func FuzzDecode(f *testing.F) {
	for _, s := range seedPrograms(f) {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Add([]byte{1, 2, 3}, false)
	f.Fuzz(func(t *testing.T, raw []byte, big bool) {
		p, err := Decode(raw, ByteOrder(big))
		if len(raw)%8 != 0 {
			if err == nil || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode(%d bytes) = %v, want ErrInvalid", len(raw), err)
			}
			return
		}
		if err != nil || len(p) != len(raw)/8 {
			t.Fatalf("Decode(%d bytes) = %d instructions, %v", len(raw), len(p), err)
		}
		if back := p.Encode(ByteOrder(big)); !bytes.Equal(back, raw) {
			t.Fatalf("Encode(Decode(b)) != b")
		}
	})
}

// fuzzArches are the ABIs FuzzRoundTrip disassembles for (nil: none).
var fuzzArches = func() []*syscalls.Arch {
	out := []*syscalls.Arch{nil}
	return append(out, syscalls.Arches()...)
}()

// FuzzRoundTrip: the listing of any program assembles back exactly, and so
// does the readable form alone of a canonical program.
func FuzzRoundTrip(f *testing.F) {
	for i, s := range seedPrograms(f) {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, code []byte, arch uint8) {
		opts := Options{Arch: fuzzArches[int(arch)%len(fuzzArches)]}
		for _, p := range []Program{decodeAny(code), genProgram(code, false)} {
			l := Disassemble(p, opts)
			back, err := Assemble(l.String(), opts)
			if err != nil || !equalPrograms(back, p) {
				t.Fatalf("listing round trip: %v\n%s", err, l)
			}
		}
		p := genProgram(code, false)
		text := Disassemble(p, opts).Text()
		back, err := Assemble(text, opts)
		if err != nil || !equalPrograms(back, p) {
			t.Fatalf("readable round trip: %v\n%s\ngot\n%s", err, text, Disassemble(back, opts))
		}
	})
}

// xnetRun runs p on golang.org/x/net/bpf's VM, which loads big-endian
// words from a packet: seccomp_data is laid out so that its loads see the
// words the kernel would see on an ABI of the given byte order.
func xnetRun(t testing.TB, p Program, d *Data, big bool) uint32 {
	raw := make([]xbpf.RawInstruction, len(p))
	for i, ins := range p {
		raw[i] = xbpf.RawInstruction{Op: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	insns, ok := xbpf.Disassemble(raw)
	if !ok {
		t.Fatalf("x/net/bpf cannot decode\n%s", p)
	}
	vm, err := xbpf.NewVM(insns)
	if err != nil {
		t.Fatalf("x/net/bpf refuses a valid program: %v\n%s", err, p)
	}
	pkt := make([]byte, SeccompDataSize)
	for off := uint32(0); off < SeccompDataSize; off += 4 {
		w, _ := d.word(off, big)
		binary.BigEndian.PutUint32(pkt[off:], w)
	}
	out, err := vm.Run(pkt)
	if err != nil {
		t.Fatalf("x/net/bpf: %v\n%s", err, p)
	}
	return uint32(out)
}

// FuzzRunMatchesXNetBPF compares Run with golang.org/x/net/bpf's VM on
// random valid programs.
func FuzzRunMatchesXNetBPF(f *testing.F) {
	for _, s := range seedPrograms(f) {
		f.Add(s, []byte{0, 0, 0, 0, 0x3e, 0, 0, 0xc0}, false)
	}
	f.Fuzz(func(t *testing.T, code, data []byte, big bool) {
		p := genProgram(code, true)
		if Validate(p) != nil {
			return
		}
		d := genData(data)
		res, err := Run(p, &d, big, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := xnetRun(t, p, &d, big); got != res.Ret {
			t.Fatalf("Run = %#x, x/net/bpf = %#x\n%s", res.Ret, got, p)
		}
	})
}

// TestRandomProgramsMatchXNetBPF runs the comparison on a few thousand
// random programs in every test run, logging its seed (SYSFENCE_SEED
// repeats one).
func TestRandomProgramsMatchXNetBPF(t *testing.T) {
	seed := testenv.Seed(t)
	r := rand.New(rand.NewPCG(seed, 0))
	valid := 0
	for i := 0; i < 3000; i++ {
		code := make([]byte, 8*(1+r.IntN(40)))
		for j := range code {
			code[j] = byte(r.Uint32())
		}
		data := make([]byte, 64)
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		big := r.IntN(2) == 1
		p := genProgram(code, true)
		if Validate(p) != nil {
			continue
		}
		valid++
		d := genData(data)
		res, err := Run(p, &d, big, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := xnetRun(t, p, &d, big); got != res.Ret {
			t.Fatalf("program %d: Run = %#x, x/net/bpf = %#x\n%s", i, res.Ret, got, p)
		}
		opts := Options{Arch: fuzzArches[r.IntN(len(fuzzArches))]}
		back, err := Assemble(Disassemble(p, opts).Text(), opts)
		if err != nil || !equalPrograms(back, p) {
			t.Fatalf("program %d: readable round trip: %v\n%s", i, err, Disassemble(p, opts))
		}
	}
	if valid < 1000 {
		t.Errorf("only %d of 3000 random programs were valid", valid)
	}
}
