package lint

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/internal/argspace"
	"github.com/sysfence/sysfence/internal/sysdecode"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// checkUnknownNames: names no architecture has, in every entry of the
// profile (also those its conditions leave out on this target).
func (l *linter) checkUnknownNames() {
	if l.in.Profile == nil {
		return
	}
	for pi, sc := range l.in.Profile.Seccomp.Syscalls {
		for _, n := range profile.EntryNames(sc) {
			if n == "" || syscalls.Known(n) {
				continue
			}
			msg := fmt.Sprintf("unknown syscall %q: no architecture has it, and runc skips it", n)
			if s := syscalls.Suggest(n); s != "" {
				msg = fmt.Sprintf("unknown syscall %q (did you mean %s?): no architecture has it, and runc skips it", n, s)
			}
			l.add(UnknownName, 0, l.nameAnchor(pi, n), n, "", "", msg, n)
		}
	}
}

// checkDuplicates: a name twice in one entry, or in two entries of the
// resolved profile that say exactly the same (action, errno, arguments).
func (l *linter) checkDuplicates() {
	l.dups = map[[2]string]bool{}
	if l.in.Profile == nil || l.in.Resolved == nil {
		return
	}
	for pi, sc := range l.in.Profile.Seccomp.Syscalls {
		names := profile.EntryNames(sc)
		for j, n := range names {
			if k := slices.Index(names[:j], n); k >= 0 {
				at := anchor{fmt.Sprintf("syscalls[%d].names[%d]", pi, j), pi}
				l.add(DuplicateName, 0, at, n, "", "", fmt.Sprintf("%q is named twice in this entry (also names[%d])", n, k), n)
				l.dups[[2]string{fmt.Sprint(pi), n}] = true
			}
		}
	}
	oci := l.in.Resolved.OCI.Syscalls
	for b := range oci {
		for a := 0; a < b; a++ {
			if !sameRule(oci[a], oci[b]) {
				continue
			}
			pa, pb := l.in.Resolved.Entry[a], l.in.Resolved.Entry[b]
			if pa == pb {
				continue
			}
			for _, n := range oci[b].Names {
				if !slices.Contains(oci[a].Names, n) || l.dups[[2]string{fmt.Sprint(pb), n}] {
					continue
				}
				l.dups[[2]string{fmt.Sprint(pb), n}] = true
				l.add(DuplicateName, 0, l.nameAnchor(pb, n), n, "", "",
					fmt.Sprintf("%q is already in %s with the same action and arguments", n, l.entryWhere(pa)), n)
			}
		}
	}
}

func sameRule(a, b specs.LinuxSyscall) bool {
	return a.Action == b.Action && reflect.DeepEqual(a.ErrnoRet, b.ErrnoRet) && reflect.DeepEqual(a.Args, b.Args)
}

// checkSameAsDefault: entries runc skips because their action is the
// default.
func (l *linter) checkSameAsDefault() {
	if l.in.Resolved == nil {
		return
	}
	for oi, sc := range l.in.Resolved.OCI.Syscalls {
		a, err := policy.ActionFromOCI(sc.Action, sc.ErrnoRet)
		if err != nil || a != l.p.DefaultAction {
			continue
		}
		pi := l.in.Resolved.Entry[oi]
		at := anchor{fmt.Sprintf("syscalls[%d].action", pi), pi}
		l.add(SameAsDefault, 0, at, "", "", "", fmt.Sprintf("the action %s is the default action: runc skips this entry (%s), so it does nothing", a, strings.Join(sc.Names, ", ")), sc.Names...)
	}
}

// checkDenyList: a default that allows.
func (l *linter) checkDenyList() {
	if !argspace.Permissive(l.p.DefaultAction) {
		return
	}
	at := noAnchor
	if l.in.Profile != nil {
		at = anchor{"defaultAction", -1}
	}
	l.add(DenyList, 0, at, "", "", "", fmt.Sprintf("the default action is %s: every syscall the profile does not name is allowed, on every ABI of the filter, including those Linux adds later", l.p.DefaultAction))
}

