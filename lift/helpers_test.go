package lift

import (
	"math/rand/v2"
	"testing"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/internal/difftest"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

func arch(t testing.TB, name string) *syscalls.Arch {
	t.Helper()
	a, err := syscalls.ArchByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// docker builds Docker's default profile for a target as `sysfence
// compile` does.
func docker(t testing.TB, target *syscalls.Arch, caps []string, noENOSYS bool) *build.Result {
	t.Helper()
	res, err := build.Build(build.Request{Ref: "docker-default", Arch: target, Caps: caps, NoENOSYS: noENOSYS})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// edgeInputs are inputs aimed at the places a filter can go wrong,
// without looking at the filter: every architecture token and a few
// foreign ones, numbers near the tables' ends and the x32 bit, and
// argument values at word boundaries.
func randomInput(r *rand.Rand, tokens []uint32) bpf.Data {
	var d bpf.Data
	switch r.IntN(8) {
	case 0:
		d.Arch = r.Uint32()
	case 1:
		as := syscalls.Arches()
		d.Arch = as[r.IntN(len(as))].AuditArch
	default:
		d.Arch = tokens[r.IntN(len(tokens))]
	}
	switch r.IntN(10) {
	case 0:
		d.Nr = r.Uint32()
	case 1:
		d.Nr = []uint32{0, 1, 0xffffffff, 0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000, 0xbfffffff, 0xc0000000}[r.IntN(9)]
	default:
		d.Nr = uint32(r.IntN(600))
		if r.IntN(4) == 0 {
			d.Nr += []uint32{4000, 5000, 6000}[r.IntN(3)]
		}
	}
	if r.IntN(4) == 0 {
		d.Nr ^= syscalls.X32SyscallBit
	}
	for i := range d.Args {
		switch r.IntN(5) {
		case 0:
			d.Args[i] = r.Uint64()
		case 1:
			d.Args[i] = uint64(r.IntN(64))
		case 2:
			d.Args[i] = difftest.Edges[r.IntN(len(difftest.Edges))]
		case 3:
			d.Args[i] = uint64(r.Uint32())
		}
	}
	if r.IntN(8) == 0 {
		d.InstructionPointer = r.Uint64()
	}
	return d
}

// tokensOf lists the AUDIT_ARCH tokens of a policy.
func tokensOf(p *policy.Policy) []uint32 {
	var out []uint32
	for _, ap := range p.Arches {
		out = append(out, ap.Arch.AuditArch)
	}
	return out
}

// agree checks f against the emulator on n inputs (random ones, and
// difftest's boundary inputs for p when p is not nil); it returns how
// many it checked.
func agree(t testing.TB, f Func, prog bpf.Program, bigEndian bool, p *policy.Policy, tokens []uint32, r *rand.Rand, n int) int {
	t.Helper()
	var inputs []bpf.Data
	if p != nil {
		for _, in := range difftest.Inputs(r, p, n/2) {
			inputs = append(inputs, bpf.Data{Arch: in.Arch, Nr: in.Nr, Args: in.Args})
		}
	}
	for len(inputs) < n {
		inputs = append(inputs, randomInput(r, tokens))
	}
	for i := range inputs {
		d := &inputs[i]
		want, err := bpf.Run(prog, d, bigEndian, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Eval(d); got != uint64(want.Ret) {
			t.Fatalf("arch %#x nr %#x args %#x ip %#x: lifted %#x, emulator %#x", d.Arch, d.Nr, d.Args, d.InstructionPointer, got, want.Ret)
		}
	}
	return len(inputs)
}
