package explain

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sysfence/sysfence/internal/argspace"
	"github.com/sysfence/sysfence/internal/sysdecode"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// errnoName returns the name of an errno number ("EPERM"), or "".
func errnoName(n uint16) string {
	name, _ := profile.ErrnoName(uint(n))
	return name
}

// actionWords says what an action does: "ERRNO(1) (EPERM)", "ALLOW".
func actionWords(a policy.Action) string {
	switch a.Kind() {
	case policy.ActKillThread:
		return "KILL (the thread is killed)"
	case policy.ActKillProcess:
		return "KILL_PROCESS (the process is killed)"
	}
	if a.Kind() == policy.ActErrno {
		if n := errnoName(a.Data()); n != "" {
			return fmt.Sprintf("%s (%s)", a, n)
		}
	}
	return a.String()
}

// verb says what an action does to a call, after "is": "allowed",
// "refused with EPERM".
func verb(a policy.Action) string {
	switch a.Kind() {
	case policy.ActAllow:
		return "allowed"
	case policy.ActLog:
		return "allowed and logged"
	case policy.ActErrno:
		if n := errnoName(a.Data()); n != "" {
			return "refused with " + n
		}
		return fmt.Sprintf("refused with errno %d", a.Data())
	case policy.ActKillThread:
		return "killed (the thread)"
	case policy.ActKillProcess:
		return "killed (the process)"
	case policy.ActTrap:
		return "trapped (SIGSYS)"
	case policy.ActTrace:
		return fmt.Sprintf("handed to a tracer (TRACE(%d))", a.Data())
	case policy.ActUserNotif:
		return "handed to a supervisor (USER_NOTIF)"
	}
	return a.String()
}

// argNames names the arguments rules usually look at (a switch: nothing
// is built at start-up).
func argNames(call string) [6]string {
	switch call {
	case "socket", "socketpair":
		return [6]string{"family", "type", "protocol"}
	case "clone", "unshare":
		return [6]string{"flags"}
	case "setns":
		return [6]string{"fd", "nstype"}
	case "personality":
		return [6]string{"persona"}
	case "prctl":
		return [6]string{"option"}
	case "ioctl":
		return [6]string{"fd", "request"}
	case "socketcall":
		return [6]string{"call", "args"}
	case "ipc":
		return [6]string{"call", "first", "second", "third", "ptr", "fifth"}
	case "fcntl":
		return [6]string{"fd", "cmd"}
	case "open":
		return [6]string{"path", "flags", "mode"}
	case "openat":
		return [6]string{"dirfd", "path", "flags", "mode"}
	case "mmap":
		return [6]string{"addr", "length", "prot", "flags", "fd", "offset"}
	case "mprotect":
		return [6]string{"addr", "length", "prot"}
	case "kill":
		return [6]string{"pid", "sig"}
	case "tgkill":
		return [6]string{"tgid", "tid", "sig"}
	case "ptrace":
		return [6]string{"request", "pid"}
	case "madvise":
		return [6]string{"addr", "length", "advice"}
	case "setsockopt", "getsockopt":
		return [6]string{"fd", "level", "optname"}
	case "bpf":
		return [6]string{"cmd"}
	case "keyctl":
		return [6]string{"operation"}
	case "futex":
		return [6]string{"uaddr", "op"}
	}
	return [6]string{}
}

// argName names argument i of a call on an ABI: "family (args[0])".
func argName(a *syscalls.Arch, call string, i uint8) string {
	names := argNames(call)
	if call == "clone" {
		names = [6]string{}
		names[a.CloneFlagsArg()] = "flags"
	}
	if int(i) < len(names) && names[i] != "" {
		return fmt.Sprintf("%s (args[%d])", names[i], i)
	}
	return fmt.Sprintf("args[%d]", i)
}

// flagNames spells a mask of CLONE_* flags with sysdecode's names, or ""
// when it has other bits (the exit signal's byte, unnamed flags).
func flagNames(m uint64) string {
	if m == 0 || m&0xff != 0 || m>>32 != 0 {
		return ""
	}
	s := sysdecode.Decoder{}.Arg(sysdecode.ArgCloneFlags, m, 0)
	if strings.Contains(s, "0x") {
		return "" // bits sysdecode has no name for
	}
	return strings.ReplaceAll(s, "|", ", ")
}

// isFlags reports whether the argument holds CLONE_* flags.
func isFlags(a *syscalls.Arch, call string, i uint8) bool {
	n := argNames(call)
	if call == "clone" {
		return i == a.CloneFlagsArg()
	}
	return int(i) < len(n) && (n[i] == "flags" || n[i] == "nstype") && (call == "clone" || call == "unshare" || call == "setns")
}

// value prints an argument value: a family's or an ioctl's name, small
// numbers in decimal, others in hex.
func value(a *syscalls.Arch, call string, i uint8, v uint64) string {
	if (call == "socket" || call == "socketpair") && i == 0 && v < uint64(len(sysdecode.AddressFamilies)) {
		return sysdecode.AddressFamilies[v]
	}
	if name, ok := sysdecode.IoctlName(a, v); ok && call == "ioctl" && i == 1 {
		return name
	}
	return num(v)
}

