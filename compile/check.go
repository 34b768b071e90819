package compile

import (
	"math/bits"
	"slices"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
)

// atom is one test on one argument: membership in a set of intervals, or
// (for masks that are not interval-shaped) arg&m == v.
type atom struct {
	arg  uint8
	mask bool
	set  ivset
	m, v uint64
}

// term is a conjunction of atoms (one rule).
type term []atom

// cgroup is consecutive rules with the same action, ORed.
type cgroup struct {
	act    policy.Action
	terms  []term
	always bool // some rule of the group always matches
}

// check is the argument test of one syscall number: the first group that
// matches decides, in the order Decide ranks actions; none: def.
type check struct {
	lbl    label
	nr     uint32
	a      *abi
	groups []cgroup
	def    policy.Action
}

// buildCheck prepares the argument test for a number whose rules are all
// conditional (in profile order; the slice is reordered). When the answer does not depend on the
// arguments after all, it returns that action and isConst.
func (ar *arena) buildCheck(rules []*policy.Rule, a *abi, def policy.Action) (ck *check, act policy.Action, isConst bool) {
	// Decide: the matching rule of highest precedence wins, the first one
	// in profile order among equals. A stable sort makes that "the first
	// matching rule in this order".
	sorted := rules // ours to reorder
	slices.SortStableFunc(sorted, func(x, y *policy.Rule) int {
		return y.Action.Precedence() - x.Action.Precedence()
	})
	var groups []cgroup
	for _, r := range sorted {
		if n := len(groups); n == 0 || groups[n-1].act != r.Action {
			groups = append(groups, cgroup{act: r.Action})
		}
		g := &groups[len(groups)-1]
		t, never := ar.makeTerm(r, a)
		if never {
			continue
		}
		if len(t) == 0 {
			g.always, g.terms = true, nil
			break // nothing after this rule can decide
		}
		g.terms = append(g.terms, t)
	}
	out := groups[:0]
	for _, g := range groups {
		if !g.always {
			g = ar.mergeTerms(g, a.max)
		}
		if !g.always && len(g.terms) == 0 {
			continue
		}
		out = append(out, g)
		if g.always {
			break
		}
	}
	// Trailing groups that answer the default change nothing.
	for len(out) > 0 && out[len(out)-1].act == def {
		out = out[:len(out)-1]
	}
	switch {
	case len(out) == 0:
		return nil, def, true
	case out[0].always:
		return nil, out[0].act, true
	}
	return &check{a: a, groups: out, def: def}, 0, false
}

// makeTerm turns a rule's conditions into atoms. never: it cannot match.
func (ar *arena) makeTerm(r *policy.Rule, a *abi) (t term, never bool) {
	var sets [6]ivset
	var has [6]bool
	nMasks := 0
	for _, c := range r.Conds {
		if c.NoOp(a.is64) {
			continue
		}
		s := ar.ivs(2)
		if c.Op == policy.OpMaskedEq {
			m := c.Mask & a.max
			v := c.Value & m
			inv := ^m & a.max
			if inv&(inv+1) != 0 {
				nMasks++
				continue
			}
			// The mask keeps high bits only: an interval.
			s = append(s, iv{v, v | inv})
		} else {
			s = condSet(c, a.max, s)
		}
		if has[c.Arg] {
			s = intersect(sets[c.Arg], s, ar.ivs(len(sets[c.Arg])+len(s)))
		}
		sets[c.Arg], has[c.Arg] = s, true
	}
	t = ar.term(6 + nMasks)
	for i := range sets {
		if has[i] {
			if len(sets[i]) == 0 {
				return nil, true
			}
			if !sets[i].full(a.max) {
				t = append(t, atom{arg: uint8(i), set: sets[i]})
			}
		}
		if nMasks == 0 {
			continue
		}
		for _, c := range r.Conds {
			if int(c.Arg) != i || c.Op != policy.OpMaskedEq || c.NoOp(a.is64) {
				continue
			}
			m := c.Mask & a.max
			if inv := ^m & a.max; inv&(inv+1) != 0 {
				t = append(t, atom{arg: c.Arg, mask: true, m: m, v: c.Value & m})
			}
		}
	}
	return t, false
}

