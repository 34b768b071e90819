package argspace

import (
	"flag"
	"math/rand"
	"testing"
	"time"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

var seed = flag.Int64("seed", 0, "random seed (0: time)")

func rng(t *testing.T) *rand.Rand {
	s := *seed
	if s == 0 {
		s = time.Now().UnixNano()
	}
	t.Logf("seed %d (-seed to reproduce)", s)
	return rand.New(rand.NewSource(s))
}

// randSet builds a random set of an 8-bit domain from patterns and
// intervals, and the same set as a plain membership table.
func randSet(r *rand.Rand, sp *Space) (Set, [256]bool) {
	s := sp.Empty()
	var m [256]bool
	for range r.Intn(4) {
		var t Set
		var in func(v int) bool
		if r.Intn(2) == 0 {
			care, val := uint64(r.Intn(256)), uint64(r.Intn(256))
			t = sp.Pattern(val, care)
			in = func(v int) bool { return uint64(v)&care == val&care }
		} else {
			lo, hi := uint64(r.Intn(256)), uint64(r.Intn(256))
			t = sp.Interval(lo, hi)
			in = func(v int) bool { return uint64(v) >= lo && uint64(v) <= hi }
		}
		if r.Intn(3) == 0 {
			s = s.Minus(t)
			for v := range 256 {
				m[v] = m[v] && !in(v)
			}
		} else {
			s = s.Or(t)
			for v := range 256 {
				m[v] = m[v] || in(v)
			}
		}
	}
	return s, m
}

// TestSetOps checks the set operations, membership, Min, Values and
// Intervals against plain sets of an 8-bit domain.
func TestSetOps(t *testing.T) {
	r := rng(t)
	sp := NewSpace(8)
	for range 3000 {
		a, ma := randSet(r, sp)
		b, mb := randSet(r, sp)
		and, or, minus, not := a.And(b), a.Or(b), a.Minus(b), a.Not()
		n, first := 0, -1
		for v := range 256 {
			u := uint64(v)
			if a.Contains(u) != ma[v] {
				t.Fatalf("membership of %d wrong", v)
			}
			if and.Contains(u) != (ma[v] && mb[v]) || or.Contains(u) != (ma[v] || mb[v]) ||
				minus.Contains(u) != (ma[v] && !mb[v]) || not.Contains(u) != !ma[v] {
				t.Fatalf("operation wrong at %d", v)
			}
			if ma[v] {
				n++
				if first < 0 {
					first = v
				}
			}
		}
		if a.IsEmpty() != (n == 0) || a.IsUniverse() != (n == 256) {
			t.Fatalf("emptiness wrong: %d members", n)
		}
		if n > 0 && a.Min() != uint64(first) {
			t.Fatalf("min %d, want %d", a.Min(), first)
		}
		vals, ok := a.Values(256)
		if !ok || len(vals) != n {
			t.Fatalf("%d values (ok %v), want %d", len(vals), ok, n)
		}
		for i, v := range vals {
			if !ma[v] || i > 0 && vals[i-1] >= v {
				t.Fatalf("values %v wrong", vals)
			}
		}
		runs, ok := a.Intervals(256)
		if !ok {
			t.Fatal("too many runs")
		}
		covered := 0
		for i, run := range runs {
			if run[0] > run[1] || i > 0 && runs[i-1][1]+1 >= run[0] {
				t.Fatalf("runs %v not maximal and ordered", runs)
			}
			for v := run[0]; v <= run[1]; v++ {
				if !ma[v] {
					t.Fatalf("runs %v hold %d", runs, v)
				}
				covered++
			}
		}
		if covered != n {
			t.Fatalf("runs %v cover %d of %d", runs, covered, n)
		}
	}
}

// TestInterval checks bounds at their edges, on 64- and 32-bit domains.
func TestInterval(t *testing.T) {
	r := rng(t)
	edges := []uint64{0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff, 1 << 32, 1<<63 - 1, 1 << 63, ^uint64(0) - 1, ^uint64(0)}
	pick := func() uint64 {
		if r.Intn(2) == 0 {
			return edges[r.Intn(len(edges))]
		}
		return r.Uint64() >> uint(r.Intn(64))
	}
	for range 5000 {
		width := 64
		if r.Intn(3) == 0 {
			width = 32
		}
		sp := NewSpace(width)
		lo, hi := pick()&sp.mask(), pick()&sp.mask()
		if lo > hi {
			lo, hi = hi, lo
		}
		s := sp.Interval(lo, hi)
		in := func(v uint64) bool { return v >= lo && v <= hi }
		for _, v := range []uint64{lo, hi, lo - 1, hi + 1, lo + (hi-lo)/2, r.Uint64()} {
			v &= sp.mask()
			if s.Contains(v) != in(v) {
				t.Fatalf("[%#x, %#x]/%d: Contains(%#x) = %v", lo, hi, width, v, !in(v))
			}
		}
		if s.Min() != lo {
			t.Fatalf("[%#x, %#x]: min %#x", lo, hi, s.Min())
		}
		if runs, ok := s.Intervals(2); !ok || len(runs) != 1 || runs[0] != [2]uint64{lo, hi} {
			t.Fatalf("[%#x, %#x]: runs %x", lo, hi, runs)
		}
	}
}

// TestCondSet holds every operator's set to policy.Cond.Match on edge and
// random values, on 64- and 32-bit ABIs.
func TestCondSet(t *testing.T) {
	r := rng(t)
	vals := []uint64{0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xffffffff, 1 << 32, 0x100000001, 1<<63 - 1, 1 << 63, ^uint64(0) - 1, ^uint64(0)}
	pick := func() uint64 {
		if r.Intn(2) == 0 {
			return vals[r.Intn(len(vals))]
		}
		return r.Uint64() >> uint(r.Intn(64))
	}
	for range 20000 {
		c := policy.Cond{Arg: 0, Op: policy.Op(1 + r.Intn(7)), Value: pick(), Mask: pick()}
		is64 := r.Intn(2) == 0
		width := 32
		if is64 {
			width = 64
		}
		s := NewSpace(width).Cond(c)
		for range 8 {
			v := pick()
			if r.Intn(4) == 0 {
				v = c.Value + uint64(r.Intn(3)) - 1
			}
			if got, want := s.Contains(v), c.Match(v, is64); got != want {
				t.Fatalf("%v is64=%v: set says %v for %#x, Match %v", c, is64, got, v, want)
			}
		}
	}
}

var testArches = func() []*syscalls.Arch {
	var out []*syscalls.Arch
	for _, n := range []string{"x86_64", "x86", "x32", "aarch64"} {
		a, err := syscalls.ArchByName(n)
		if err != nil {
			panic(err)
		}
		out = append(out, a)
	}
	return out
}()

// randPolicy makes a policy whose rules on a few syscall numbers use
// every operator on edge values, so that regions are many and small.
func randPolicy(r *rand.Rand) *policy.Policy {
	acts := []policy.Action{policy.ActAllow, policy.Errno(1), policy.Errno(2), policy.ActKillProcess, policy.ActLog, policy.ActTrap}
	vals := []uint64{0, 1, 2, 8, 0x20000, 0xffffffff, 1 << 32, 1 << 63, ^uint64(0)}
	p := &policy.Policy{DefaultAction: acts[r.Intn(len(acts))], BadArch: policy.ActKillThread, ENOSYS: true}
	for _, a := range testArches[:1+r.Intn(len(testArches))] {
		if a.Name == "x32" && len(p.Arches) > 0 && p.Arches[0].Arch.Name != "x86_64" {
			continue
		}
		ap := &policy.ArchPolicy{Arch: a, MaxNr: a.MaxNr()}
		for range r.Intn(12) {
			rule := policy.Rule{Nr: a.NrBase + uint32(r.Intn(3)), Action: acts[r.Intn(len(acts))]}
			for range r.Intn(3) {
				v := vals[r.Intn(len(vals))]
				if r.Intn(3) == 0 {
					v = r.Uint64()
				}
				rule.Conds = append(rule.Conds, policy.Cond{Arg: uint8(r.Intn(3)), Op: policy.Op(1 + r.Intn(7)), Value: v, Mask: vals[r.Intn(len(vals))]})
			}
			ap.Rules = append(ap.Rules, rule)
		}
		p.Arches = append(p.Arches, ap)
	}
	return p
}

// TestSplitAgreesWithDecide: every call lies in exactly one region, and
// Decide answers it as the region says; witnesses lie in their region.
func TestSplitAgreesWithDecide(t *testing.T) {
	r := rng(t)
	vals := []uint64{0, 1, 2, 3, 7, 8, 9, 0x20000, 0x20008, 0xfffffffe, 0xffffffff, 1 << 32, 0x100000001, 1 << 63, ^uint64(0)}
	for range 400 {
		p := randPolicy(r)
		for _, ap := range p.Arches {
			for nr := ap.Arch.NrBase; nr < ap.Arch.NrBase+3; nr++ {
				regs, err := Split(p, ap, nr, nil)
				if err != nil {
					t.Fatal(err)
				}
				for i := range regs {
					if !regs[i].Contains(&regs[i].Witness) {
						t.Fatalf("witness %x outside its region", regs[i].Witness)
					}
				}
				for range 50 {
					var args [6]uint64
					for k := range args {
						if r.Intn(2) == 0 {
							args[k] = vals[r.Intn(len(vals))]
						} else {
							args[k] = r.Uint64()
						}
					}
					in := -1
					for i := range regs {
						if regs[i].Contains(&args) {
							if in >= 0 {
								t.Fatalf("%x in two regions", args)
							}
							in = i
						}
					}
					if in < 0 {
						t.Fatalf("%s nr %d: %x in no region", ap.Arch.Name, nr, args)
					}
					if d := p.Decide(ap.Arch.AuditArch, nr, &args); d.Action != regs[in].Decision.Action || d.Rule != regs[in].Decision.Rule {
						t.Fatalf("%s nr %d args %x: Decide %v (rule %v), region %v (rule %v)", ap.Arch.Name, nr, args, d.Action, d.Rule, regs[in].Decision.Action, regs[in].Decision.Rule)
					}
				}
			}
		}
	}
}

// TestSplitPinned: a pinned argument keeps its value in every region.
func TestSplitPinned(t *testing.T) {
	x86 := testArches[1]
	sc, _ := x86.Number("socketcall")
	p := &policy.Policy{DefaultAction: policy.Errno(1), BadArch: policy.ActKillThread,
		Arches: []*policy.ArchPolicy{{Arch: x86, Rules: []policy.Rule{
			{Nr: sc, Action: policy.ActAllow, Conds: []policy.Cond{{Arg: 0, Op: policy.OpEq, Value: 1}}},
			{Nr: sc, Action: policy.ActAllow, Conds: []policy.Cond{{Arg: 0, Op: policy.OpEq, Value: 3}, {Arg: 1, Op: policy.OpLt, Value: 10}}},
		}}}}
	for call, want := range map[uint64]Status{1: Allowed, 3: Partly, 5: Denied} {
		regs, err := Split(p, p.Arches[0], sc, map[int]uint64{0: call})
		if err != nil {
			t.Fatal(err)
		}
		for _, rg := range regs {
			if rg.Witness[0] != call {
				t.Errorf("call %d: region with argument 0 = %d", call, rg.Witness[0])
			}
		}
		if got := StatusOf(regs); got != want {
			t.Errorf("socketcall(%d): %v, want %v", call, got, want)
		}
	}
}

// TestSplitManyMasks: "allow ioctl unless the low 32 bits of its command
// are TIOCSTI", as a policy can only say it (one ALLOW rule per bit that
// differs from TIOCSTI's), cuts argument 1 into 2^32 cells, which Split
// refused (ErrTooComplex; explain of a process under `sysfence run`
// failed on it); it now gives one region per rule, and the regions still
// agree with Decide, with a level of rules of one kind but different
// data (ERRNO(2), ERRNO(3)) split as before.
func TestSplitManyMasks(t *testing.T) {
	r := rng(t)
	a := testArches[0]
	nr, _ := a.Number("ioctl")
	const tiocsti = 0x5412
	rules := []policy.Rule{
		{Nr: nr, Action: policy.Errno(2), Conds: []policy.Cond{{Arg: 1, Op: policy.OpEq, Value: 7}}},
		{Nr: nr, Action: policy.Errno(3), Conds: []policy.Cond{{Arg: 1, Op: policy.OpLe, Value: 9}}},
	}
	for b := range 32 {
		bit := uint64(1) << b
		rules = append(rules, policy.Rule{Nr: nr, Action: policy.ActAllow,
			Conds: []policy.Cond{{Arg: 1, Op: policy.OpMaskedEq, Mask: bit, Value: ^uint64(tiocsti) & bit}}})
	}
	p := &policy.Policy{DefaultAction: policy.Errno(1), BadArch: policy.ActKillThread,
		Arches: []*policy.ArchPolicy{{Arch: a, Rules: rules}}}
	regs, err := Split(p, p.Arches[0], nr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(regs) > len(rules)+1 {
		t.Errorf("%d regions for %d rules", len(regs), len(rules))
	}
	vals := []uint64{0, 7, 8, 9, 10, tiocsti, 1<<32 | tiocsti, 0xffffffff00000000 | tiocsti, tiocsti ^ 1, ^uint64(0)}
	for i := range 20000 {
		var args [6]uint64
		args[1] = r.Uint64()
		if i%2 == 0 {
			args[1] = vals[r.Intn(len(vals))]
		}
		in := -1
		for j := range regs {
			if regs[j].Contains(&args) {
				if in >= 0 {
					t.Fatalf("%#x in two regions", args[1])
				}
				in = j
			}
		}
		if in < 0 {
			t.Fatalf("%#x in no region", args[1])
		}
		if d := p.Decide(a.AuditArch, nr, &args); d.Action != regs[in].Decision.Action || d.Rule != regs[in].Decision.Rule {
			t.Fatalf("%#x: Decide %v, region %v", args[1], d.Action, regs[in].Decision.Action)
		}
	}
	t.Logf("%d regions", len(regs))
}
