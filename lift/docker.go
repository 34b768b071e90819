package lift

import (
	"fmt"
	"slices"
	"sort"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/compile"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// Profile writes f, whose exact policy p is (from Policy), as a Docker
// profile, and checks it: the profile is resolved for p's native ABI,
// turned into a policy as runc and libseccomp would (policy.FromOCI),
// compiled, lifted and compared with f. Syscalls are named per ABI; a
// name stands for every ABI of the profile that has it, as in any Docker
// profile.
//
// notes are remarks on how to use the profile (a filter without runc's
// ENOSYS rule: the profile is exact when compiled with --no-enosys). The
// error is a *NotExpressibleError when the format cannot say what f
// decides: a bad-arch action other than KILL_THREAD, a syscall allowed on
// one ABI and denied on another that has it too, a number without a name,
// an action Docker has no name for.
func (f Func) Profile(p *policy.Policy) (prof *profile.Profile, notes []string, err error) {
	fail := func(reasons ...string) (*profile.Profile, []string, error) {
		return nil, nil, &NotExpressibleError{Format: "Docker profile", Reasons: reasons}
	}
	var reasons []string
	if p.BadArch != policy.ActKillThread {
		reasons = append(reasons, fmt.Sprintf("other architectures get %v, where runc always answers KILL_THREAD", p.BadArch))
	}
	if why := dockerAction(p.DefaultAction); why != "" {
		reasons = append(reasons, "the default action "+why)
	} else if p.DefaultAction == policy.ActUserNotif {
		reasons = append(reasons, "the default action is USER_NOTIF, which runc refuses as a default")
	}
	if len(reasons) > 0 {
		return fail(reasons...)
	}
	t, err := f.Table()
	if err != nil {
		return nil, nil, err
	}
	s := &seccomp.Seccomp{}
	s.DefaultAction, s.DefaultErrnoRet = ociAction(p.DefaultAction)
	for _, ap := range p.Arches {
		s.Architectures = append(s.Architectures, specs.Arch(ap.Arch.OCI))
	}
	// Entries keyed by action and arguments, names in the order met.
	type key struct {
		act  policy.Action
		args string
	}
	var order []key
	entries := map[key]*seccomp.Syscall{}
	add := func(name string, act policy.Action, args []specs.LinuxSeccompArg) {
		k := key{act, fmt.Sprint(args)}
		e, ok := entries[k]
		if !ok {
			e = &seccomp.Syscall{}
			e.Action, e.ErrnoRet = ociAction(act)
			e.Args = args
			entries[k] = e
			order = append(order, k)
		}
		if !slices.Contains(e.Names, name) {
			e.Names = append(e.Names, name)
		}
	}
	// ABI by ABI, native first: a name's entries, once written, stand
	// for every ABI that has the name; a later ABI only adds entries for
	// names not written yet, and must agree with those that are.
	// 64-bit ABIs first: a condition written for one reads the same on a
	// 32-bit ABI (which compares low words), not the other way round.
	arches := slices.Clone(p.Arches)
	sort.SliceStable(arches, func(i, j int) bool { return arches[i].Arch.Is64() && !arches[j].Arch.Is64() })
	for _, ap := range arches {
		abi := t.ABI(ap.Arch)
		if abi == nil {
			continue // every number gets the bad-arch action
		}
		oci := s.LinuxSeccomp
		for _, k := range order {
			oci.Syscalls = append(oci.Syscalls, entries[k].LinuxSyscall)
		}
		q, _, err := policy.FromOCI(&oci, ap.Arch, policy.Options{})
		if err != nil {
			return nil, nil, err
		}
		named := map[string]bool{}
		for _, k := range order {
			for _, n := range entries[k].Names {
				named[n] = true
			}
		}
		written := map[uint32][]policy.Rule{}
		for _, r := range q.Arches[0].Rules {
			written[r.Nr] = append(written[r.Nr], r)
		}
		var nrs []uint32
		for _, r := range ap.Rules {
			nrs = append(nrs, r.Nr)
		}
		for nr := range written {
			if !p.ENOSYSApplies() || nr <= ap.MaxNr {
				nrs = append(nrs, nr)
			}
		}
		slices.Sort(nrs)
		for _, nr := range slices.Compact(nrs) {
			name, ok := ap.Arch.SyscallName(nr)
			if !ok {
				reasons = append(reasons, fmt.Sprintf("%s number %s has rules but no name", ap.Arch.Name, Num(uint64(nr))))
				continue
			}
			r := abi.Find(nr)
			if r == nil {
				continue
			}
			want := r.Out
			// Rules at nr that come only from other names (socketcall's
			// from socket's entries, on ABIs that multiplex) do not
			// stand for the name itself.
			if rules, ok := written[nr]; ok && named[name] {
				if got := f.s.RulesFunc(ap.Arch, rules, p.DefaultAction); !got.Equal(want) {
					reasons = append(reasons, fmt.Sprintf("%s %s: the filter answers %s, but a profile's entries for %s stand for every ABI, and those another ABI needs answer %s here",
						ap.Arch.Name, name, outString(want), name, outString(got)))
				}
				continue
			}
			if v, ok := want.Const(); ok {
				if why := dockerAction(policy.Action(v)); why != "" {
					reasons = append(reasons, fmt.Sprintf("%s %s: %s", ap.Arch.Name, name, why))
				}
				add(name, policy.Action(v), nil)
				continue
			}
			covers, why := actionCovers(ap.Arch, want, p.DefaultAction, true)
			if why != "" {
				reasons = append(reasons, fmt.Sprintf("%s %s: %s", ap.Arch.Name, name, why))
				continue
			}
			for _, c := range covers {
				if why := dockerAction(c.act); why != "" {
					reasons = append(reasons, fmt.Sprintf("%s %s: %s", ap.Arch.Name, name, why))
				}
				for _, conds := range c.alts {
					add(name, c.act, ociArgs(conds))
				}
			}
		}
	}
	if len(reasons) > 0 {
		return fail(reasons...)
	}
	for _, k := range order {
		s.Syscalls = append(s.Syscalls, entries[k])
	}
	// runc's ENOSYS rule starts above the highest number any name of the
	// profile has on each ABI: name the one the filter starts after.
	if p.ENOSYSApplies() {
		var extra []string
		for _, ap := range p.Arches {
			if highest(s, ap.Arch) >= ap.MaxNr {
				continue
			}
			name, ok := ap.Arch.SyscallName(ap.MaxNr)
			if !ok {
				return fail(fmt.Sprintf("%s answers ENOSYS above number %s, which has no name for a profile to list", ap.Arch.Name, Num(uint64(ap.MaxNr))))
			}
			extra = append(extra, name)
		}
		if len(extra) > 0 {
			e := &seccomp.Syscall{Comment: "named so that runc's ENOSYS answer starts above it, as in the filter"}
			e.Names = extra
			e.Action, e.ErrnoRet = ociAction(p.DefaultAction)
			s.Syscalls = append(s.Syscalls, e)
		}
	} else if !allowLike(p.DefaultAction) {
		notes = append(notes, "the filter has no ENOSYS answer for syscalls newer than it names, which runc adds: the profile is exact when compiled with --no-enosys")
	}
	prof = profile.New(s, nil)
	if diffs := verifyProfile(f, prof, p); len(diffs) > 0 {
		return fail(diffs...)
	}
	return prof, notes, nil
}

// verifyProfile builds prof as runc and libseccomp would for p's native
// ABI (ENOSYS as in p), lifts the program and compares it with f.
func verifyProfile(f Func, prof *profile.Profile, p *policy.Policy) []string {
	native := p.Arches[0].Arch
	r, err := profile.Resolve(prof, profile.Target{Arch: native, Caps: profile.DockerDefaultCaps()})
	if err != nil {
		return []string{err.Error()}
	}
	q, _, err := policy.FromOCI(r.OCI, native, policy.Options{ENOSYS: p.ENOSYS})
	if err != nil {
		return []string{err.Error()}
	}
	prog, err := compile.Compile(q, compile.Options{})
	if err != nil {
		return []string{err.Error()}
	}
	g, err := f.s.Program(prog.Filter, native.BigEndian)
	if err != nil {
		return []string{err.Error()}
	}
	return Mismatch(f, g, "the filter", "the profile", 8)
}

// highest is runc's findLastSyscalls for one ABI: the highest number any
// name of the profile has there (socket and IPC names do not count on
// ABIs that multiplex them).
func highest(s *seccomp.Seccomp, a *syscalls.Arch) uint32 {
	var top uint32
	for _, e := range s.Syscalls {
		for _, n := range e.Names {
			if _, mux := a.Mux(n); mux {
				continue
			}
			if nr, ok := a.Number(n); ok && nr > top {
				top = nr
			}
		}
	}
	return top
}

// dockerAction says why an action has no Docker spelling ("" if it has).
func dockerAction(a policy.Action) string {
	switch a.Kind() {
	case policy.ActErrno:
		if a.Data() > 4095 {
			return fmt.Sprintf("is %v, above the errno runc accepts (4095)", a)
		}
		return ""
	case policy.ActTrace:
		return ""
	case policy.ActKillProcess, policy.ActKillThread, policy.ActTrap, policy.ActLog, policy.ActAllow, policy.ActUserNotif:
		if a.Data() != 0 {
			return fmt.Sprintf("is %#x, %s with data a profile cannot give", uint32(a), a.Kind())
		}
		return ""
	}
	return fmt.Sprintf("is %#x, no action seccomp defines", uint32(a))
}

// ociAction spells an action for a profile.
func ociAction(a policy.Action) (specs.LinuxSeccompAction, *uint) {
	name := specs.LinuxSeccompAction(a.OCIName())
	switch a.Kind() {
	case policy.ActErrno, policy.ActTrace:
		v := uint(a.Data())
		return name, &v
	}
	return name, nil
}

func ociArgs(conds []policy.Cond) []specs.LinuxSeccompArg {
	var out []specs.LinuxSeccompArg
	for _, c := range conds {
		a := specs.LinuxSeccompArg{Index: uint(c.Arg), Op: specs.LinuxSeccompOperator(c.Op.String()), Value: c.Value}
		if c.Op == policy.OpMaskedEq {
			a.Value, a.ValueTwo = c.Mask, c.Value
		}
		out = append(out, a)
	}
	return out
}

// allowLike is policy's rule: runc adds no ENOSYS answer under an ALLOW,
// LOG or TRACE default.
func allowLike(a policy.Action) bool {
	switch a.Kind() {
	case policy.ActAllow, policy.ActLog, policy.ActTrace:
		return true
	}
	return false
}
