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
// conditional (in profile order; the slice is reordered). When the answer
// does not depend on the arguments after all, it returns that action and
// isConst.
func (ar *arena) buildCheck(rules []*policy.Rule, a *abi, def policy.Action) (ck *check, act policy.Action, isConst bool) {
	// Decide: the matching rule of highest precedence wins, the first one
	// in profile order among equals that no other matching rule tightens.
	// With tightened rules narrowed, a stable sort makes that "the first
	// matching rule in this order".
	narrow(rules, a.is64)
	sorted := rules // ours to reorder
	slices.SortStableFunc(sorted, func(x, y *policy.Rule) int {
		return y.Action.Precedence() - x.Action.Precedence()
	})
	var groups []cgroup
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j].Action == sorted[i].Action {
			j++
		}
		g := ar.group(sorted[i:j], a)
		i = j
		if !g.always && len(g.terms) == 0 {
			continue // never matches
		}
		groups = append(groups, g)
		if g.always {
			break // nothing after it can decide
		}
	}
	// Trailing groups that answer the default change nothing.
	for len(groups) > 0 && groups[len(groups)-1].act == def {
		groups = groups[:len(groups)-1]
	}
	switch {
	case len(groups) == 0:
		return nil, def, true
	case groups[0].always:
		return nil, groups[0].act, true
	}
	return &check{a: a, groups: groups, def: def}, 0, false
}

// narrow applies Decide's rule 5 ahead of time: a rule that another rule
// of the same kind with other data tightens (policy.Rule.Tightens) decides
// only where the tighter comparison fails, because where it holds the
// tighter rule matches too and wins. So the negation of each such
// comparison joins the rule's conditions; rules is updated in place, the
// policy's rules are left alone.
func narrow(rules []*policy.Rule, is64 bool) {
	var extra [][]policy.Cond
	for i, r := range rules {
		for _, s := range rules {
			if s == r || s.Action == r.Action || s.Action.Kind() != r.Action.Kind() {
				continue
			}
			c, ok := s.Tightens(r, is64)
			if !ok {
				continue
			}
			if extra == nil {
				extra = make([][]policy.Cond, len(rules))
			}
			// Of the negations on one argument in one direction only
			// the strongest counts: a chain of n rules adds n, not n².
			n, merged := negate(c), false
			for k, x := range extra[i] {
				if x.Arg == n.Arg && (x.Op == policy.OpLt || x.Op == policy.OpLe) == (n.Op == policy.OpLt || n.Op == policy.OpLe) {
					if stronger(n, x) {
						extra[i][k] = n
					}
					merged = true
				}
			}
			if !merged {
				extra[i] = append(extra[i], n)
			}
		}
	}
	for i, x := range extra {
		if x == nil {
			continue
		}
		r := *rules[i]
		r.Conds = append(slices.Clip(r.Conds), x...)
		rules[i] = &r
	}
}

// negate returns the comparison that holds exactly where c (<, <=, >, >=)
// fails.
func negate(c policy.Cond) policy.Cond {
	switch c.Op {
	case policy.OpGt:
		c.Op = policy.OpLe
	case policy.OpGe:
		c.Op = policy.OpLt
	case policy.OpLt:
		c.Op = policy.OpGe
	case policy.OpLe:
		c.Op = policy.OpGt
	default:
		panic("compile: negate " + c.Op.String())
	}
	return c
}

// stronger reports whether the bound a (<, <=, or >, >=) admits no value
// that b, a bound on the same argument in the same direction, rejects.
func stronger(a, b policy.Cond) bool {
	// The bounds as closed: the largest value < and <= admit, the
	// smallest value > and >= admit; an empty one admits nothing.
	closed := func(c policy.Cond) (v uint64, empty bool) {
		switch c.Op {
		case policy.OpLt:
			return c.Value - 1, c.Value == 0
		case policy.OpGt:
			return c.Value + 1, c.Value == ^uint64(0)
		}
		return c.Value, false
	}
	av, ae := closed(a)
	bv, be := closed(b)
	switch {
	case ae:
		return true
	case be:
		return false
	case a.Op == policy.OpLt || a.Op == policy.OpLe:
		return av <= bv
	}
	return av >= bv
}

// group ORs rules with one action. Rules that test a single argument
// against an interval-shaped condition are merged into one set of values
// per argument, so that the values are searched, not scanned.
func (ar *arena) group(rules []*policy.Rule, a *abi) cgroup {
	g := cgroup{act: rules[0].Action}
	var sets [6]ivset
	var others []term
	for _, r := range rules {
		if c, ok := single(r, a.is64); ok && intervalShaped(c, a.max) {
			if sets[c.Arg] == nil {
				sets[c.Arg] = ar.ivs(2 * len(rules)) // each condition adds at most two
			}
			sets[c.Arg], _ = intervals(c, a.max, sets[c.Arg])
			continue
		}
		t, never := ar.makeTerm(r, a)
		if never {
			continue
		}
		if len(t) == 0 {
			return cgroup{act: g.act, always: true}
		}
		others = append(others, t)
	}
	for arg, s := range sets {
		if s == nil {
			continue
		}
		s = normalize(s)
		if len(s) == 0 {
			continue
		}
		if s.full(a.max) {
			return cgroup{act: g.act, always: true}
		}
		g.terms = append(g.terms, append(ar.term(1), atom{arg: uint8(arg), set: s}))
	}
	g.terms = append(g.terms, others...)
	return g
}

// single returns the only condition of r that compares anything.
func single(r *policy.Rule, is64 bool) (policy.Cond, bool) {
	var only policy.Cond
	n := 0
	for _, c := range r.Conds {
		if !c.NoOp(is64) {
			only = c
			n++
		}
	}
	return only, n == 1
}

// intervalShaped reports whether the values c accepts form intervals:
// every operator but MASKED_EQ, and MASKED_EQ with a mask that keeps high
// bits only.
func intervalShaped(c policy.Cond, max uint64) bool {
	if c.Op != policy.OpMaskedEq {
		return true
	}
	inv := ^c.Mask & max
	return inv&(inv+1) == 0
}

// intervals appends to dst (room for two) the values c accepts, if they
// form intervals: every operator but MASKED_EQ, and MASKED_EQ with a mask
// that keeps high bits only.
func intervals(c policy.Cond, max uint64, dst ivset) (ivset, bool) {
	if c.Op != policy.OpMaskedEq {
		return condSet(c, max, dst), true
	}
	m := c.Mask & max
	inv := ^m & max
	if inv&(inv+1) != 0 {
		return dst, false
	}
	v := c.Value & m
	return append(dst, iv{v, v | inv}), true
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
		s, ok := intervals(c, a.max, ar.ivs(2))
		if !ok {
			nMasks++
			continue
		}
		if has[c.Arg] {
			s = intersect(sets[c.Arg], s, ar.ivs(len(sets[c.Arg])+len(s)))
		}
		sets[c.Arg], has[c.Arg] = s, true
	}
	n := nMasks
	for i := range sets {
		if has[i] {
			if len(sets[i]) == 0 {
				return nil, true
			}
			if !sets[i].full(a.max) {
				n++
			}
		}
	}
	t = ar.term(n)
	for i := range sets {
		if has[i] && !sets[i].full(a.max) {
			t = append(t, atom{arg: uint8(i), set: sets[i]})
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
