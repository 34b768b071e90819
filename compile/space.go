package compile

import (
	"slices"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// region is what Decide does with a syscall number before it looks at
// rules: a fixed answer (bad arch, ENOSYS, the default) or the rules of
// one ABI.
type region struct {
	ret label // the fixed answer, when abi is nil
	abi *abi
}

// probe is the policy with every rule replaced by one unconditional rule
// per ABI, at the number being asked about. Decide on it tells what Decide
// on the policy does with that number before it matches rules: whose
// rules it consults, if any, or which fixed answer it gives. The compiler
// thus takes the number-level semantics (ABI ownership, the x32 bit, runc's
// ENOSYS rule, bad-arch exceptions) from the reference model itself.
type probe struct {
	p    policy.Policy
	aps  []policy.ArchPolicy
	rule []policy.Rule
	abis []*abi // parallel to aps
}

func (c *compiler) newProbe() {
	pr := &c.probe
	n := len(c.p.Arches)
	pr.aps = make([]policy.ArchPolicy, n)
	pr.rule = make([]policy.Rule, n)
	pr.p = policy.Policy{Arches: make([]*policy.ArchPolicy, n), DefaultAction: c.p.DefaultAction,
		BadArch: c.p.BadArch, ENOSYS: c.p.ENOSYS}
	for i, ap := range c.p.Arches {
		pr.aps[i] = policy.ArchPolicy{Arch: ap.Arch, MaxNr: ap.MaxNr, Rules: pr.rule[i : i+1 : i+1]}
		pr.p.Arches[i] = &pr.aps[i]
	}
}

// region asks Decide (through the probe) what happens to nr on the
// group's token.
func (c *compiler) region(g *group, nr uint32) region {
	pr := &c.probe
	for i := range pr.rule {
		pr.rule[i].Nr = nr
	}
	var zero [6]uint64
	d := pr.p.Decide(g.token, nr, &zero)
	if d.Why == policy.WhyRule {
		for i := range pr.rule {
			if d.Rule == &pr.rule[i] {
				return region{abi: pr.abis[i]}
			}
		}
	}
	return region{ret: c.e.ret(d.Action)}
}

// breakpoints returns the numbers where region may change: it is constant
// between two consecutive ones (Decide's number-level rules compare with
// 0 for s390, the x32 bit, 0x40000000 as a bound, 0xffffffff, and each
// ABI's MaxNr).
func (c *compiler) breakpoints(g *group) []uint64 {
	bps := []uint64{0, 1, syscalls.X32SyscallBit, 0x80000000, 0xc0000000, 0xffffffff, 1 << 32}
	for _, a := range g.abis {
		bps = append(bps, uint64(a.ap.MaxNr)+1)
	}
	slices.Sort(bps)
	return slices.Compact(bps)
}

// space lists the outcome of every syscall number on the group's token as
// segments over [0, 2^32-1]. The numbers whose argument checks the front
// tests are "don't care": the tree never sees them.
func (c *compiler) space(g *group, front *abi) []seg {
	b := segBuilder{segs: c.segBuf[:0]}
	defer func() { c.segBuf = b.segs[:0] }()
	next := make([]int, len(g.abis)) // per ABI, the first nr not yet placed
	bps := c.breakpoints(g)
	for k := 0; k+1 < len(bps); k++ {
		lo, hi := bps[k], bps[k+1]-1
		r := c.region(g, uint32(lo))
		if r.abi == nil {
			b.add(lo, hi, r.ret)
			continue
		}
		ai := slices.Index(g.abis, r.abi)
		nrs := r.abi.nrs
		i := next[ai]
		for i < len(nrs) && uint64(nrs[i].nr) < lo {
			i++
		}
		cur := lo
		for ; i < len(nrs) && uint64(nrs[i].nr) <= hi; i++ {
			n := nrs[i]
			if uint64(n.nr) > cur {
				b.add(cur, uint64(n.nr)-1, c.def)
			}
			out := n.out
			if n.check >= 0 && r.abi == front {
				out = dc
			}
			b.add(uint64(n.nr), uint64(n.nr), out)
			cur = uint64(n.nr) + 1
		}
		next[ai] = i
		b.add(cur, hi, c.def)
	}
	return b.done(c.def)
}

// frontChecks returns the argument-checked syscalls of an ABI that the
// front tests: those its rules reach in region.
func (c *compiler) frontChecks(g *group, a *abi) []*check {
	var out []*check
	for _, n := range a.nrs {
		if n.check >= 0 && c.region(g, n.nr).abi == a {
			out = append(out, a.checks[n.check])
		}
	}
	return out
}

// restrict keeps the part of segs whose numbers have the x32 bit set (or
// clear); the other numbers become "don't care".
func restrict(segs []seg, bitSet bool) []seg {
	var b segBuilder
	b.segs = make([]seg, 0, len(segs))
	quarters := [2][2]uint64{{0, 0x3fffffff}, {0x80000000, 0xbfffffff}}
	if bitSet {
		quarters = [2][2]uint64{{0x40000000, 0x7fffffff}, {0xc0000000, 0xffffffff}}
	}
	for _, s := range segs {
		for _, q := range quarters {
			lo, hi := max(uint64(s.lo), q[0]), min(uint64(s.hi), q[1])
			b.add(lo, hi, s.out)
		}
	}
	return b.done(dc)
}

func (c *compiler) genGroup(g *group) {
	e := &c.e
	e.bind(g.entry)
	first := g.abis[0]
	e.setNote(Note{Kind: NoteTree, Arch: first.ap.Arch})
	e.load(bpf.OffNr)

	// The first ABI's argument-checked syscalls are tested before anything
	// else: the kernel's cache serves the syscalls allowed outright, so
	// these are the ones whose path length counts. Each is one number of
	// the token's space (x32's carry the x32 bit), so the test needs no
	// other check first, and the tree treats them as "don't care".
	front := c.frontChecks(g, first)
	if len(front) > 0 {
		e.setNote(Note{Kind: NoteFront, Arch: first.ap.Arch})
		cont := e.newLabel()
		b := segBuilder{segs: make([]seg, 0, 2*len(front)+1)}
		prev := uint64(0)
		for _, ck := range front {
			if uint64(ck.nr) > prev {
				b.add(prev, uint64(ck.nr)-1, cont)
			}
			b.add(uint64(ck.nr), uint64(ck.nr), ck.lbl)
			prev = uint64(ck.nr) + 1
		}
		b.add(prev, 1<<32-1, cont)
		e.tree(b.done(cont))
		e.bind(cont)
	}
	e.setNote(Note{Kind: NoteTree, Arch: first.ap.Arch})
	frontABI := first
	if len(front) == 0 {
		frontABI = nil
	}
	full := c.space(g, frontABI)
	if g.token == auditArchX86_64 {
		// Testing the x32 bit first lets each half ignore the other's
		// numbers, which often merges ranges (e.g. on an x86_64-only
		// filter, the x32 half is "bad arch, but 0xffffffff"). Use it
		// when it makes the program smaller.
		clear, set := restrict(full, false), restrict(full, true)
		if 1+len(clear)-1+len(set)-1 < len(full)-1 {
			lClear, lSet := e.subtree(clear), e.subtree(set)
			e.jump(bpf.JmpJSET, syscalls.X32SyscallBit, lSet, lClear)
			if len(clear) > 1 {
				e.bind(lClear)
				e.tree(clear)
			}
			if len(set) > 1 {
				e.bind(lSet)
				e.tree(set)
			}
			full = nil
		}
	}
	if full != nil {
		e.tree(full)
	}
	for _, a := range g.abis {
		for _, ck := range a.checks {
			c.genCheck(ck)
		}
	}
}
