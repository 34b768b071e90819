package compile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

func mustCompile(t testing.TB, p *policy.Policy) *Program {
	t.Helper()
	prog, err := Compile(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := bpf.Validate(prog.Filter); err != nil {
		t.Fatalf("the kernel would refuse the program: %v", err)
	}
	return prog
}

// agree runs the filter on d and compares with Decide.
func agree(t testing.TB, p *policy.Policy, prog bpf.Program, d *bpf.Data) bool {
	t.Helper()
	want := p.Decide(d.Arch, d.Nr, &d.Args)
	got := run(t, prog, d)
	if got.Ret != uint32(want.Action) {
		t.Errorf("arch=%#x nr=%#x args=%#x: filter says %v (%#x), Decide says %v (%#x, why %d)",
			d.Arch, d.Nr, d.Args, policy.Action(got.Ret), got.Ret, want.Action, uint32(want.Action), want.Why)
		return false
	}
	return true
}

func arch(t testing.TB, name string) *syscalls.Arch {
	t.Helper()
	a, err := syscalls.ArchByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func nr(t testing.TB, a *syscalls.Arch, name string) uint32 {
	t.Helper()
	n, ok := a.Number(name)
	if !ok {
		t.Fatalf("%s has no %s", a.Name, name)
	}
	return n
}

// edgeValues are argument values around v in both words.
func edgeValues(v uint64) []uint64 {
	out := []uint64{v, v + 1, v - 1, v ^ 1<<32, v ^ 1<<63, v &^ (1<<32 - 1), v & (1<<32 - 1), 0, ^uint64(0)}
	for _, d := range []uint64{1 << 31, 1 << 32, 1<<32 - 1, 1 << 33} {
		out = append(out, v+d, v-d)
	}
	return out
}

// TestOperators checks every operator on 64- and 32-bit ABIs of both byte
// orders, at the edges of both words.
func TestOperators(t *testing.T) {
	values := []uint64{0, 1, 5, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x1_0000_0005,
		0x8000000000000000, 0xffffffff00000000, 0xfffffffffffffffe, 0xffffffffffffffff}
	masks := []uint64{0, 1, 0xff, 0xf0, 0xffffffff, 0xffffffff00000000, 0xff000000000000ff, 0xfffffffffffffff0, ^uint64(0)}
	for _, an := range []string{"x86_64", "x86", "s390x", "mips", "x32"} {
		a := arch(t, an)
		for op := policy.OpEq; op <= policy.OpMaskedEq; op++ {
			t.Run(fmt.Sprintf("arch=%s/op=%s", an, strings.TrimPrefix(op.String(), "SCMP_CMP_")), func(t *testing.T) {
				ms := []uint64{0}
				if op == policy.OpMaskedEq {
					ms = masks
				}
				for _, v := range values {
					for _, m := range ms {
						for _, argIdx := range []uint8{0, 5} {
							p := &policy.Policy{
								DefaultAction: policy.Errno(1), BadArch: policy.ActKillProcess,
								Arches: []*policy.ArchPolicy{{Arch: a, Rules: []policy.Rule{
									{Nr: a.NrBase + 3, Action: policy.ActAllow, Conds: []policy.Cond{{Arg: argIdx, Op: op, Value: v, Mask: m}}},
								}}},
							}
							prog := mustCompile(t, p).Filter
							for _, x := range edgeValues(v) {
								d := bpf.Data{Arch: a.AuditArch, Nr: a.NrBase + 3}
								d.Args[argIdx] = x
								if !agree(t, p, prog, &d) {
									t.Fatalf("value %#x mask %#x arg %d", v, m, argIdx)
								}
							}
						}
					}
				}
			})
		}
	}
}

// TestX86Family checks the AUDIT_ARCH_X86_64 sharing rules for every
// combination of x86_64, x32 and x86, with and without ENOSYS.
func TestX86Family(t *testing.T) {
	x64, x32, x86 := arch(t, "x86_64"), arch(t, "x32"), arch(t, "x86")
	combos := [][]*syscalls.Arch{{x64}, {x32}, {x64, x32}, {x32, x64}, {x64, x86}, {x86, x64, x32}, {x32, x86}}
	nrs := []uint32{0, 1, 2, 41, 56, 59, 334, 335, 0x3fffffff, 0x40000000, 0x40000001, 0x40000029,
		0x40000200, 0x40000223, 0x40000224, 0x7fffffff, 0x80000000, 0x80000001, 0xbfffffff, 0xc0000000,
		0xfffffffe, 0xffffffff}
	for _, combo := range combos {
		for _, enosys := range []bool{false, true} {
			var names []string
			for _, a := range combo {
				names = append(names, a.Name)
			}
			t.Run(fmt.Sprintf("arches=%s/enosys=%v", strings.Join(names, "+"), enosys), func(t *testing.T) {
				p := &policy.Policy{DefaultAction: policy.Errno(1), BadArch: policy.ActKillThread, ENOSYS: enosys}
				for _, a := range combo {
					ap := &policy.ArchPolicy{Arch: a}
					for _, n := range []string{"read", "write", "socket", "execve", "exit_group"} {
						if v, ok := a.Number(n); ok {
							r := policy.Rule{Nr: v, Action: policy.ActAllow}
							if n == "socket" {
								r.Conds = []policy.Cond{{Arg: 0, Op: policy.OpLe, Value: 10}}
							}
							ap.Rules = append(ap.Rules, r)
							ap.MaxNr = max(ap.MaxNr, v)
						}
					}
					p.Arches = append(p.Arches, ap)
				}
				prog := mustCompile(t, p).Filter
				for _, a := range []*syscalls.Arch{x64, x86} {
					for _, n := range nrs {
						for _, arg := range []uint64{0, 10, 11, 1 << 32} {
							d := bpf.Data{Arch: a.AuditArch, Nr: n, Args: [6]uint64{arg}}
							agree(t, p, prog, &d)
						}
					}
				}
				d := bpf.Data{Arch: 0x40000028, Nr: 1} // aarch64: not listed
				agree(t, p, prog, &d)
			})
		}
	}
}

// TestRulesSemantics covers Decide's rule order: first unconditional
// wins, same-action OR, highest precedence among differing actions, ties
// by tighter comparison (rule 5) and then profile order, trailing
// default-action rules, impossible and
// tautological conditions, masked equality masking the datum.
func TestRulesSemantics(t *testing.T) {
	a := arch(t, "x86_64")
	c := func(arg uint8, op policy.Op, v uint64) policy.Cond { return policy.Cond{Arg: arg, Op: op, Value: v} }
	cases := []struct {
		name  string
		rules []policy.Rule
	}{
		{"uncond-after-cond", []policy.Rule{{Nr: 1, Action: policy.ActAllow, Conds: []policy.Cond{c(0, policy.OpEq, 1)}}, {Nr: 1, Action: policy.ActTrap}}},
		{"first-uncond", []policy.Rule{{Nr: 1, Action: policy.ActLog}, {Nr: 1, Action: policy.ActTrap}}},
		{"same-action-or", []policy.Rule{{Nr: 1, Action: policy.ActAllow, Conds: []policy.Cond{c(0, policy.OpEq, 1)}}, {Nr: 1, Action: policy.ActAllow, Conds: []policy.Cond{c(1, policy.OpEq, 2)}}}},
		{"precedence", []policy.Rule{{Nr: 1, Action: policy.ActAllow, Conds: []policy.Cond{c(0, policy.OpLe, 10)}}, {Nr: 1, Action: policy.ActKillProcess, Conds: []policy.Cond{c(0, policy.OpGe, 5)}}, {Nr: 1, Action: policy.ActTrap, Conds: []policy.Cond{c(0, policy.OpGe, 3)}}}},
		{"errno-tie-first", []policy.Rule{{Nr: 1, Action: policy.Errno(2), Conds: []policy.Cond{c(0, policy.OpLe, 10)}}, {Nr: 1, Action: policy.Errno(3), Conds: []policy.Cond{c(0, policy.OpGe, 5)}}, {Nr: 1, Action: policy.Errno(2), Conds: []policy.Cond{c(0, policy.OpGe, 20)}}}},
		{"default-action-rule-masks-lower", []policy.Rule{{Nr: 1, Action: policy.Errno(1), Conds: []policy.Cond{c(0, policy.OpEq, 7)}}, {Nr: 1, Action: policy.ActAllow, Conds: []policy.Cond{c(0, policy.OpLe, 10)}}}},
		{"impossible", []policy.Rule{{Nr: 1, Action: policy.ActAllow, Conds: []policy.Cond{c(0, policy.OpLt, 0)}}, {Nr: 2, Action: policy.ActAllow, Conds: []policy.Cond{c(0, policy.OpGt, 5), c(0, policy.OpLt, 6)}}}},
		{"tautology", []policy.Rule{{Nr: 1, Action: policy.ActAllow, Conds: []policy.Cond{c(0, policy.OpGe, 0)}}, {Nr: 1, Action: policy.ActTrap}}},
		{"ne-or-eq", []policy.Rule{{Nr: 1, Action: policy.ActAllow, Conds: []policy.Cond{c(2, policy.OpNe, 5)}}, {Nr: 1, Action: policy.ActAllow, Conds: []policy.Cond{c(2, policy.OpEq, 5)}}}},
		{"masked-datum", []policy.Rule{{Nr: 1, Action: policy.ActAllow, Conds: []policy.Cond{{Arg: 0, Op: policy.OpMaskedEq, Mask: 0xf0, Value: 0x1f}}}}},
		{"masked-empty", []policy.Rule{{Nr: 1, Action: policy.ActAllow, Conds: []policy.Cond{{Arg: 0, Op: policy.OpMaskedEq, Mask: 0, Value: 3}}}}},
		{"masked-prefix", []policy.Rule{{Nr: 1, Action: policy.ActAllow, Conds: []policy.Cond{{Arg: 0, Op: policy.OpMaskedEq, Mask: 0xffffffffffffff00, Value: 0x1234}}}}},
		{"and-across-args", []policy.Rule{{Nr: 1, Action: policy.ActAllow, Conds: []policy.Cond{c(0, policy.OpEq, 1), c(1, policy.OpNe, 2), {Arg: 2, Op: policy.OpMaskedEq, Mask: 0x0f0f, Value: 0x0101}}}}},
		{"nr-zero-and-max", []policy.Rule{{Nr: 0, Action: policy.ActAllow, Conds: []policy.Cond{c(0, policy.OpEq, 0)}}, {Nr: 0xffffffff, Action: policy.ActTrap}}},
	}
	for _, tc := range cases {
		t.Run("case="+tc.name, func(t *testing.T) {
			p := &policy.Policy{DefaultAction: policy.Errno(1), BadArch: policy.ActKillThread,
				Arches: []*policy.ArchPolicy{{Arch: a, Rules: tc.rules}}}
			prog := mustCompile(t, p).Filter
			for _, n := range []uint32{0, 1, 2, 3, 0xffffffff} {
				for _, x := range []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 19, 20, 0x10, 0x1f, 0x11, 0x1234, 0x12ff, 0x1300, 0x1_0000_0005, ^uint64(0)} {
					for _, y := range []uint64{0, 2, 0x0101, 0x0f0f, 0xf1f1} {
						d := bpf.Data{Arch: a.AuditArch, Nr: n, Args: [6]uint64{x, y, y}}
						agree(t, p, prog, &d)
					}
				}
			}
		})
	}
}

// TestTightestComparisonWins holds the filter to Decide's rule 5 (same
// action kind, other data: the tighter comparison wins) with the answers
// libseccomp's regression test 43-sim-a2_order pins, on a 64- and a 32-bit
// ABI, and to Decide around every boundary of rule sets where profile
// order and tightness disagree.
func TestTightestComparisonWins(t *testing.T) {
	c := func(arg uint8, op policy.Op, v uint64) policy.Cond { return policy.Cond{Arg: arg, Op: op, Value: v} }
	// 43-sim-a2_order, with the rules in an order that makes the first
	// matching one the loosest.
	var read, write []policy.Rule
	read = append(read, policy.Rule{Action: policy.ActAllow, Conds: []policy.Cond{c(2, policy.OpLe, 64)}})
	write = append(write, policy.Rule{Action: policy.ActAllow, Conds: []policy.Cond{c(2, policy.OpGe, 32768)}})
	for i := range 8 {
		read = append(read, policy.Rule{Action: policy.Errno(uint16(5 + i)), Conds: []policy.Cond{c(2, policy.OpGt, 128<<i)}})
		write = append(write, policy.Rule{Action: policy.Errno(uint16(12 - i)), Conds: []policy.Cond{c(2, policy.OpLt, 16384>>i)}})
	}
	for _, an := range []string{"x86_64", "x86", "s390x"} {
		t.Run("arch="+an, func(t *testing.T) {
			a := arch(t, an)
			rn, wn := nr(t, a, "read"), nr(t, a, "write")
			var rules []policy.Rule
			for _, r := range read {
				r.Nr = rn
				rules = append(rules, r)
			}
			for _, r := range write {
				r.Nr = wn
				rules = append(rules, r)
			}
			p := &policy.Policy{DefaultAction: policy.ActKillThread, BadArch: policy.ActKillThread,
				Arches: []*policy.ArchPolicy{{Arch: a, Rules: rules}}}
			prog := mustCompile(t, p).Filter
			for _, tc := range []struct {
				nr   uint32
				a2   uint64
				want policy.Action
			}{
				{rn, 64, policy.ActAllow}, {rn, 128, policy.ActKillThread}, {rn, 129, policy.Errno(5)}, {rn, 0x101, policy.Errno(6)},
				{rn, 512, policy.Errno(6)}, {rn, 513, policy.Errno(7)}, {rn, 16384, policy.Errno(11)}, {rn, 16385, policy.Errno(12)},
				{wn, 65, policy.Errno(5)}, {wn, 128, policy.Errno(6)}, {wn, 8193, policy.Errno(12)}, {wn, 16384, policy.ActKillThread},
				{wn, 32768, policy.ActAllow},
			} {
				d := bpf.Data{Arch: a.AuditArch, Nr: tc.nr, Args: [6]uint64{4, 0x856B008, tc.a2}}
				if got := policy.Action(run(t, prog, &d).Ret); got != tc.want {
					t.Errorf("nr %d, a2=%d: filter says %v, want %v", tc.nr, tc.a2, got, tc.want)
				}
			}
			for _, r := range rules {
				for _, v := range edgeValues(r.Conds[0].Value) {
					d := bpf.Data{Arch: a.AuditArch, Nr: r.Nr, Args: [6]uint64{4, 0x856B008, v}}
					agree(t, p, prog, &d)
				}
			}
		})
	}
	// Tightening among rules that share other conditions, 64-bit values
	// with a shared high word, and equal values (profile order).
	a := arch(t, "x86_64")
	sets := map[string][]policy.Rule{
		"prefix": {
			{Nr: 1, Action: policy.Errno(5), Conds: []policy.Cond{c(0, policy.OpEq, 1), c(2, policy.OpGt, 10)}},
			{Nr: 1, Action: policy.Errno(6), Conds: []policy.Cond{c(0, policy.OpEq, 1), c(2, policy.OpGe, 20)}},
			{Nr: 1, Action: policy.Errno(7), Conds: []policy.Cond{c(0, policy.OpEq, 2), c(2, policy.OpGt, 30)}},
			{Nr: 1, Action: policy.Errno(8), Conds: []policy.Cond{c(0, policy.OpEq, 1), c(2, policy.OpGt, 40)}},
		},
		"two-arguments": {
			{Nr: 1, Action: policy.Trace(1), Conds: []policy.Cond{c(1, policy.OpLt, 100), c(2, policy.OpGt, 10)}},
			{Nr: 1, Action: policy.Trace(2), Conds: []policy.Cond{c(1, policy.OpLt, 50), c(2, policy.OpGt, 10)}},
			{Nr: 1, Action: policy.Trace(3), Conds: []policy.Cond{c(1, policy.OpLt, 100), c(2, policy.OpGt, 20)}},
		},
		"high-word": {
			{Nr: 1, Action: policy.Errno(5), Conds: []policy.Cond{c(2, policy.OpLt, 0x1_00000005)}},
			{Nr: 1, Action: policy.Errno(6), Conds: []policy.Cond{c(2, policy.OpLt, 0x1_00000000)}},
			{Nr: 1, Action: policy.Errno(7), Conds: []policy.Cond{c(2, policy.OpLe, 0x0_80000000)}},
		},
		"equal-values": {
			{Nr: 1, Action: policy.Errno(5), Conds: []policy.Cond{c(2, policy.OpGe, 10)}},
			{Nr: 1, Action: policy.Errno(6), Conds: []policy.Cond{c(2, policy.OpGt, 10)}},
			{Nr: 1, Action: policy.Errno(7), Conds: []policy.Cond{c(2, policy.OpGt, 9)}},
		},
	}
	for name, rules := range sets {
		t.Run("set="+name, func(t *testing.T) {
			p := &policy.Policy{DefaultAction: policy.ActAllow, BadArch: policy.ActKillThread,
				Arches: []*policy.ArchPolicy{{Arch: a, Rules: rules}}}
			prog := mustCompile(t, p).Filter
			var vals [3][]uint64
			for _, r := range rules {
				for _, cd := range r.Conds {
					vals[cd.Arg] = append(vals[cd.Arg], edgeValues(cd.Value)...)
				}
			}
			for i := range vals {
				if len(vals[i]) == 0 {
					vals[i] = []uint64{0}
				}
			}
			for _, x := range vals[0] {
				for _, y := range vals[1] {
					for _, z := range vals[2] {
						d := bpf.Data{Arch: a.AuditArch, Nr: 1, Args: [6]uint64{x, y, z}}
						if !agree(t, p, prog, &d) {
							t.FailNow()
						}
					}
				}
			}
		})
	}
}

// TestENOSYS checks runc's rule, its permissive-default exception and
// s390's number 0.
func TestENOSYS(t *testing.T) {
	for _, an := range []string{"x86_64", "s390x", "s390", "mips"} {
		for _, def := range []policy.Action{policy.Errno(1), policy.ActAllow, policy.ActLog, policy.ActKillProcess} {
			t.Run(fmt.Sprintf("arch=%s/default=%v", an, def), func(t *testing.T) {
				a := arch(t, an)
				read := nr(t, a, "read")
				p := &policy.Policy{DefaultAction: def, BadArch: policy.ActKillThread, ENOSYS: true,
					Arches: []*policy.ArchPolicy{{Arch: a, MaxNr: read + 10, Rules: []policy.Rule{
						{Nr: read, Action: policy.ActTrap}, {Nr: 0, Action: policy.ActTrap},
						{Nr: read + 20, Action: policy.ActTrap}, {Nr: read + 10, Action: policy.Errno(1)}}}}}
				prog := mustCompile(t, p).Filter
				for _, n := range []uint32{0, 1, read - 1, read, read + 1, read + 9, read + 10, read + 11, read + 20, 0xffffffff} {
					d := bpf.Data{Arch: a.AuditArch, Nr: n}
					agree(t, p, prog, &d)
				}
			})
		}
	}
}

func TestDeterministic(t *testing.T) {
	p := dockerDefault(t, true)
	a := mustCompile(t, p).Filter.Encode(binary.LittleEndian)
	for range 3 {
		b := mustCompile(t, p).Filter.Encode(binary.LittleEndian)
		if !bytes.Equal(a, b) {
			t.Fatal("two compilations of the same policy differ")
		}
	}
}

// TestTooLong builds a policy whose filter cannot fit and checks the error.
func TestTooLong(t *testing.T) {
	a := arch(t, "x86_64")
	ap := &policy.ArchPolicy{Arch: a}
	for n := uint32(0); n < 450; n++ {
		for k := uint64(0); k < 3; k++ {
			ap.Rules = append(ap.Rules, policy.Rule{Nr: n, Action: policy.Errno(uint16(n%7 + 2)),
				Conds: []policy.Cond{{Arg: uint8(k), Op: policy.OpMaskedEq, Mask: 0x5555, Value: uint64(n)}}})
		}
	}
	p := &policy.Policy{DefaultAction: policy.ActAllow, BadArch: policy.ActKillThread, Arches: []*policy.ArchPolicy{ap}}
	_, err := Compile(p, Options{})
	var tl *TooLongError
	if !errors.Is(err, bpf.ErrTooLong) || !errors.As(err, &tl) {
		t.Fatalf("got %v, want a TooLongError", err)
	}
	if tl.Len <= bpf.MaxInstructions || !strings.Contains(err.Error(), strconv.Itoa(tl.Len-bpf.MaxInstructions)+" more than") {
		t.Fatalf("error does not say by how much: %v", err)
	}
	t.Log(err)
}

func TestInvalidPolicy(t *testing.T) {
	x64 := arch(t, "x86_64")
	cases := map[string]*policy.Policy{
		"nil":        nil,
		"no-arches":  {},
		"nil-arch":   {Arches: []*policy.ArchPolicy{{}}},
		"twice":      {Arches: []*policy.ArchPolicy{{Arch: x64}, {Arch: x64}}},
		"bad-arg":    {Arches: []*policy.ArchPolicy{{Arch: x64, Rules: []policy.Rule{{Nr: 1, Conds: []policy.Cond{{Arg: 6, Op: policy.OpEq}}}}}}},
		"bad-op":     {Arches: []*policy.ArchPolicy{{Arch: x64, Rules: []policy.Rule{{Nr: 1, Conds: []policy.Cond{{Arg: 1, Op: 0}}}}}}},
		"bad-op-big": {Arches: []*policy.ArchPolicy{{Arch: x64, Rules: []policy.Rule{{Nr: 1, Conds: []policy.Cond{{Arg: 1, Op: 9}}}}}}},
	}
	for name, p := range cases {
		t.Run("case="+name, func(t *testing.T) {
			_, err := Compile(p, Options{})
			var pe *PolicyError
			if !errors.Is(err, ErrInvalidPolicy) || !errors.As(err, &pe) {
				t.Fatalf("got %v, want a PolicyError", err)
			}
			t.Log(err)
		})
	}
}

// TestRandomPolicies is the seeded differential test against Decide.
// SYSFENCE_SEED reproduces a run.
func TestRandomPolicies(t *testing.T) {
	seed := testenv.Seed(t)
	src := prng{rand.New(rand.NewPCG(seed, 0x5f5fe4ce))}
	const policies, perPolicy = 1200, 100
	inputs, tooLong, maxLen, trampolined, jas, retCopies, tightened := 0, 0, 0, 0, 0, 0, 0
	for i := 0; i < policies; i++ {
		p := randPolicy(src)
		prog, err := Compile(p, Options{})
		if errors.Is(err, bpf.ErrTooLong) {
			tooLong++
			continue
		}
		if err != nil {
			t.Fatalf("policy %d: %v", i, err)
		}
		if err := bpf.Validate(prog.Filter); err != nil {
			t.Fatalf("policy %d (seed %d): the kernel would refuse the program: %v", i, seed, err)
		}
		maxLen = max(maxLen, len(prog.Filter))
		if len(prog.Filter) > 256 {
			trampolined++
		}
		rets := map[uint32]int{}
		for _, ins := range prog.Filter {
			switch {
			case ins.Op == bpf.ClassJMP|bpf.JmpJA:
				jas++
			case ins.Class() == bpf.ClassRET:
				if rets[ins.K]++; rets[ins.K] > 1 {
					retCopies++
				}
			}
		}
		for j := 0; j < perPolicy; j++ {
			d := randInput(src, p)
			inputs++
			if !agree(t, p, prog.Filter, &d) {
				t.Fatalf("policy %d (seed %d) disagrees", i, seed)
			}
			if tightenedFirst(p, &d) {
				tightened++
			}
		}
	}
	t.Logf("%d policies, %d inputs (%d decided by rule 5 against profile order), %d too long, %d over 256 instructions, longest %d, %d ja trampolines, %d ret copies",
		policies, inputs, tightened, tooLong, trampolined, maxLen, jas, retCopies)
	if inputs < 100000 {
		t.Fatalf("only %d inputs", inputs)
	}
	if tightened < 100 {
		t.Fatalf("only %d inputs where a tighter comparison beats the first matching rule: the generator no longer covers Decide's rule 5", tightened)
	}
	if trampolined == 0 || jas == 0 || retCopies == 0 {
		t.Fatal("no policy needed long jumps: the generator no longer covers trampolines")
	}
}

// FuzzCompile holds the compiler to Decide on policies and inputs decoded
// from the fuzzer's bytes.
func FuzzCompile(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"))
	r := rand.New(rand.NewPCG(1, 2))
	for range 8 {
		b := make([]byte, 300)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src := &bytesSource{b: data}
		p := randPolicy(src)
		prog, err := Compile(p, Options{Annotate: true})
		if errors.Is(err, bpf.ErrTooLong) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(prog.Notes) != len(prog.Filter) {
			t.Fatalf("%d notes for %d instructions", len(prog.Notes), len(prog.Filter))
		}
		if err := bpf.Validate(prog.Filter); err != nil {
			t.Fatalf("the kernel would refuse the program: %v", err)
		}
		for range 32 {
			d := randInput(src, p)
			if !agree(t, p, prog.Filter, &d) {
				t.FailNow()
			}
		}
	})
}

