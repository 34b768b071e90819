package record

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/syscalls"
)

// ProfileOptions chooses how Observations become a profile.
type ProfileOptions struct {
	// Args emits argument rules for the syscalls of ArgSpecs whose values
	// were recorded completely.
	Args bool
	// For adds what the enforcing runtime itself calls after it loads the
	// filter (see RuntimeSyscalls). Empty means RuntimeSysfence.
	For Runtime
	// DefaultAction is the profile's default; empty means SCMP_ACT_ERRNO
	// with DefaultErrnoRet EPERM.
	DefaultAction   specs.LinuxSeccompAction
	DefaultErrnoRet *uint
	// Native is the ABI listed first in architectures (the one the
	// runtime and the command start in); nil means the running program's.
	Native *syscalls.Arch
}

// Unknown is a syscall number seen on an ABI that has no name for it. A
// Docker profile can only name syscalls, so it is left out of the profile
// and reported instead (never written under an empty or made-up name).
type Unknown struct {
	Arch  *syscalls.Arch
	Nr    uint32
	Calls uint64
}

func (u Unknown) String() string {
	return fmt.Sprintf("syscall %d on %s (%d calls) has no name; it is not in the profile", u.Nr, u.Arch.Name, u.Calls)
}

// Result is a recorded profile, ready for the profile writer.
type Result struct {
	Profile *seccomp.Seccomp
	Unknown []Unknown
}

const errnoEPERM, errnoENOSYS = 1, 38

// nameAgg gathers one syscall name over every ABI.
type nameAgg struct {
	name       string
	calls      uint64
	errors     uint64
	errorsOK   bool
	recordings int
	perArch    []archCalls
	spec       ArgSpec
	hasSpec    bool
	args       map[ArgValues]*argAgg // keyed by masked values
	argsOK     bool                  // every call's values known
	argsSeen   bool
	total      int // recordings merged into the observations
}

type archCalls struct {
	arch  *syscalls.Arch
	calls uint64
}

// argAgg is one argument rule: the masked values and what was seen.
type argAgg struct {
	calls  uint64
	clone3 uint64                 // clone3 calls this clone rule stands in for
	upper  [len(ArgValues{})]bool // an Int32 field had bits above 31 set
}