// mergeTerms ORs the rules of a group that test one argument against a set
// into a single set per argument, so that values are searched, not
// scanned.
func (ar *arena) mergeTerms(g cgroup, max uint64) cgroup {
	var count, size [6]int
	merge := false
	for _, t := range g.terms {
		if len(t) == 1 && !t[0].mask {
			count[t[0].arg]++
			size[t[0].arg] += len(t[0].set)
			merge = merge || count[t[0].arg] > 1
		}
	}
	if !merge {
		return g
	}
	var at [6]int
	var all [6]ivset
	out := g.terms[:0] // terms shrink: safe in place
	for _, t := range g.terms {
		if len(t) != 1 || t[0].mask || count[t[0].arg] <= 1 {
			out = append(out, t)
			continue
		}
		arg := t[0].arg
		if all[arg] == nil {
			at[arg] = len(out)
			out = append(out, t)
			all[arg] = ar.ivs(size[arg])
		}
		all[arg] = append(all[arg], t[0].set...)
	}
	for arg, s := range all {
		if s == nil {
			continue
		}
		s = normalize(s)
		if s.full(max) {
			return cgroup{act: g.act, always: true}
		}
		t := ar.term(1)
		out[at[arg]] = append(t, atom{arg: uint8(arg), set: s})
	}
	g.terms = out
	return g
}

// arena hands out the small slices that argument checks are made of, from
// a few large allocations.
type arena struct {
	ivArena   []iv
	atomArena []atom
}

// ivs returns an empty set with room for n intervals.
func (ar *arena) ivs(n int) ivset {
	if cap(ar.ivArena)-len(ar.ivArena) < n {
		ar.ivArena = make([]iv, 0, max(64, n))
	}
	l := len(ar.ivArena)
	ar.ivArena = ar.ivArena[:l+n]
	return ar.ivArena[l : l : l+n]
}

// term returns an empty term with room for n atoms.
func (ar *arena) term(n int) term {
	if cap(ar.atomArena)-len(ar.atomArena) < n {
		ar.atomArena = make([]atom, 0, max(32, n))
	}
	l := len(ar.atomArena)
	ar.atomArena = ar.atomArena[:l+n]
	return ar.atomArena[l : l : l+n]
}

func (c *compiler) genCheck(ck *check) {
	e := &c.e
	if !e.bind(ck.lbl) {
		return
	}
	e.setNote(Note{Kind: NoteArgs, Arch: ck.a.ap.Arch, Nr: ck.nr})
	for gi, g := range ck.groups {
		last := gi == len(ck.groups)-1
		next := e.ret(ck.def)
		if !last {
			next = e.newLabel()
		}
		succ := e.ret(g.act)
		if g.always {
			e.ja(succ)
		}
		for ti, t := range g.terms {
			fail := next
			if ti < len(g.terms)-1 {
				fail = e.newLabel()
			}
			for ai, at := range t {
				ok := succ
				if ai < len(t)-1 {
					ok = e.newLabel()
				}
				c.genAtom(ck.a, at, ok, fail)
				if ok != succ {
					e.bind(ok)
				}
			}
			if fail != next {
				e.bind(fail)
			}
		}
		if !last {
			e.bind(next)
		}
	}
}