func TestNotes(t *testing.T) {
	p := dockerDefault(t, true)
	prog, err := Compile(p, Options{Annotate: true})
	if err != nil {
		t.Fatal(err)
	}
	plain := mustCompile(t, p)
	if !slices.Equal(prog.Filter, plain.Filter) {
		t.Fatal("annotating changed the program")
	}
	if len(prog.Notes) != len(prog.Filter) {
		t.Fatalf("%d notes for %d instructions", len(prog.Notes), len(prog.Filter))
	}
	kinds := map[NoteKind]int{}
	for pc, ins := range prog.Filter {
		n := prog.Notes[pc]
		kinds[n.Kind]++
		if ins.Class() == bpf.ClassRET && (n.Kind != NoteRet || uint32(n.Action) != ins.K) {
			t.Errorf("pc %d: ret %#x noted %q", pc, ins.K, n)
		}
		if n.Kind == NoteRet && ins.Class() != bpf.ClassRET {
			t.Errorf("pc %d: %q on a non-ret", pc, n)
		}
	}
	var sawSocket bool
	for _, n := range prog.Notes {
		if n.String() == "args of socket (x86_64)" {
			sawSocket = true
		}
	}
	if !sawSocket || kinds[NoteArch] == 0 || kinds[NoteFront] == 0 || kinds[NoteTree] == 0 {
		t.Errorf("missing notes: %v", kinds)
	}
	if plain.Notes != nil {
		t.Error("notes without Options.Annotate")
	}
}

