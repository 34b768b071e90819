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
//  4. Otherwise the conditional rules that match: if their actions agree,
//     that action (libseccomp ORs same-action rules). If they differ,
//     libseccomp's answer depends on the internal order of its argument
//     tree (or it refuses the profile with EEXIST); sysfence instead gives
//     the matching action of highest kernel precedence (KILL_PROCESS >
//     KILL_THREAD > TRAP > ERRNO > USER_NOTIF > TRACE > LOG > ALLOW), so a
//     call is never treated more permissively than any rule that matches.
//     Among equal-precedence actions with different data (ERRNO(1) vs
//     ERRNO(2)) the first matching rule in profile order wins.
//  5. No rule matched: DefaultAction.
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
	var best *Rule
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
		if r.Nr != nr || !r.Matches(args, is64) {
			continue
		}
		if best == nil || r.Action.Precedence() > best.Action.Precedence() {
			best = r
		}
	}
	if best != nil {
		return Decision{Action: best.Action, Rule: best, Why: WhyRule}
	}
	return Decision{Action: def, Why: WhyDefault}
}
