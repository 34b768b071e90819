package lift

import (
	"slices"
	"sort"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// condPredicate builds policy.Cond.Match as a predicate over the
// arguments: 64-bit comparisons on a 64-bit ABI, the low words alone on a
// 32-bit one.
func (s *Space) condPredicate(c policy.Cond, is64 bool) int32 {
	width := 32
	v, m := uint64(uint32(c.Value)), uint64(uint32(c.Mask))
	if is64 {
		width, v, m = 64, c.Value, c.Mask
	}
	i := int(c.Arg)
	lv := func(b int) uint16 { // level of bit b of the compared value
		if b < 32 {
			return level(argLo(i), b)
		}
		return level(argHi(i), b-32)
	}
	f, t := s.leaf(0), s.leaf(1)
	// r is built from the least significant bit up, as predicate does.
	cmp := func(gt, orEqual bool) int32 {
		r := f
		if orEqual {
			r = t
		}
		for b := 0; b < width; b++ {
			var on, off int32
			switch {
			case v>>b&1 != 0 && gt:
				on, off = r, f
			case gt:
				on, off = t, r
			case v>>b&1 != 0: // less than: mirror image
				on, off = r, t
			default:
				on, off = f, r
			}
			r = s.mk(lv(b), off, on)
		}
		return r
	}
	eq := func(mask uint64) int32 {
		r := t
		for b := 0; b < width; b++ {
			if mask>>b&1 == 0 {
				continue
			}
			if v>>b&1 != 0 {
				r = s.mk(lv(b), f, r)
			} else {
				r = s.mk(lv(b), r, f)
			}
		}
		return r
	}
	all := ^uint64(0)
	switch c.Op {
	case policy.OpEq:
		return eq(all)
	case policy.OpNe:
		return s.not(eq(all))
	case policy.OpGt:
		return cmp(true, false)
	case policy.OpGe:
		return cmp(true, true)
	case policy.OpLt:
		return cmp(false, false)
	case policy.OpLe:
		return cmp(false, true)
	case policy.OpMaskedEq:
		v &= m
		return eq(m)
	}
	return f
}

// rulePredicate is Rule.Matches (conditions that mask nothing are left
// out, as libseccomp drops them).
func (s *Space) rulePredicate(r *policy.Rule, is64 bool) int32 {
	p := s.leaf(1)
	for _, c := range r.Conds {
		if c.NoOp(is64) {
			continue
		}
		p = s.iteN(s.condPredicate(c, is64), p, s.leaf(0))
	}
	return p
}

// RulesFunc returns what policy.Decide answers for one syscall number of
// ABI a whose rules are rules (all for that number), as a decision over
// the arguments: the first unconditional rule, else the matching rule of
// highest precedence (among equals the first that no matching rule of the
// same kind tightens), else def.
func (s *Space) RulesFunc(a *syscalls.Arch, rules []policy.Rule, def policy.Action) Func {
	is64 := a.Is64()
	for i := range rules {
		if rules[i].Unconditional(is64) {
			return s.Const(uint64(rules[i].Action))
		}
	}
	order := make([]int, len(rules))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool {
		return rules[order[x]].Action.Precedence() > rules[order[y]].Action.Precedence()
	})
	out := s.leaf(uint64(def))
	for _, i := range slices.Backward(order) {
		out = s.iteN(s.effective(rules, i, is64), s.leaf(uint64(rules[i].Action)), out)
	}
	return Func{s: s, n: out}
}

// effective is when rule i decides among the rules of its kind (Decide's
// rule 5): it matches, and no matching rule of the same kind with other
// data tightens it. A tightening rule has the same precedence, so the
// first rule in precedence order whose effective predicate holds is
// Decide's answer.
func (s *Space) effective(rules []policy.Rule, i int, is64 bool) int32 {
	r := &rules[i]
	p := s.rulePredicate(r, is64)
	for j := range rules {
		t := &rules[j]
		if j == i || t.Action == r.Action || t.Action.Kind() != r.Action.Kind() {
			continue
		}
		if _, ok := t.Tightens(r, is64); ok {
			p = s.iteN(s.rulePredicate(t, is64), s.leaf(0), p)
		}
	}
	return p
}