// TestRandomCache checks the cache property on random policies, for every
// ABI (the kernel keeps bitmaps for some only, but the property is the
// compiler's): a syscall allowed whatever its arguments reaches `ret
// ALLOW` through instructions the kernel's cache emulation accepts, and
// whenever that emulation reaches a `ret` knowing only (arch, nr), Decide
// gives that answer for any arguments.
func TestRandomCache(t *testing.T) {
	seed := testenv.Seed(t)
	src := prng{rand.New(rand.NewPCG(seed, 0xcac4e))}
	checked, cached := 0, 0
	for i := 0; i < 300; i++ {
		p := randPolicy(src)
		prog, err := Compile(p, Options{})
		if errors.Is(err, bpf.ErrTooLong) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, ap := range p.Arches {
			var nrs []uint32
			for _, r := range ap.Rules {
				nrs = append(nrs, r.Nr-1, r.Nr, r.Nr+1)
			}
			nrs = append(nrs, 0, ap.MaxNr, ap.MaxNr+1, 0xffffffff)
			for _, n := range nrs {
				checked++
				var zero [6]uint64
				d := p.Decide(ap.Arch.AuditArch, n, &zero)
				free := d.Action == policy.ActAllow && d.Rule != nil && d.Rule.Unconditional(ap.Arch.Is64())
				e := bpf.CacheCheck(prog.Filter, ap.Arch.AuditArch, n)
				if free && !e.Cached {
					t.Fatalf("seed %d policy %d: %s nr %#x is allowed outright but not cached (gave up at pc %d)", seed, i, ap.Arch.Name, n, e.PC)
				}
				if !e.Const {
					continue
				}
				if e.Cached {
					cached++
				}
				for range 8 {
					in := randInput(src, p)
					in.Arch, in.Nr = ap.Arch.AuditArch, n
					if got := p.Decide(in.Arch, n, &in.Args).Action; uint32(got) != e.Ret {
						t.Fatalf("seed %d policy %d: %s nr %#x: the nr-only path returns %#x, Decide says %v for args %#x",
							seed, i, ap.Arch.Name, n, e.Ret, got, in.Args)
					}
				}
			}
		}
	}
	t.Logf("%d numbers checked, %d cached", checked, cached)
}

