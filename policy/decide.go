package policy

import "github.com/sysfence/sysfence/syscalls"

const auditArchX86_64 = 0xc000003e

// allowLike reports whether runc treats a default action as permissive and
// therefore leaves out its ENOSYS rule (a tracer or logger should see new
// syscalls, not have them answered ENOSYS).
func allowLike(a Action) bool {
	switch a.Kind() {
	case ActAllow, ActLog, ActTrace:
		return true
	}
	return false
}

// ENOSYSApplies reports whether the policy answers syscalls newer than the
// profile with ENOSYS (runc's rule; off for permissive defaults).
func (p *Policy) ENOSYSApplies() bool { return p.ENOSYS && !allowLike(p.DefaultAction) }

// Unconditional reports whether a rule has no effective condition. A
// MASKED_EQ with an empty mask compares nothing and is dropped, as
// libseccomp drops it (on 32-bit ABIs only the low word of the mask counts).
func (r *Rule) Unconditional(is64 bool) bool {
	for _, c := range r.Conds {
		if !c.NoOp(is64) {
			return false
		}
	}
	return true
}

// NoOp reports whether a condition always holds because it masks away
// every bit it would compare.
func (c Cond) NoOp(is64 bool) bool {
	if c.Op != OpMaskedEq {
		return false
	}
	if is64 {
		return c.Mask == 0
	}
	return uint32(c.Mask) == 0
}

// Matches reports whether every condition of the rule holds.
func (r *Rule) Matches(args *[6]uint64, is64 bool) bool {
	for _, c := range r.Conds {
		if c.NoOp(is64) {
			continue
		}
		if !c.Match(args[c.Arg], is64) {
			return false
		}
	}
	return true
}

// Decide is the reference semantics of a policy: what every filter compiled
// from it must answer for a syscall. The rules, in order:
//
//  1. An AUDIT_ARCH the policy does not list gets BadArch. On
//     AUDIT_ARCH_X86_64, x86_64 and x32 are told apart by the x32 bit when
//     both are listed. If only one is listed, libseccomp filters the other
//     out with "nr >= 0x40000000", so on an x86_64-only filter every number
//     from 0x40000000 up gets BadArch (0x80000000-0xbfffffff too, although
//     the x32 bit is clear there), except 0xffffffff, the number tracers use
//     to skip a call; on an x32-only filter every number below 0x40000000
//     does. (Verified against libseccomp 2.5.4 by internal/difftest.)
//  2. runc's ENOSYS rule (when enabled and the default is not ALLOW, LOG or
//     TRACE): a number above the highest one the profile names on that ABI
//     gets ERRNO(ENOSYS); on s390 and s390x so does number 0. On
//     AUDIT_ARCH_X86_64 the x32 bit selects whose maximum applies.
//  3. Among the rules for the number: the first unconditional rule decides
//     (libseccomp keeps the first and drops later rules; an unconditional
//     rule added after conditional ones replaces them).
//  4. Otherwise the conditional rules that match, of the highest kernel
//     precedence among them (KILL_PROCESS > KILL_THREAD > TRAP > ERRNO >
//     USER_NOTIF > TRACE > LOG > ALLOW): if their actions agree, that
//     action (libseccomp ORs same-action rules). Where rules of different
//     action kinds match, libseccomp's answer depends on the internal order
//     of its argument tree (or it refuses the profile with EEXIST);
//     sysfence gives the kind of highest precedence, so a call is never
//     treated more permissively than any rule that matches.
//  5. Rules of that kind with different data (ERRNO(5) and ERRNO(6),
//     TRACE(1) and TRACE(2)): the tighter comparison wins, as libseccomp
//     orders the comparisons of one argument by value; its regression test
//     43-sim-a2_order pins "a2 > 128 -> ERRNO(5), a2 > 256 -> ERRNO(6),
//     a2 > 512 -> ERRNO(7)" to ERRNO(6) for a2 = 0x101, and the same for <.
//     Precisely: a matching rule is set aside when another matching rule of
//     the same kind with other data tightens it (Rule.Tightens: the same
//     conditions but one <, <=, >, >= comparison, replaced by one on the
//     same argument in the same direction with a larger value for > and >=,
//     a smaller one for < and <=; on 32-bit ABIs the low words compare),
//     and the first rule left in profile order wins. Profile order decides
//     only between rules that do not tighten one another (equal values such
//     as "> 10" and ">= 10", opposite directions, other operators or
//     arguments): there libseccomp's tests define nothing, and its answer
//     follows the order of its rule tree (argument, operator family, value)
//     or the order the rules were added in. internal/difftest holds this
//     rule to libseccomp 2.5.4.
//  6. No rule matched: DefaultAction.
func (p *Policy) Decide(auditArch, nr uint32, args *[6]uint64) Decision {
	var group [2]*ArchPolicy
	n := 0
	for _, ap := range p.Arches {
		if ap.Arch.AuditArch == auditArch && n < 2 {
			group[n] = ap
			n++
		}
	}
	if n == 0 {
		return Decision{Action: p.BadArch, Why: WhyBadArch}
	}
	// The ABI whose numbers nr belongs to.
	owner := group[0]
	if auditArch == auditArchX86_64 {
		x32 := nr&syscalls.X32SyscallBit != 0
		owner = nil
		for _, ap := range group[:n] {
			if ap.Arch.IsX32() == x32 {
				owner = ap
			}
		}
		if p.ENOSYSApplies() && owner != nil && owner.MaxNr > 0 && nr > owner.MaxNr {
			return Decision{Action: Errno(ENOSYS), Why: WhyENOSYS}
		}
		if n == 1 {
			// Only one of the two ABIs: libseccomp filters the other one
			// out by nr >= X32SyscallBit (not by the bit alone), so on an
			// x86_64-only filter 0x80000000-0xbfffffff are bad-arch too.
			only := group[0]
			if only.Arch.IsX32() != (nr >= syscalls.X32SyscallBit) {
				if !only.Arch.IsX32() && nr == 0xffffffff {
					return Decision{Action: p.DefaultAction, Why: WhyDefault}
				}
				return Decision{Action: p.BadArch, Why: WhyBadArch}
			}
			owner = only
		}
		if owner == nil {
			return Decision{Action: p.BadArch, Why: WhyBadArch}
		}
	} else if p.ENOSYSApplies() && owner.MaxNr > 0 {
		if nr == 0 && (owner.Arch.Name == "s390" || owner.Arch.Name == "s390x") {
			return Decision{Action: Errno(ENOSYS), Why: WhyENOSYS}
		}
		if nr > owner.MaxNr {
			return Decision{Action: Errno(ENOSYS), Why: WhyENOSYS}
		}
	}
	return owner.decideRules(nr, args, p.DefaultAction)
}

