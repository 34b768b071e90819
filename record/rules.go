package record

import (
	"fmt"
	"math/bits"
	"sort"

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
	// Static adds what static analysis found the code can reach (record
	// --static, analyze -o): a syscall not seen gets an entry whose
	// comment says where it comes from ("not seen; static: pipe <-
	// libc.so.6:pipe <- /usr/bin/bash imports pipe"), and a seen one
	// keeps no argument rule, since the analysis reaches it with any
	// arguments.
	Static []StaticCall
}

// StaticCall is a syscall static analysis found reachable.
type StaticCall struct {
	Arch *syscalls.Arch
	Nr   uint32
	// Why says where it comes from (analyze's explanation chain).
	Why string
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
	return fmt.Sprintf("syscall %d on %s (%s) has no name, and a profile can only name syscalls: "+
		"it is left out, so under the profile the call gets the default action rather than the kernel's own answer", u.Nr, u.Arch.Name, plural(u.Calls, "call"))
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
	total      int    // recordings merged into the observations
	native     string // the native ABI's name (comments omit it when alone)
	escaped    uint64 // children that escaped the recorder (Stats.Escaped)
	static     string // why static analysis reaches it, if it does
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
	staticArch := map[*syscalls.Arch]bool{}
	for _, sc := range opts.Static {
		staticArch[sc.Arch] = true
	}
	p.Architectures = []specs.Arch{specs.Arch(native.OCI)}
	for _, a := range syscalls.Arches() {
		if a != native && (o.ABIs[a] != nil && len(o.ABIs[a].Syscalls) > 0 || staticArch[a]) {
			p.Architectures = append(p.Architectures, specs.Arch(a.OCI))
		}
	}

	aggs := map[string]*nameAgg{}
	byName := o.recordingsByName()
	for _, e := range o.Entries() {
		if e.Name == "" {
			res.Unknown = append(res.Unknown, Unknown{Arch: e.Arch, Nr: e.Nr, Calls: e.Calls})
			continue
		}
		g := aggs[e.Name]
		if g == nil {
			g = &nameAgg{name: e.Name, errorsOK: true, argsOK: true, args: map[ArgValues]*argAgg{}, total: o.Recordings, native: native.Name}
			aggs[e.Name] = g
		}
		g.calls += e.Calls
		g.errors += e.Errors
		g.escaped += e.Escaped
		g.errorsOK = g.errorsOK && e.ErrorsKnown
		g.recordings = byName[e.Name]
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

	for _, sc := range opts.Static {
		name, ok := sc.Arch.SyscallName(sc.Nr)
		if !ok {
			res.Unknown = append(res.Unknown, Unknown{Arch: sc.Arch, Nr: sc.Nr})
			continue
		}
		g := aggs[name]
		if g == nil {
			g = &nameAgg{name: name, total: o.Recordings, native: native.Name}
			aggs[name] = g
		}
		if g.static == "" {
			g.static = sc.Why
		}
	}

	var out []*seccomp.Syscall
	if g := aggs["clone3"]; g != nil && opts.Args && g.restrictable() {
		out = append(out, clone3Rules(g, aggs)...)
	}
	for _, n := range extra {
		if aggs[n] == nil {
			aggs[n] = &nameAgg{name: n, total: o.Recordings, native: native.Name}
		}
	}
	implied := o.implied()
	for _, im := range implied {
		if aggs[im.name] == nil {
			aggs[im.name] = &nameAgg{name: im.name, total: o.Recordings, native: native.Name}
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
	rt := opts.For
	if rt == "" {
		rt = RuntimeSysfence
	}
	for _, n := range names {
		g := aggs[n]
		if opts.Args && g.restrictable() && !extraSet[n] && g.static == "" {
			out = append(out, g.argRules()...)
			continue
		}
		t := g.tally()
		switch {
		case g.static != "" && g.calls == 0:
			t.notes = append(t.notes, "static: "+g.static)
		case g.static != "" && opts.Args && g.restrictable():
			t.notes = append(t.notes, "static analysis reaches it with arguments it cannot bound, so they are not restricted")
		case g.calls == 0 && extraSet[n]:
			t.notes = append(t.notes, fmt.Sprintf("needed by %s after it loads the filter", rt))
		case g.calls == 0:
			for _, im := range implied {
				if im.name == n {
					t.notes = append(t.notes, im.why)
				}
			}
		case extraSet[n]:
			t.notes = append(t.notes, fmt.Sprintf("also needed by %s, so its arguments are not restricted", rt))
		}
		out = append(out, allow(n, t.String()))
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
			t := g.tally()
			t.notes = append(t.notes, "every value of the deciding bits was seen")
			return []*seccomp.Syscall{allow(g.name, t.String())}
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
		// The recordings count the syscall, whatever its arguments.
		t := &tally{subject: describeArgs(g.spec, k), calls: a.calls, clone3: a.clone3, recordings: g.recordings, total: g.total}
		t.notes = g.escapedNote()
		s := allow(g.name, t.String())
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
			t := g.tally()
			t.notes = append(t.notes, "its flags include CLONE_NEWTIME, which clone cannot carry")
			return []*seccomp.Syscall{allow("clone3", t.String())}
		}
	}
	c := aggs["clone"]
	if c == nil {
		c = &nameAgg{name: "clone", errorsOK: true, argsOK: true, args: map[ArgValues]*argAgg{}, total: g.total, native: g.native}
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
	t := g.tally()
	t.notes = append(t.notes, "answered ENOSYS so that libc falls back to clone, whose flags seccomp can check")
	s := &seccomp.Syscall{Comment: t.String()}
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

// tally is what the comment of the syscall's plain entry says, e.g.
// "1234 calls, 2 errors (x86_64 1200, x86 34), in 2 of 3 recordings".
func (g *nameAgg) tally() *tally {
	t := &tally{calls: g.calls, errors: g.errors, errorsKnown: g.errorsOK && g.calls > 0, recordings: g.recordings, total: g.total}
	for _, a := range g.perArch {
		t.perArch = append(t.perArch, archCount{a.arch.Name, a.calls})
	}
	if len(t.perArch) == 1 && t.perArch[0].arch == g.native {
		t.perArch = nil // the native ABI alone goes without saying
	}
	if g.calls == 0 {
		t.recordings, t.total = 0, 1
	}
	t.notes = g.escapedNote()
	return t
}

// escapedNote marks the entries of a syscall that created children the
// recorder could not follow: what those children called is missing. It
// has no count, so that merged profiles say the same as merged
// observations.
func (g *nameAgg) escapedNote() []string {
	if g.escaped == 0 {
		return nil
	}
	return []string{escapedNote}
}

const escapedNote = "incomplete: the calls of a child it created with CLONE_UNTRACED are missing"

// impliedSyscall is a syscall that a recording may miss by timing alone
// and whose absence breaks the command when it is enforced.
type impliedSyscall struct{ name, why string }

// implied lists the syscalls the kernel makes the command call when a
// signal arrives, which a recording sees only if a signal happened to
// arrive: restart_syscall resumes a sleep (nanosleep, poll, futex with a
// timeout...) interrupted by a stop signal and SIGCONT, and rt_sigreturn
// (sigreturn on ABIs that have it, for handlers without SA_SIGINFO)
// returns from a signal handler. The latter only when the command
// installs handlers: otherwise rt_sigreturn is a gift to an attacker
// (sigreturn-oriented programming). Neither can do anything but resume
// what the profile already allowed.
//
// Likewise a program that creates an epoll instance waits on it when it
// has nothing else to do, which a short recording may never catch: Go's
// network poller creates one at start-up and waits in epoll_pwait only
// when every goroutine blocks, and the Go runtime throws if that wait
// fails. The waits of the ABIs the instance was created on are added.
func (o *Observations) implied() []impliedSyscall {
	var handlers, sigreturn, any bool
	waits := map[string]bool{}
	for arch, a := range o.ABIs {
		for nr := range a.Syscalls {
			any = true
			name, _ := arch.SyscallName(nr)
			switch name {
			case "rt_sigaction", "sigaction", "signal":
				handlers = true
				if _, ok := arch.Number("sigreturn"); ok {
					sigreturn = true
				}
			case "epoll_create", "epoll_create1":
				for _, w := range []string{"epoll_wait", "epoll_pwait"} {
					if _, ok := arch.Number(w); ok {
						waits[w] = true
					}
				}
			}
		}
	}
	if !any {
		return nil
	}
	const handlerWhy = "returns from the signal handlers the command installs, whenever a signal arrives"
	const waitWhy = "waits on the epoll instance the command creates, when it has nothing else to do"
	out := []impliedSyscall{{"restart_syscall", "the kernel makes it to resume a sleep interrupted by a stop signal"}}
	if handlers {
		out = append(out, impliedSyscall{"rt_sigreturn", handlerWhy})
	}
	if sigreturn {
		out = append(out, impliedSyscall{"sigreturn", handlerWhy})
	}
	for _, w := range []string{"epoll_pwait", "epoll_wait"} {
		if waits[w] {
			out = append(out, impliedSyscall{w, waitWhy})
		}
	}
	return out
}