// TestValueSets checks searched value sets of every size (the exhaustive
// tree search below maxDP segments, the weight-balanced one above), on a
// 64-bit and a 32-bit ABI, at every boundary.
func TestValueSets(t *testing.T) {
	seed := testenv.Seed(t)
	r := rand.New(rand.NewPCG(seed, 0x5e75))
	for _, an := range []string{"x86_64", "x86"} {
		a := arch(t, an)
		for _, n := range []int{1, 2, 3, 5, 9, 16, 17, 31, 40, 64, 200} {
			t.Run(fmt.Sprintf("arch=%s/values=%d", an, n), func(t *testing.T) {
				var rules []policy.Rule
				var probes []uint64
				for i := range n {
					v := r.Uint64N(64)
					switch r.IntN(4) {
					case 0:
						v = r.Uint64()
					case 1:
						v = 0xffffffff - r.Uint64N(8)
					case 2:
						v = uint64(r.Uint32())
					}
					op := []policy.Op{policy.OpEq, policy.OpEq, policy.OpEq, policy.OpLt, policy.OpGt, policy.OpNe}[r.IntN(6)]
					if n > 3 && op == policy.OpNe {
						op = policy.OpEq
					}
					if n >= 40 {
						// spread out: many segments in one word
						v, op = uint64(3*i)|uint64(r.IntN(2))<<32, policy.OpEq
					}
					rules = append(rules, policy.Rule{Nr: a.NrBase + 1, Action: policy.ActAllow,
						Conds: []policy.Cond{{Arg: 2, Op: op, Value: v}}})
					probes = append(probes, v-1, v, v+1, v^1<<32, uint64(uint32(v)))
				}
				// A second action on the same argument, of higher precedence.
				rules = append(rules, policy.Rule{Nr: a.NrBase + 1, Action: policy.ActTrap,
					Conds: []policy.Cond{{Arg: 2, Op: policy.OpEq, Value: probes[len(probes)/2]}}})
				p := &policy.Policy{DefaultAction: policy.Errno(1), BadArch: policy.ActKillThread,
					Arches: []*policy.ArchPolicy{{Arch: a, Rules: rules}}}
				prog := mustCompile(t, p).Filter
				for _, v := range append(probes, 0, ^uint64(0), 1<<32, 1<<63) {
					d := bpf.Data{Arch: a.AuditArch, Nr: a.NrBase + 1, Args: [6]uint64{2: v}}
					if !agree(t, p, prog, &d) {
						t.FailNow()
					}
				}
			})
		}
	}
}