// num writes a number: small ones in decimal, others in hex.
func num(v uint64) string {
	if v < 10 {
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%#x", v)
}

// condWords says what a condition asks of an argument, after its name:
// "is 8", "is below 3", "has none of CLONE_NEWNS, CLONE_NEWUSER".
func condWords(a *syscalls.Arch, call string, c policy.Cond) string {
	v := c.Value
	if !a.Is64() {
		v = uint64(uint32(v))
	}
	// A range of families also says which families it holds.
	names := func(lo, hi uint64) string {
		if (call != "socket" && call != "socketpair") || c.Arg != 0 || hi >= uint64(len(sysdecode.AddressFamilies)) || hi-lo > 3 || lo > hi {
			return ""
		}
		return " (" + strings.Join(sysdecode.AddressFamilies[lo:hi+1], ", ") + ")"
	}
	switch c.Op {
	case policy.OpEq:
		return "is " + value(a, call, c.Arg, v)
	case policy.OpNe:
		return "is not " + value(a, call, c.Arg, v)
	case policy.OpLt:
		if v == 0 {
			return "is below 0"
		}
		return "is below " + num(v) + names(0, v-1)
	case policy.OpLe:
		return "is at most " + num(v) + names(0, v)
	case policy.OpGt:
		return "is above " + num(v)
	case policy.OpGe:
		return "is at least " + num(v)
	case policy.OpMaskedEq:
		m := c.Mask
		if !a.Is64() {
			m = uint64(uint32(m))
		}
		if isFlags(a, call, c.Arg) {
			if fl := flagNames(m); fl != "" {
				switch v & m {
				case 0:
					return "has none of " + fl
				case m:
					return "has all of " + fl
				}
			}
		}
		return fmt.Sprintf("masked with %#x is %s", m, num(v&m))
	}
	return c.String()
}

// ruleWords says when a rule matches: "family (args[0]) is AF_UNIX and
// type (args[1]) is 1".
func ruleWords(a *syscalls.Arch, call string, r *policy.Rule) string {
	var parts []string
	for _, c := range r.Conds {
		if c.NoOp(a.Is64()) {
			continue
		}
		parts = append(parts, argName(a, call, c.Arg)+" "+condWords(a, call, c))
	}
	return strings.Join(parts, " and ")
}

// sameArgEqs reports whether every rule has one condition, of the same
// argument, and returns the argument; such rules read as a list.
func sameArg(rules []*policy.Rule) (uint8, bool) {
	var arg uint8
	for i, r := range rules {
		if len(r.Conds) != 1 {
			return 0, false
		}
		if i == 0 {
			arg = r.Conds[0].Arg
		} else if r.Conds[0].Arg != arg {
			return 0, false
		}
	}
	return arg, len(rules) > 0
}

// listWords joins alternatives: "0, 8 or 0x20000".
func listWords(ws []string) string {
	if len(ws) <= 1 {
		return strings.Join(ws, "")
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " or " + ws[len(ws)-1]
}

// describe says in words what the rules for nr on an ABI do with a
// call's arguments: "allowed only when persona (args[0]) is 0, 8,
// 0x20000, 0x20008 or 0xffffffff; otherwise refused with EPERM (the
// default)". It returns "" when the call's answer does not depend on its
// arguments.
func describe(p *policy.Policy, ap *policy.ArchPolicy, call string, nr uint32, regs []argspace.Region) string {
	if argspace.StatusOf(regs) != argspace.Partly && !mixed(regs) {
		return ""
	}
	if text, ok := lowWordExceptions(ap, call, nr, regs); ok {
		return text
	}
	// Rules a multiplexer (socketcall, ipc) got on behalf of a call it
	// carries have the multiplexer's number: they are part of what it
	// does, and say which call they stand for.
	var rules []*policy.Rule
	for i := range ap.Rules {
		r := &ap.Rules[i]
		if r.Nr == nr {
			rules = append(rules, r)
		}
	}
	// A rule the profile gives the multiplexer itself says the same.
	own := slices.Clone(rules)
	rules = slices.DeleteFunc(rules, func(m *policy.Rule) bool {
		return m.Origin.Mux != "" && slices.ContainsFunc(own, func(d *policy.Rule) bool {
			return d.Origin.Mux == "" && d.Action == m.Action && slices.Equal(d.Conds, m.Conds)
		})
	})
	// Actions in the order Decide ranks them: strictest first.
	var acts []policy.Action
	for _, r := range rules {
		if !slices.Contains(acts, r.Action) {
			acts = append(acts, r.Action)
		}
	}
	slices.SortStableFunc(acts, func(x, y policy.Action) int { return y.Precedence() - x.Precedence() })
	var parts []string
	for _, act := range acts {
		var rs []*policy.Rule
		for _, r := range rules {
			if r.Action == act {
				rs = append(rs, r)
			}
		}
		var when string
		if arg, ok := sameArg(rs); ok {
			var alts []string
			is := true
			for _, r := range rs {
				w := condWords(ap.Arch, call, r.Conds[0]) + onBehalf(r)
				is = is && strings.HasPrefix(w, "is ")
				alts = append(alts, w)
			}
			if is {
				for i := range alts {
					alts[i] = strings.TrimPrefix(alts[i], "is ")
				}
				when = argName(ap.Arch, call, arg) + " is " + listWords(alts)
			} else {
				when = argName(ap.Arch, call, arg) + " " + listWords(alts)
			}
		} else {
			var alts []string
			for _, r := range rs {
				alts = append(alts, ruleWords(ap.Arch, call, r)+onBehalf(r))
			}
			when = strings.Join(alts, ", or when ")
		}
		parts = append(parts, verb(act)+" when "+when)
	}
	text := strings.Join(parts, "; ")
	if len(parts) == 1 {
		text = strings.Replace(text, " when ", " only when ", 1)
	}
	for _, rg := range regs {
		if rg.Decision.Why == policy.WhyDefault {
			return text + "; otherwise " + verb(p.DefaultAction) + " (the default)"
		}
	}
	return text
}

// lowWordExceptions words a call whose answer is one action except for a
// few values of the low 32 bits of one argument: "allowed only when the
// low 32 bits of request (args[1]) are not 0x5412 or 0x541c; otherwise
// refused with EPERM (the default)". A 64-bit policy can only write that
// as one rule per bit (a lifted `sysfence run` filter holds 32 of them
// for ioctl), which read as a list of 32 masks. It applies where the
// rules are that many (more than 8), so that what a profile wrote in a
// few rules is still worded rule by rule.
func lowWordExceptions(ap *policy.ArchPolicy, call string, nr uint32, regs []argspace.Region) (string, bool) {
	if !ap.Arch.Is64() || len(regs) == 0 {
		return "", false
	}
	n := 0
	for i := range ap.Rules {
		if ap.Rules[i].Nr == nr {
			n++
		}
	}
	if n <= 8 {
		return "", false
	}
	k := -1
	sets := map[policy.Action]argspace.Set{}
	var acts []policy.Action
	for ri := range regs {
		rg := &regs[ri]
		for i := range rg.Args {
			if rg.Args[i].IsUniverse() {
				continue
			}
			if k >= 0 && i != k {
				return "", false
			}
			k = i
		}
		act := rg.Decision.Action
		if _, ok := sets[act]; !ok {
			acts = append(acts, act)
			sets[act] = rg.Args[0].Space().Empty()
		}
	}
	if k < 0 || len(acts) != 2 {
		return "", false
	}
	for _, rg := range regs {
		sets[rg.Decision.Action] = sets[rg.Decision.Action].Or(rg.Args[k])
	}
	for _, pair := range [2][2]policy.Action{{acts[0], acts[1]}, {acts[1], acts[0]}} {
		main, other := pair[0], pair[1]
		lows, ok := lowValues(sets[other])
		if !ok {
			continue
		}
		var ws []string
		for _, v := range lows {
			ws = append(ws, value(ap.Arch, call, uint8(k), v))
		}
		text := fmt.Sprintf("%s only when the low 32 bits of %s are not %s; otherwise %s",
			verb(main), argName(ap.Arch, call, uint8(k)), listWords(ws), verb(other))
		for _, rg := range regs {
			if rg.Decision.Action == other && rg.Decision.Why == policy.WhyDefault {
				text += " (the default)"
				break
			}
		}
		return text, true
	}
	return "", false
}

// lowValues returns the values of the low 32 bits that make up set, at
// most 4 of them; ok is false where set depends on the high word or holds
// more.
func lowValues(set argspace.Set) ([]uint64, bool) {
	sp := set.Space()
	var lows []uint64
	for rest := set; !rest.IsEmpty(); {
		if len(lows) == 4 {
			return nil, false
		}
		v := uint64(uint32(rest.Min()))
		low := sp.Pattern(v, 0xffffffff)
		if !low.Minus(set).IsEmpty() {
			return nil, false // the high word counts
		}
		lows = append(lows, v)
		rest = rest.Minus(low)
	}
	return lows, len(lows) > 0
}

// onBehalf names the call a multiplexer's rule stands for: " (socket's
// rule; its own arguments are in memory, which seccomp cannot read)".
func onBehalf(r *policy.Rule) string {
	if r.Origin.Mux == "" {
		return ""
	}
	return " (" + r.Origin.Name + "'s rule; its own arguments are in memory, which seccomp cannot read)"
}

// mixed reports whether regions give more than one answer (a call
// refused in two ways depending on its arguments).
func mixed(regs []argspace.Region) bool {
	for i := range regs {
		if regs[i].Decision.Action != regs[0].Decision.Action {
			return true
		}
	}
	return false
}