// checkNoENOSYS: no ENOSYS answer above the highest number the profile
// names, where the default denies with another answer.
func (l *linter) checkNoENOSYS() {
	def := l.p.DefaultAction
	if argspace.Permissive(def) || def == policy.Errno(policy.ENOSYS) || def.Kind() == policy.ActTrace || def.Kind() == policy.ActUserNotif {
		return
	}
	at := noAnchor
	if l.in.Profile != nil {
		at = anchor{"defaultAction", -1}
	}
	if !l.p.ENOSYSApplies() {
		for _, ap := range l.p.Arches {
			l.add(NoENOSYS, 0, at, "", ap.Arch.Name, "", fmt.Sprintf("on %%ABIS%%, syscalls the profile does not know get the default %s, not ENOSYS: libc cannot tell \"not allowed\" from \"not implemented\" and does not fall back to older calls", def))
		}
		return
	}
	for _, ap := range l.p.Arches {
		if ap.MaxNr == 0 {
			l.add(NoENOSYS, 0, at, "none", ap.Arch.Name, "", fmt.Sprintf("on %%ABIS%%, runc's ENOSYS rule does not apply (the highest syscall number the profile names there is 0, or it names only socket and IPC calls, which libseccomp resolves to pseudo-numbers on multiplexing ABIs): every call, new ones included, gets the default %s", def))
		}
	}
}