// genAtom tests one atom, jumping to succ or fail.
func (c *compiler) genAtom(a *abi, at atom, succ, fail label) {
	e := &c.e
	be := a.ap.Arch.BigEndian
	lo, hi := bpf.ArgLow(int(at.arg), be), bpf.ArgHigh(int(at.arg), be)
	if at.mask {
		type word struct {
			off  uint32
			m, v uint32
		}
		words := make([]word, 0, 2)
		if a.is64 && at.m>>32 != 0 {
			words = append(words, word{hi, uint32(at.m >> 32), uint32(at.v >> 32)})
		}
		if uint32(at.m) != 0 {
			words = append(words, word{lo, uint32(at.m), uint32(at.v)})
		}
		for i, w := range words {
			ok := succ
			if i < len(words)-1 {
				ok = e.newLabel()
			}
			e.load(w.off)
			switch {
			case w.v == 0:
				e.jump(bpf.JmpJSET, w.m, fail, ok)
			case w.m == ^uint32(0):
				e.jump(bpf.JmpJEQ, w.v, ok, fail)
			case w.v == w.m && bits.OnesCount32(w.m) == 1:
				e.jump(bpf.JmpJSET, w.m, ok, fail)
			default:
				e.and(w.m)
				e.jump(bpf.JmpJEQ, w.v, ok, fail)
			}
			if ok != succ {
				e.bind(ok)
			}
		}
		if len(words) == 0 {
			e.ja(succ)
		}
		return
	}
	if !a.is64 {
		e.load(lo)
		e.valueTree(wordSegs(at.set, succ, fail), fail)
		return
	}
	// 64 bits: a search over the high word, whose outcomes are in, out,
	// or a set of low words searched next.
	var b segBuilder
	var parts []ivset
	var partLbl []label
	partOut := func(los ivset) label {
		if los.full(1<<32 - 1) {
			return succ
		}
		for i := range parts {
			if parts[i].equal(los) {
				return partLbl[i]
			}
		}
		parts = append(parts, los)
		partLbl = append(partLbl, e.newLabel())
		return partLbl[len(partLbl)-1]
	}
	prev := uint64(0) // next high word not yet described
	var cur ivset     // low words of high word curH
	curH, open := uint64(0), false
	flush := func() {
		if open {
			b.add(curH, curH, partOut(cur))
			prev, open, cur = curH+1, false, nil
		}
	}
	addPart := func(h uint64, x iv) {
		if open && curH != h {
			flush()
		}
		if !open {
			if h > prev {
				b.add(prev, h-1, fail)
			}
			curH, open = h, true
		}
		cur = append(cur, x)
	}
	for _, x := range at.set {
		ha, la := x.lo>>32, x.lo&(1<<32-1)
		hb, lb := x.hi>>32, x.hi&(1<<32-1)
		if ha == hb {
			addPart(ha, iv{la, lb})
			continue
		}
		addPart(ha, iv{la, 1<<32 - 1})
		flush()
		if hb > ha+1 {
			b.add(ha+1, hb-1, succ)
			prev = hb
		}
		addPart(hb, iv{0, lb})
	}
	flush()
	b.add(prev, 1<<32-1, fail)
	segs := b.done(fail)
	if len(segs) == 1 && len(parts) == 1 && segs[0].out == partLbl[0] {
		// Every high word has the same low words: test only those.
		e.load(lo)
		e.valueTree(wordSegs(parts[0], succ, fail), fail)
		return
	}
	e.load(hi)
	e.valueTree(segs, fail)
	for i, l := range partLbl {
		if !e.bind(l) {
			continue
		}
		e.load(lo)
		e.valueTree(wordSegs(parts[i], succ, fail), fail)
	}
}

// wordSegs describes a set of 32-bit words as segments.
func wordSegs(s ivset, in, out label) []seg {
	var b segBuilder
	b.segs = make([]seg, 0, 2*len(s)+1)
	prev := uint64(0)
	for _, x := range s {
		if x.lo > prev {
			b.add(prev, x.lo-1, out)
		}
		b.add(x.lo, x.hi, in)
		prev = x.hi + 1
	}
	if prev <= 1<<32-1 {
		b.add(prev, 1<<32-1, out)
	}
	return b.done(out)
}