// Profile turns the observations into the architectures and syscall rules
// of a Docker/OCI profile: one entry per syscall name (and per observed
// argument value where rules restrict arguments), sorted by name, with a
// comment counting the calls. The same observations always give the same
// result.
func (o *Observations) Profile(opts ProfileOptions) (*Result, error) {
	native := opts.Native
	if native == nil {
		n, err := syscalls.Native()
		if err != nil {
			return nil, err
		}
		native = n
	}
	extra, err := RuntimeSyscalls(opts.For)
	if err != nil {
		return nil, err
	}
	res := &Result{Profile: &seccomp.Seccomp{}}
	p := res.Profile
	p.DefaultAction = opts.DefaultAction
	p.DefaultErrnoRet = opts.DefaultErrnoRet
	if p.DefaultAction == "" {
		p.DefaultAction = specs.ActErrno
		if p.DefaultErrnoRet == nil {
			e := uint(errnoEPERM)
			p.DefaultErrnoRet = &e
		}
	}

	// Architectures: the native ABI first, then the others seen.
	p.Architectures = []specs.Arch{specs.Arch(native.OCI)}
	for _, a := range syscalls.Arches() {
		if a != native && o.ABIs[a] != nil && len(o.ABIs[a].Syscalls) > 0 {
			p.Architectures = append(p.Architectures, specs.Arch(a.OCI))
		}
	}

	aggs := map[string]*nameAgg{}
	for _, e := range o.Entries() {
		if e.Name == "" {
			res.Unknown = append(res.Unknown, Unknown{Arch: e.Arch, Nr: e.Nr, Calls: e.Calls})
			continue
		}
		g := aggs[e.Name]
		if g == nil {
			g = &nameAgg{name: e.Name, errorsOK: true, argsOK: true, args: map[ArgValues]*argAgg{}, total: o.Recordings}
			aggs[e.Name] = g
		}
		g.calls += e.Calls
		g.errors += e.Errors
		g.errorsOK = g.errorsOK && e.ErrorsKnown
		g.recordings = max(g.recordings, e.Recordings)
		if e.Arch == native { // the native ABI first in comments
			g.perArch = append([]archCalls{{e.Arch, e.Calls}}, g.perArch...)
		} else {
			g.perArch = append(g.perArch, archCalls{e.Arch, e.Calls})
		}
		spec, ok := ArgSpecFor(e.Arch, e.Nr)
		if !ok {
			continue
		}
		if !g.hasSpec {
			g.spec, g.hasSpec = spec, true
		}
		if e.Args == nil || !e.Args.Complete {
			g.argsOK = false
			continue
		}
		g.argsSeen = true
		for raw, n := range e.Args.Values {
			if !e.Arch.Is64() { // 32-bit ABIs pass (and compare) 32 bits
				raw = ArgValues{uint64(uint32(raw[0])), uint64(uint32(raw[1]))}
			}
			g.addArgs(raw, n)
		}
	}

	var out []*seccomp.Syscall
	if g := aggs["clone3"]; g != nil && opts.Args && g.restrictable() {
		out = append(out, clone3Rules(g, aggs)...)
	}
	for _, n := range extra {
		if aggs[n] == nil {
			aggs[n] = &nameAgg{name: n}
		}
	}
	names := make([]string, 0, len(aggs))
	for n := range aggs {
		if n != "clone3" || !opts.Args || !aggs[n].restrictable() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	extraSet := map[string]bool{}
	for _, n := range extra {
		extraSet[n] = true
	}
	for _, n := range names {
		g := aggs[n]
		if opts.Args && g.restrictable() && !extraSet[n] {
			out = append(out, g.argRules()...)
			continue
		}
		out = append(out, allow(n, g.comment(extraSet[n], opts.For)))
	}
	// Keep the entries sorted by name (clone3's ENOSYS entry included).
	sort.SliceStable(out, func(i, j int) bool { return out[i].Names[0] < out[j].Names[0] })
	p.Syscalls = out
	return res, nil
}

func (g *nameAgg) addArgs(raw ArgValues, n uint64) {
	var key ArgValues
	var upper [len(ArgValues{})]bool
	for i, f := range g.spec.Fields {
		v := raw[i] & f.Mask
		if f.Int32 {
			if raw[i]>>32 != 0 && f.Mask>>32 != 0 {
				upper[i] = true
			}
			v &= 0xffffffff
		}
		key[i] = v
	}
	a := g.args[key]
	if a == nil {
		a = &argAgg{}
		g.args[key] = a
	}
	a.calls += n
	for i := range upper {
		a.upper[i] = a.upper[i] || upper[i]
	}
}

// restrictable reports whether argument rules can be written: the syscall
// has deciding arguments and every call's values are known.
func (g *nameAgg) restrictable() bool { return g.hasSpec && g.argsOK && g.argsSeen }

// argRules writes one entry per observed combination of masked values. A
// single field whose every possible masked value was seen needs no
// condition (e.g. mmap with and without PROT_EXEC).
func (g *nameAgg) argRules() []*seccomp.Syscall {
	if len(g.spec.Fields) == 1 {
		if m := g.spec.Fields[0].Mask; m != whole && bits.OnesCount64(m) <= 8 && len(g.args) == 1<<bits.OnesCount64(m) {
			return []*seccomp.Syscall{allow(g.name, g.comment(false, "")+"; every value of the deciding bits was seen")}
		}
	}
	keys := make([]ArgValues, 0, len(g.args))
	for k := range g.args {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	var out []*seccomp.Syscall
	for _, k := range keys {
		a := g.args[k]
		seen := plural(a.calls, "call")
		switch {
		case a.calls == 0:
			seen = fmt.Sprintf("the fallback for %s", plural(a.clone3, "clone3 call"))
		case a.clone3 > 0:
			seen += fmt.Sprintf(", and the fallback for %s", plural(a.clone3, "clone3 call"))
		}
		s := allow(g.name, fmt.Sprintf("%s: %s", describeArgs(g.spec, k), seen))
		for i, f := range g.spec.Fields {
			s.Args = append(s.Args, condition(f, k[i], a.upper[i]))
		}
		out = append(out, s)
	}
	return out
}

// condition is the comparison for one field: EQ for a whole value, EQ on
// the low word (MASKED_EQ 0xffffffff) when a caller left bits in the upper
// half of an int argument, MASKED_EQ for selected bits.
func condition(f ArgField, v uint64, upper bool) specs.LinuxSeccompArg {
	switch {
	case f.Mask == whole && !upper:
		return specs.LinuxSeccompArg{Index: uint(f.Index), Value: v, Op: specs.OpEqualTo}
	case f.Mask == whole:
		return specs.LinuxSeccompArg{Index: uint(f.Index), Value: 0xffffffff, ValueTwo: v, Op: specs.OpMaskedEqual}
	default:
		m := f.Mask
		if f.Int32 {
			m &= 0xffffffff
		}
		return specs.LinuxSeccompArg{Index: uint(f.Index), Value: m, ValueTwo: v, Op: specs.OpMaskedEqual}
	}
}

// clone3Rules: clone3 passes its flags in memory, which seccomp cannot
// read. When no observed clone3 call needed a flag clone lacks, answer
// clone3 with ENOSYS (libc then falls back to clone, as with Docker's
// default profile) and let clone's rules carry the namespace flags seen.
// Otherwise clone3 stays allowed without conditions.
func clone3Rules(g *nameAgg, aggs map[string]*nameAgg) []*seccomp.Syscall {
	for k := range g.args {
		if k[0]&^cloneNamespaces != 0 {
			return []*seccomp.Syscall{allow("clone3", g.comment(false, "")+"; its flags include CLONE_NEWTIME, which clone cannot carry")}
		}
	}
	c := aggs["clone"]
	if c == nil {
		c = &nameAgg{name: "clone", errorsOK: true, argsOK: true, args: map[ArgValues]*argAgg{}}
		c.spec, c.hasSpec = argSpecs[1], true
		aggs["clone"] = c
	}
	if c.restrictable() || c.calls == 0 {
		c.argsSeen = true
		for k, a := range g.args {
			if c.args[k] == nil {
				c.args[k] = &argAgg{}
			}
			c.args[k].clone3 += a.calls
		}
	}
	e := uint(errnoENOSYS)
	s := &seccomp.Syscall{Comment: g.comment(false, "") + "; answered ENOSYS so that libc falls back to clone, whose flags seccomp can check"}
	s.Names = []string{"clone3"}
	s.Action = specs.ActErrno
	s.ErrnoRet = &e
	return []*seccomp.Syscall{s}
}

func allow(name, comment string) *seccomp.Syscall {
	s := &seccomp.Syscall{Comment: comment}
	s.Names = []string{name}
	s.Action = specs.ActAllow
	return s
}

func plural(n uint64, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// comment says how often the syscall was seen, e.g. "1234 calls, 2 errors
// (x86_64 1200, x86 34), in 2 of 3 recordings".
func (g *nameAgg) comment(runtime bool, rt Runtime) string {
	if g.calls == 0 {
		if rt == "" {
			rt = RuntimeSysfence
		}
		return fmt.Sprintf("not seen; needed by %s after it loads the filter", rt)
	}
	var b strings.Builder
	b.WriteString(plural(g.calls, "call"))
	if g.errorsOK {
		b.WriteString(", " + plural(g.errors, "error"))
	}
	if len(g.perArch) > 1 {
		parts := make([]string, len(g.perArch))
		for i, a := range g.perArch {
			parts[i] = fmt.Sprintf("%s %d", a.arch.Name, a.calls)
		}
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	}
	if g.total > 1 {
		fmt.Fprintf(&b, ", in %d of %d recordings", g.recordings, g.total)
	}
	if runtime {
		if rt == "" {
			rt = RuntimeSysfence
		}
		b.WriteString(fmt.Sprintf("; also needed by %s, so its arguments are not restricted", rt))
	}
	return b.String()
}