// muxNames are the names socketcall(2) and ipc(2) multiplex, sorted;
// listed on first use, not at every start of sysfence.
var muxNames = sync.OnceValue(func() []string {
	var out []string
	for _, m := range []string{"socketcall", "ipc"} {
		for n := range syscalls.MuxCalls(m) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
})

// refuses reports whether a decision refuses the call for good: not
// permissive, and not an ENOSYS that asks libc to fall back to an older
// call (runc's rule for calls newer than the profile, or an entry that
// answers ENOSYS, as Docker's does for clone3). A default of ENOSYS
// refuses: it is how some profiles deny everything they do not name.
func refuses(d policy.Decision) bool {
	if argspace.Permissive(d.Action) {
		return false
	}
	return d.Action != policy.Errno(policy.ENOSYS) || d.Why == policy.WhyDefault
}

// hasRules reports whether the ABI has rules for nr: the profile filters
// the call on purpose, rather than leaving it to the default.
func hasRules(ap *policy.ArchPolicy, nr uint32) bool {
	for i := range ap.Rules {
		if ap.Rules[i].Nr == nr {
			return true
		}
	}
	return false
}

// filtersOnPurpose reports whether the profile has rules of its own for
// a name on an ABI that refuse some of its calls: argument conditions, or
// an action that is not permissive.
func (l *linter) filtersOnPurpose(ap *policy.ArchPolicy, name string) bool {
	for i := range ap.Rules {
		r := &ap.Rules[i]
		if r.Origin.Name != name {
			continue
		}
		if !argspace.Permissive(r.Action) {
			return true
		}
		if r.Origin.Mux == "" && len(r.Conds) > 0 {
			return true
		}
		// A multiplexer's rule has lost the entry's argument-0
		// condition: look at the entry itself.
		if oi := r.Origin.Entry; r.Origin.Mux != "" && l.in.Resolved != nil && oi >= 0 && len(l.in.Resolved.OCI.Syscalls[oi].Args) > 0 {
			return true
		}
	}
	return false
}

// firstDenied returns a region that refuses (see refuses), or nil.
func firstDenied(regs []argspace.Region) *argspace.Region {
	for i := range regs {
		if refuses(regs[i].Decision) {
			return &regs[i]
		}
	}
	return nil
}

// checkIndirect: calls filtered directly but open through socketcall(2)
// or ipc(2); conditions that libseccomp applies to the multiplexer's
// pointer argument; MIPS o32's syscall(2).
func (l *linter) checkIndirect() {
	for _, ap := range l.p.Arches {
		a := ap.Arch
		if a.Multiplexed {
			for _, name := range muxNames() {
				m, ok := a.Mux(name)
				if !ok {
					continue
				}
				_, mux := argspace.Regions(l.routes.Routes(ap, name))
				if !l.filtersOnPurpose(ap, name) || argspace.StatusOf(mux) != argspace.Allowed {
					continue
				}
				how := "filtered by its arguments"
				if nr, ok := a.Number(name); ok {
					if den := firstDenied(l.direct(ap, name)); den != nil {
						how = fmt.Sprintf("filtered (%s is %s)", sysdecode.Decoder{Arch: a, Native: a}.Call(nr, den.Witness), den.Decision.Action)
					}
				}
				l.add(IndirectCall, 0, l.decisionAnchor(mux[0].Decision), name, a.Name, "", fmt.Sprintf("on %%ABIS%%, %s is %s, but %s(%d, …), which makes the same call, is allowed whatever the call's arguments (by %s): seccomp cannot read them, they are in memory",
					name, how, m.Name, m.Call, l.describe(mux[0].Decision)), name, m.Name)
			}
			// Conditions on other arguments than 0 are compared with
			// the multiplexer's own arguments: a pointer, then nothing.
			for i := range ap.Rules {
				r := &ap.Rules[i]
				if r.Origin.Mux == "" || len(r.Conds) < 2 {
					continue
				}
				var args []string
				for _, c := range r.Conds[1:] {
					args = append(args, fmt.Sprintf("args[%d]", c.Arg))
				}
				l.add(IndirectCall, Warning, l.ruleAnchor(r), "ptr|"+r.Origin.Name, a.Name, "", fmt.Sprintf("on %%ABIS%%, libseccomp also applies this entry to %s through %s, where its condition on %s tests %s's own arguments (a pointer to the call's arguments, and what follows it), not %s's",
					r.Origin.Name, r.Origin.Mux, strings.Join(args, ", "), r.Origin.Mux, r.Origin.Name), r.Origin.Name, r.Origin.Mux)
			}
		}
		if (a.Name == "mips" || a.Name == "mipsel") && argspace.StatusOf(l.direct(ap, "syscall")) != argspace.Denied {
			regs := l.direct(ap, "syscall")
			for i := range regs {
				if argspace.Permissive(regs[i].Decision.Action) {
					l.add(IndirectCall, Note, l.decisionAnchor(regs[i].Decision), "syscall", a.Name, "", "on %ABIS% (o32), syscall(2) (number 4000), which makes the call whose number is its first argument, is allowed: Linux shows seccomp the inner call instead (since MIPS got seccomp filters, 3.15), so the filter never sees 4000 and this allows nothing by itself; remove it rather than rely on what it seems to allow", "syscall")
					break
				}
			}
		}
	}
}

// checkClone3: argument rules on clone while clone3 is allowed.
func (l *linter) checkClone3() {
	for _, ap := range l.p.Arches {
		nr, ok := ap.Arch.Number("clone")
		if !ok || !hasRules(ap, nr) {
			continue
		}
		cl := l.direct(ap, "clone")
		if argspace.StatusOf(cl) != argspace.Partly {
			continue
		}
		for _, rg := range l.direct(ap, "clone3") {
			if !argspace.Permissive(rg.Decision.Action) {
				continue
			}
			den := firstDenied(cl)
			if den == nil {
				break
			}
			flags := sysdecode.Decoder{Arch: ap.Arch, Native: ap.Arch}.Call(nr, den.Witness)
			l.add(Clone3Escape, 0, l.decisionAnchor(rg.Decision), "clone3", ap.Arch.Name, "", fmt.Sprintf("on %%ABIS%%, clone is filtered by its arguments (%s is %s), but clone3 is allowed (by %s): its flags are in memory, where seccomp cannot look, so clone3 does what the clone rules refuse",
				flags, den.Decision.Action, l.describe(rg.Decision)), "clone", "clone3")
			break
		}
	}
}

// checkBadArch: a bad-arch action that lets calls of other ABIs run (a
// filter that does not check seccomp_data.arch: a profile always gets
// KILL_THREAD, as libseccomp's default, but a lifted program may not).
func (l *linter) checkBadArch() {
	if !argspace.Permissive(l.p.BadArch) {
		return
	}
	var abis []string
	for _, ap := range l.p.Arches {
		abis = append(abis, ap.Arch.Name)
	}
	l.add(ABIEscape, 0, noAnchor, "bad-arch", "", "", fmt.Sprintf("calls of the ABIs the filter does not list (it lists %s) are answered %s: a 64-bit program escapes every rule through int 0x80 (i386) or the x32 bit",
		strings.Join(abis, ", "), l.p.BadArch))
}

// checkEscapes: a call the profile filters on purpose, and a sibling
// that does the same (or its variant on another ABI) allowed without
// argument rules.
func (l *linter) checkEscapes() {
	native := l.p.Arches[0].Arch
	for _, ap := range l.p.Arches {
		seen := map[uint32]bool{}
		for i := range ap.Rules {
			r := &ap.Rules[i]
			if r.Origin.Mux != "" || seen[r.Nr] {
				continue
			}
			seen[r.Nr] = true
			x, ok := ap.Arch.SyscallName(r.Nr)
			if !ok || x == "clone" {
				continue // clone's sibling clone3 has a rule of its own
			}
			regs := l.direct(ap, x)
			den := firstDenied(regs)
			if den == nil {
				continue
			}
			example := sysdecode.Decoder{Arch: ap.Arch, Native: ap.Arch}.Call(r.Nr, den.Witness)
			at := l.restrictAnchor(ap, r.Nr)
			for _, y := range candidates(x) {
				for _, bp := range l.p.Arches {
					if _, ok := bp.Arch.Number(y); !ok {
						if _, ok := bp.Arch.Mux(y); !ok {
							continue
						}
					}
					if l.status(bp, y) != argspace.Allowed {
						continue
					}
					by := l.describe(l.allowedBy(bp, y))
					if _, onNative := native.Number(y); !onNative {
						l.add(ABIEscape, 0, at, "abi", bp.Arch.Name, y, fmt.Sprintf("%s is filtered (%s on %s is %s), but on %%ABIS%% the same is done by %%OBJS%%, allowed without argument rules (by %s): rules written for %s's names do not reach them",
							x, example, ap.Arch.Name, den.Decision.Action, by, native.Name), x, y)
						continue
					}
					l.add(SiblingEscape, 0, at, "sibling", bp.Arch.Name, y, fmt.Sprintf("%s is filtered (%s on %s is %s), but the same is done by %%OBJS%%, allowed without argument rules on %%ABIS%% (by %s)",
						x, example, ap.Arch.Name, den.Decision.Action, by), x, y)
				}
			}
		}
	}
}

// candidates lists the calls that can do what x does: its siblings, and
// the other ABIs' variants of both.
func candidates(x string) []string {
	var out []string
	add := func(n string) {
		if n != x && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	sib, vars := siblings(), variants()
	for _, s := range sib[x] {
		add(s)
	}
	for _, v := range vars[x] {
		add(v)
	}
	for _, s := range sib[x] {
		for _, v := range vars[s] {
			add(v)
		}
	}
	return out
}

// restrictAnchor points at the first rule for nr that refuses something
// (an argument rule, or an unconditional denial).
func (l *linter) restrictAnchor(ap *policy.ArchPolicy, nr uint32) anchor {
	for i := range ap.Rules {
		r := &ap.Rules[i]
		if r.Nr == nr && r.Origin.Mux == "" && (len(r.Conds) > 0 || !argspace.Permissive(r.Action)) {
			return l.ruleAnchor(r)
		}
	}
	return noAnchor
}

// allowedBy returns the decision of a call allowed on an ABI through its
// first route.
func (l *linter) allowedBy(ap *policy.ArchPolicy, name string) policy.Decision {
	for _, r := range l.routes.Routes(ap, name) {
		if len(r.Regions) > 0 {
			return r.Regions[0].Decision
		}
	}
	return policy.Decision{}
}

// checkFallbacks: calls with a libc fallback refused with another errno
// than ENOSYS.
func (l *linter) checkFallbacks() {
	for _, ap := range l.p.Arches {
		for _, fb := range fallbacks {
			n := fb.name
			regs := l.direct(ap, n)
			if len(regs) == 0 || argspace.StatusOf(regs) != argspace.Denied {
				continue
			}
			var den *argspace.Region
			for i := range regs {
				if regs[i].Decision.Action != policy.Errno(policy.ENOSYS) {
					den = &regs[i]
					break
				}
			}
			if den == nil || den.Decision.Why == policy.WhyDefault && !l.enosysOn(ap) {
				continue // no-enosys reports the default's answer there
			}
			l.add(ENOSYSFallback, 0, l.decisionAnchor(den.Decision), n, ap.Arch.Name, "", fmt.Sprintf("on %%ABIS%%, %s is answered %s (by %s), not ERRNO(ENOSYS): %s", n, den.Decision.Action, l.describe(den.Decision), fb.why), n)
		}
	}
}

// enosysOn reports whether runc's ENOSYS rule answers on an ABI.
func (l *linter) enosysOn(ap *policy.ArchPolicy) bool { return l.p.ENOSYSApplies() && ap.MaxNr > 0 }

// checkDangerous: dangerous calls allowed for any arguments.
func (l *linter) checkDangerous() {
	for _, ap := range l.p.Arches {
		for _, dc := range dangerous {
			n := dc.name
			if l.status(ap, n) != argspace.Allowed {
				continue
			}
			d := l.allowedBy(ap, n)
			if d.Why == policy.WhyDefault {
				// A deny-list allows them all: one finding lists them.
				l.add(DangerousCall, 0, l.decisionAnchor(d), "default", ap.Arch.Name, n, fmt.Sprintf("the default action %s allows dangerous calls for any arguments on %%ABIS%%: %%OBJS%%", d.Action), n)
				continue
			}
			l.add(DangerousCall, 0, l.decisionAnchor(d), n, ap.Arch.Name, "", fmt.Sprintf("%s is allowed for any arguments on %%ABIS%% (by %s): it %s", n, l.describe(d), dc.why), n)
		}
	}
}

// checkNeverMatches: argument conditions that cannot hold as written, on
// the ABIs where the entry has rules.
func (l *linter) checkNeverMatches() {
	if l.in.Resolved == nil {
		return
	}
	abis := map[int][]*policy.ArchPolicy{} // OCI entry -> ABIs where it made rules
	for _, ap := range l.p.Arches {
		for i := range ap.Rules {
			e := ap.Rules[i].Origin.Entry
			if e >= 0 && !slices.Contains(abis[e], ap) {
				abis[e] = append(abis[e], ap)
			}
		}
	}
	for oi, sc := range l.in.Resolved.OCI.Syscalls {
		pi := l.in.Resolved.Entry[oi]
		for k, arg := range sc.Args {
			op, ok := policy.OpFromOCI(arg.Op)
			if !ok {
				continue
			}
			c := policy.Cond{Arg: uint8(arg.Index), Op: op, Value: arg.Value}
			if op == policy.OpMaskedEq {
				c.Mask, c.Value = arg.Value, arg.ValueTwo
			}
			at := anchor{fmt.Sprintf("syscalls[%d].args[%d]", pi, k), pi}
			for _, ap := range abis[oi] {
				if msg := neverMsg(c, ap.Arch); msg != "" {
					l.add(NeverMatches, 0, at, msg, ap.Arch.Name, "", msg, sc.Names...)
				}
			}
		}
	}
}

// neverMsg says why c cannot hold as written on an ABI, or "".
func neverMsg(c policy.Cond, a *syscalls.Arch) string {
	sp := argspace.ArgSpace(a)
	if sp.Cond(c).IsEmpty() {
		return fmt.Sprintf("%s never holds on %%ABIS%%: no argument value satisfies it, so the rule never matches", c)
	}
	if c.Op == policy.OpMaskedEq && c.Value&^c.Mask != 0 {
		return fmt.Sprintf("%s never holds as written (the value has bits outside the mask); libseccomp compares with %#x instead, so on %%ABIS%% the rule matches when (args[%d] & %#x) == %#x", c, c.Value&c.Mask, c.Arg, c.Mask, c.Value&c.Mask)
	}
	if !a.Is64() {
		for _, v := range []uint64{c.Value, c.Mask} {
			if v == c.Mask && c.Op != policy.OpMaskedEq {
				continue
			}
			if v>>32 != 0 && uint64(int64(int32(uint32(v)))) != v {
				return fmt.Sprintf("%s compares a value above 32 bits, which an argument of %%ABIS%% never has: libseccomp compares the low word only, so the rule matches %s there", c, policy.Cond{Arg: c.Arg, Op: c.Op, Value: uint64(uint32(c.Value)), Mask: uint64(uint32(c.Mask))})
			}
		}
	}
	return ""
}

// checkShadowed: entries (or names of an entry) that never decide a call,
// on any ABI, because other rules decide every call they match.
func (l *linter) checkShadowed() {
	if l.in.Resolved == nil {
		return
	}
	type nameKey struct {
		pi   int
		name string
	}
	alive := map[nameKey]bool{}
	deciders := map[nameKey][]*policy.Rule{}
	abis := map[nameKey][]string{}
	var order []nameKey
	for _, ap := range l.p.Arches {
		is64 := ap.Arch.Is64()
		byNr := map[uint32][]*policy.Rule{}
		var nrs []uint32
		for i := range ap.Rules {
			r := &ap.Rules[i]
			if r.Origin.Mux != "" || r.Origin.Entry < 0 {
				continue
			}
			if _, ok := byNr[r.Nr]; !ok {
				nrs = append(nrs, r.Nr)
			}
			byNr[r.Nr] = append(byNr[r.Nr], r)
		}
		for _, nr := range nrs {
			rules := byNr[nr]
			var first *policy.Rule // the first unconditional rule decides every call
			for _, r := range rules {
				if r.Unconditional(is64) {
					first = r
					break
				}
			}
			var regs []argspace.Region
			if first == nil && len(rules) > 1 {
				regs = l.direct(ap, rules[0].Origin.Name) // the regions of nr
			}
			for _, r := range rules {
				k := nameKey{l.in.Resolved.Entry[r.Origin.Entry], r.Origin.Name}
				if _, ok := alive[k]; !ok {
					order = append(order, k)
					alive[k] = false
				}
				if !slices.Contains(abis[k], ap.Arch.Name) {
					abis[k] = append(abis[k], ap.Arch.Name)
				}
				if !canMatch(r, ap.Arch) {
					alive[k] = true // never-matches reports it
					continue
				}
				switch {
				case first != nil && r != first:
					deciders[k] = append(deciders[k], first)
				case first != nil || len(rules) == 1:
					alive[k] = true
				default:
					for i := range regs {
						if !r.Matches(&regs[i].Witness, is64) {
							continue
						}
						if regs[i].Decision.Rule == r {
							alive[k] = true
							break
						}
						deciders[k] = append(deciders[k], regs[i].Decision.Rule)
					}
				}
			}
		}
	}
	for _, k := range order {
		if alive[k] || l.dups[[2]string{fmt.Sprint(k.pi), k.name}] || len(deciders[k]) == 0 {
			continue
		}
		d := deciders[k][0]
		by := l.entryWhere(l.in.Resolved.Entry[d.Origin.Entry])
		why := "its first unconditional rule"
		if !d.Unconditional(true) {
			why = "a rule that matches first or acts more strictly"
		}
		l.add(Shadowed, 0, l.nameAnchor(k.pi, k.name), k.name, "", "", fmt.Sprintf("this entry never decides %s on %s: %s, %s for %s, decides every call it matches (%s)",
			k.name, joinAnd(abis[k]), by, why, k.name, d), k.name)
	}
}

// canMatch reports whether some call satisfies every condition of r.
func canMatch(r *policy.Rule, a *syscalls.Arch) bool {
	sp := argspace.ArgSpace(a)
	for _, c := range r.Conds {
		if !c.NoOp(a.Is64()) && sp.Cond(c).IsEmpty() {
			return false
		}
	}
	return true
}