func (ap *ArchPolicy) decideRules(nr uint32, args *[6]uint64, def Action) Decision {
	is64 := ap.Arch.Is64()
	top := -1
	for i := range ap.Rules {
		r := &ap.Rules[i]
		if r.Nr != nr {
			continue
		}
		if r.Unconditional(is64) {
			return Decision{Action: r.Action, Rule: r, Why: WhyRule}
		}
	}
	for i := range ap.Rules {
		r := &ap.Rules[i]
		if r.Nr == nr && r.Action.Precedence() > top && r.Matches(args, is64) {
			top = r.Action.Precedence()
		}
	}
	if top < 0 {
		return Decision{Action: def, Why: WhyDefault}
	}
	// The first matching rule of that precedence that no other matching
	// rule tightens. One always exists: Tightens moves one value strictly
	// in one direction, so it has no cycles.
	var first *Rule
	for i := range ap.Rules {
		r := &ap.Rules[i]
		if r.Nr != nr || r.Action.Precedence() != top || !r.Matches(args, is64) {
			continue
		}
		if first == nil {
			first = r
		}
		if !ap.tightened(r, args, is64) {
			return Decision{Action: r.Action, Rule: r, Why: WhyRule}
		}
	}
	return Decision{Action: first.Action, Rule: first, Why: WhyRule}
}

// tightened reports whether a matching rule of the same kind with other
// data tightens r (rule 5).
func (ap *ArchPolicy) tightened(r *Rule, args *[6]uint64, is64 bool) bool {
	for i := range ap.Rules {
		s := &ap.Rules[i]
		if s == r || s.Nr != r.Nr || s.Action == r.Action || s.Action.Kind() != r.Action.Kind() {
			continue
		}
		if _, ok := s.Tightens(r, is64); ok && s.Matches(args, is64) {
			return true
		}
	}
	return false
}

// direction is +1 for > and >=, -1 for < and <=, 0 for the others.
func (c Cond) direction() int {
	switch c.Op {
	case OpGt, OpGe:
		return 1
	case OpLt, OpLe:
		return -1
	}
	return 0
}

// canonical returns the condition as a filter of that ABI compares it: on
// 32-bit ABIs only the low words of Value and Mask; for MASKED_EQ the
// datum masked.
func (c Cond) canonical(is64 bool) Cond {
	if !is64 {
		c.Value, c.Mask = uint64(uint32(c.Value)), uint64(uint32(c.Mask))
	}
	if c.Op == OpMaskedEq {
		c.Value &= c.Mask
	} else {
		c.Mask = 0
	}
	return c
}

// Tightens reports whether s is r with one of r's <, <=, > or >=
// comparisons replaced by a tighter one in the same direction on the same
// argument (a larger value for > and >=, a smaller one for < and <=), all
// their other conditions being the same, and returns that comparison of s.
// Every call s matches, r matches too: s is the more specific rule, which
// wins over r when both match (Decide's rule 5). Conditions are compared
// as the ABI compares them (low words on 32-bit ABIs); those that compare
// nothing (MASKED_EQ with an empty mask) do not count.
func (s *Rule) Tightens(r *Rule, is64 bool) (Cond, bool) {
	n := 0
	for _, c := range r.Conds {
		if !c.NoOp(is64) {
			n++
		}
	}
	m := 0
	for _, c := range s.Conds {
		if !c.NoOp(is64) {
			m++
		}
	}
	if n != m || n == 0 {
		return Cond{}, false
	}
	for i, x := range r.Conds {
		d := x.direction()
		if d == 0 || x.NoOp(is64) {
			continue
		}
		x = x.canonical(is64)
		for j, y := range s.Conds {
			if y.Arg != x.Arg || y.direction() != d {
				continue
			}
			y = y.canonical(is64)
			if d > 0 && y.Value <= x.Value || d < 0 && y.Value >= x.Value {
				continue
			}
			if sameConds(r.Conds, i, s.Conds, j, is64) {
				return y, true
			}
		}
	}
	return Cond{}, false
}

// sameConds reports whether a without a[i] and b without b[j] hold the
// same conditions as a multiset, as the ABI compares them.
func sameConds(a []Cond, i int, b []Cond, j int, is64 bool) bool {
	count := func(cs []Cond, skip int, c Cond) int {
		k := 0
		for l, d := range cs {
			if l != skip && !d.NoOp(is64) && d.canonical(is64) == c {
				k++
			}
		}
		return k
	}
	for l, c := range a {
		if l == i || c.NoOp(is64) {
			continue
		}
		c = c.canonical(is64)
		if count(a, i, c) != count(b, j, c) {
			return false
		}
	}
	return true
}
