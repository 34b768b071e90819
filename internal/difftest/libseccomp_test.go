//go:build libseccomp

package difftest

import (
	"encoding/json"
	"errors"
	"flag"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/compile"
	"github.com/sysfence/sysfence/internal/difftest/a2order"
	ref "github.com/sysfence/sysfence/internal/reference/libseccomp"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

var (
	seedFlag     = flag.Uint64("seed", 0, "seed of the random differential run (0: pick one and log it)")
	profilesFlag = flag.Int("profiles", 1500, "number of random profiles")
	profileFlag  = flag.Int("profile", -1, "replay only this profile of the seeded run")
	inputsFlag   = flag.Int("inputs", 120, "syscalls probed per profile (and per ENOSYS setting)")
)

// libseccompContestants are sysfence's compiler, and libseccomp built the
// way runc does it (binary tree above 32 names) and with the tree forced to
// the other setting, so both of libseccomp's code generators are checked.
func libseccompContestants() []Contestant {
	mk := func(name string, tree func(names int) ref.Tree) Contestant {
		return Contestant{Name: name, Build: func(oci *specs.LinuxSeccomp, native *syscalls.Arch, enosys bool) (Filter, error) {
			names := 0
			for _, sc := range oci.Syscalls {
				names += len(sc.Names)
			}
			opts := ref.Options{Tree: tree(names), ENOSYS: enosys}
			p, err := buildIsolated(oci, native, opts)
			if err != nil {
				return Filter{}, err
			}
			return Filter{Answer: crossChecked(p), Excuse: pfcExcuse(oci, native, opts)}, nil
		}}
	}
	return []Contestant{
		sysfenceContestant,
		mk(libseccompRunc, func(int) ref.Tree { return ref.TreeLikeRunc }),
		mk("libseccomp(other-tree)", func(n int) ref.Tree {
			if n > 32 {
				return ref.TreeOff
			}
			return ref.TreeOn
		}),
	}
}

// libseccompRunc names the contestant that builds as runc does.
const libseccompRunc = "libseccomp(runc)"

// sysfenceContestant is sysfence's own compiler, held to the same
// reference on the same inputs as libseccomp.
var sysfenceContestant = Contestant{Name: "sysfence", Build: func(oci *specs.LinuxSeccomp, native *syscalls.Arch, enosys bool) (Filter, error) {
	p, _, err := policy.FromOCI(oci, native, policy.Options{ENOSYS: enosys})
	if err != nil {
		return Filter{}, err
	}
	prog, err := compile.Compile(p, compile.Options{})
	if err != nil {
		return Filter{}, err
	}
	return Filter{Answer: ProgramAnswer(prog.Filter)}, nil
}}

// Known libseccomp 2.5.4 defects a disagreement may be blamed on (see the
// regression tests below for minimal reproducers).
const (
	excuseCodegen = "libseccomp's BPF differs from its own rule tree (PFC), which agrees with Decide: a BPF generator bug"
	excuseDropped = "libseccomp's rule tree lost part of a rule while merging it with another on the same argument (db.c _db_tree_add returns early on the true branch)"
	excusePhantom = "libseccomp's rule tree matches a hybrid of two same-action rules that test the same first argument (tree merge, e.g. the _db_tree_add act_t/act_f typo fixed in 2.6.1): no rule of the profile matches"
	excuseMixed   = "libseccomp's rule tree for a syscall whose rules have different actions differs from the rules (tree merge with conflicting actions, e.g. the _db_tree_add act_t/act_f typo fixed in 2.6.1, GHSA-4q85-33p6-j5g6)"
	excuseOrder   = "libseccomp's answer for rules that tighten one another depends on the order runc adds them in: built from the same rules with tighter comparisons first (TighterFirst), its program or its rule tree answers as Decide (db.c _db_tree_add: a node that several rules share keeps the value and the place in its level of the rule added first, so a later, looser >/>= takes its true action over and a comparison placed first can shadow a tighter one; 2.5.4 also updates the true action where the false one is meant for </<=, fixed in 2.6.1)"
	excusePair    = "libseccomp built from only the two entries (the rule Decide chose, the rule whose action libseccomp answered) answers as Decide in one order or refuses them (EEXIST): its answer for the whole syscall comes from rule order or from merging with the other rules (as in the dropped-rule defect), not from ranking the two otherwise"
)

// pfcExcuse blames a disagreement on libseccomp when (1) the rule tree
// libseccomp built (its PFC) answers what Decide answers but its program
// does not, or (2) program and tree agree with each other, and Decide
// answers the same once one matching rule is left out, a rule whose first
// argument (libseccomp orders tree nodes by argument) another rule of the
// syscall also tests: the signature of the tree-merge defect. The PFC and
// policy are made only when first needed.
//
// Where rule 5 decides (SameKind) and libseccomp answers with the action of
// another matching rule, only (1), the order of the rules and their
// merging with others may be blamed: libseccomp built from the rules of
// that syscall in one of the orders of TighterFirst (its program, or its
// rule tree where its BPF generator errs on the reordered tree), or from
// only the two rules in question in one order (pairAgrees), must answer
// what Decide answers. The other excuses would hide a wrong rule 5; they
// still apply where libseccomp answers what no matching rule says.
func pfcExcuse(oci *specs.LinuxSeccomp, native *syscalls.Arch, opts ref.Options) func(in *Input, got, want uint32) string {
	var pfc *PFC
	var pol *policy.Policy
	type call struct{ arch, nr uint32 }
	reordered := map[call][]Answer{}
	return func(in *Input, got, want uint32) string {
		if pfc == nil {
			text, err := ref.PFC(oci, native, opts)
			if err != nil {
				return ""
			}
			if pfc, err = ParsePFC(text); err != nil {
				return ""
			}
			if pol, _, err = policy.FromOCI(oci, native, policy.Options{ENOSYS: opts.ENOSYS}); err != nil {
				return ""
			}
		}
		var abi *syscalls.Arch
		for _, a := range syscalls.ByAuditArch(in.Arch) {
			if in.Arch != x86_64Token || a.IsX32() == (in.Nr&syscalls.X32SyscallBit != 0) {
				abi = a
			}
		}
		if abi == nil {
			return ""
		}
		args := in.Args
		v, ok := pfc.Decide(abi, in.Nr, &args)
		if !ok {
			return ""
		}
		if v == want && v != got {
			return excuseCodegen
		}
		if SameKind(pol, in) && matchingAction(pol, in, got) {
			// Only the rules of this syscall move (others could make
			// libseccomp refuse the profile).
			key := call{in.Arch, in.Nr}
			if _, ok := reordered[key]; !ok {
				this := func(name string) bool {
					if nr, ok := abi.Number(name); ok && nr == in.Nr {
						return true
					}
					m, ok := abi.Mux(name)
					return ok && abi.Multiplexed && m.Nr == in.Nr
				}
				reordered[key] = nil
				for _, o := range TighterFirst(oci, this) {
					prog, err := buildIsolated(o, native, opts)
					if err != nil {
						continue // refused, or a hang
					}
					reordered[key] = append(reordered[key], ProgramAnswer(prog))
					// Its rule tree too: libseccomp's BPF generator may
					// err on the reordered tree (the accumulator defect).
					if text, err := ref.PFC(o, native, opts); err == nil {
						if t, err := ParsePFC(text); err == nil {
							reordered[key] = append(reordered[key], func(in *Input) (uint32, error) {
								args := in.Args
								if v, ok := t.Decide(abi, in.Nr, &args); ok {
									return v, nil
								}
								return 0, errors.New("not in the PFC")
							})
						}
					}
				}
			}
			for _, re := range reordered[key] {
				if r, err := re(in); err == nil && r == want {
					return excuseOrder
				}
			}
			if pairAgrees(oci, native, opts, pol, in, got, want) {
				return excusePair
			}
			return ""
		}
		if v == got && droppedRule(pol, in, got) {
			return excuseDropped
		}
		if mixedActions(pol, in) && plausibleAnswer(pol, in, got) {
			// Not v == got: the PFC interpreter is not trusted where a
			// syscall's rules act differently (see pfcSelfCheck).
			return excuseMixed
		}
		if v == got && hybridMatch(pol, in, got) {
			return excusePhantom
		}
		return ""
	}
}

// pairAgrees reports whether libseccomp, given only the entry of the rule
// Decide chose for in and the entry of a matching rule with action got
// (restricted to their names), answers want in one of the two orders, or
// refuses the two (EEXIST, as it does when the comparison they differ in is
// not their last on a 64-bit ABI). Then its answer for the whole profile
// comes from the order of the rules or from merging them with the
// syscall's other rules, not from how it ranks the two; only where it
// ranks them as got in both orders does it contradict Decide.
func pairAgrees(oci *specs.LinuxSeccomp, native *syscalls.Arch, opts ref.Options, pol *policy.Policy, in *Input, got, want uint32) bool {
	d, matching, _ := decided(pol, in)
	var g *policy.Rule
	for _, r := range matching {
		if uint32(r.Action) == got {
			g = r
			break
		}
	}
	if g == nil || g.Origin.Entry < 0 || d.Origin.Entry < 0 || g.Origin.Entry == d.Origin.Entry {
		return false
	}
	for _, rs := range [][2]*policy.Rule{{d, g}, {g, d}} {
		pair := *oci
		pair.Syscalls = nil
		for _, r := range rs {
			e := oci.Syscalls[r.Origin.Entry]
			e.Names = []string{r.Origin.Name}
			pair.Syscalls = append(pair.Syscalls, e)
		}
		prog, err := buildIsolated(&pair, native, opts)
		if errors.Is(err, ref.ErrRejected) {
			return true
		}
		if err != nil {
			continue
		}
		if r, err := ProgramAnswer(prog)(in); err == nil && r == want {
			return true
		}
	}
	return false
}

// matchingAction reports whether act is the action of a rule that matches
// in.
func matchingAction(p *policy.Policy, in *Input, act uint32) bool {
	ap := p.Find(in.Arch, in.Nr)
	if ap == nil {
		return false
	}
	args := in.Args
	for i := range ap.Rules {
		r := &ap.Rules[i]
		if r.Nr == in.Nr && uint32(r.Action) == act && r.Matches(&args, ap.Arch.Is64()) {
			return true
		}
	}
	return false
}

// droppedRule reports whether leaving out one matching rule makes Decide
// answer got, for a rule whose first tested argument another rule of the
// same syscall tests too.
func droppedRule(p *policy.Policy, in *Input, got uint32) bool {
	args := in.Args
	d := p.Decide(in.Arch, in.Nr, &args)
	if d.Rule == nil {
		return false
	}
	for _, ap := range p.Arches {
		for i := range ap.Rules {
			if &ap.Rules[i] != d.Rule {
				continue
			}
			for j := range ap.Rules {
				r := &ap.Rules[j]
				if r.Nr != in.Nr || !r.Matches(&args, ap.Arch.Is64()) || !sharesFirstArg(ap.Rules, j) {
					continue
				}
				saved := ap.Rules
				ap.Rules = append(slices.Clone(saved[:j]), saved[j+1:]...)
				alt := p.Decide(in.Arch, in.Nr, &args)
				ap.Rules = saved
				if uint32(alt.Action) == got {
					return true
				}
			}
			return false
		}
	}
	return false
}

// mixedActions reports whether the syscall of in has rules with more
// than one action on its ABI.
func mixedActions(p *policy.Policy, in *Input) bool {
	args := in.Args
	d := p.Decide(in.Arch, in.Nr, &args)
	for _, ap := range p.Arches {
		if ap.Arch.AuditArch != in.Arch {
			continue
		}
		acts := map[policy.Action]bool{}
		for _, r := range ap.Rules {
			if r.Nr == in.Nr {
				acts[r.Action] = true
			}
		}
		if len(acts) > 1 && (d.Why == policy.WhyRule || d.Why == policy.WhyDefault) {
			return true
		}
	}
	return false
}

// plausibleAnswer reports whether got is something libseccomp's tree for
// the syscall could answer: the default or one of its rules' actions.
func plausibleAnswer(p *policy.Policy, in *Input, got uint32) bool {
	if uint32(p.DefaultAction) == got {
		return true
	}
	ap := p.Find(in.Arch, in.Nr)
	if ap == nil {
		return false
	}
	for i := range ap.Rules {
		if ap.Rules[i].Nr == in.Nr && uint32(ap.Rules[i].Action) == got {
			return true
		}
	}
	return false
}

// hybridMatch reports whether Decide gives the default for in while two
// rules of its syscall with action got, testing the same first argument,
// would match a mix of their conditions: for every argument either rule
// tests, all of one rule's conditions on it hold. That is what libseccomp's
// merged tree answers when the merge links one rule's tail to the other's
// head.
func hybridMatch(p *policy.Policy, in *Input, got uint32) bool {
	args := in.Args
	if d := p.Decide(in.Arch, in.Nr, &args); d.Why != policy.WhyDefault {
		return false
	}
	ap := p.Find(in.Arch, in.Nr)
	if ap == nil {
		return false
	}
	is64 := ap.Arch.Is64()
	holdsOn := func(r *policy.Rule, arg uint8) bool {
		for _, c := range r.Conds {
			if c.Arg == arg && !c.NoOp(is64) && !c.Match(args[arg], is64) {
				return false
			}
		}
		return true
	}
	for i := range ap.Rules {
		r1 := &ap.Rules[i]
		if r1.Nr != in.Nr || uint32(r1.Action) != got || !sharesFirstArg(ap.Rules, i) {
			continue
		}
		for j := range ap.Rules {
			r2 := &ap.Rules[j]
			if j == i || r2.Nr != in.Nr || uint32(r2.Action) != got {
				continue
			}
			hybrid := true
			for a := uint8(0); a < 6 && hybrid; a++ {
				hybrid = holdsOn(r1, a) || holdsOn(r2, a)
			}
			if hybrid {
				return true
			}
		}
	}
	return false
}

func sharesFirstArg(rules []policy.Rule, j int) bool {
	first := func(r *policy.Rule) int {
		m := 6
		for _, c := range r.Conds {
			m = min(m, int(c.Arg))
		}
		return m
	}
	a := first(&rules[j])
	if a == 6 {
		return false
	}
	for i := range rules {
		if i != j && rules[i].Nr == rules[j].Nr {
			for _, c := range rules[i].Conds {
				if int(c.Arg) == a {
					return true
				}
			}
		}
	}
	return false
}

// crossChecked answers with sysfence's emulator and, for every 8th input,
// makes sure golang.org/x/net/bpf's VM says the same.
func crossChecked(p bpf.Program) Answer {
	emu := ProgramAnswer(p)
	vm, vmErr := XNetAnswer(p)
	n := 0
	return func(in *Input) (uint32, error) {
		got, err := emu(in)
		if err != nil {
			return got, err
		}
		if n++; n%8 == 0 {
			xnet.ran()
			if vmErr != nil {
				return got, vmErr
			}
			v, err := vm(in)
			if err != nil || v != got {
				xnet.record(in, got, v, err)
			}
		}
		return got, nil
	}
}

// xnet collects emulator-vs-x/net disagreements across the run.
var xnet xnetLog

type xnetLog struct {
	mu    sync.Mutex
	count int
	fails []string
}

func (x *xnetLog) ran() { x.mu.Lock(); x.count++; x.mu.Unlock() }

func (x *xnetLog) record(in *Input, emu, vm uint32, err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.fails) < 5 {
		msg := in.String() + ": emulator " + policy.Action(emu).String() + ", x/net " + policy.Action(vm).String()
		if err != nil {
			msg += " (x/net error: " + err.Error() + ")"
		}
		x.fails = append(x.fails, msg)
	}
}

// nameCheck drops, on both sides, syscall names that libseccomp 2.5.4
// does not know or resolves differently from sysfence's (newer) tables on
// one of the filter's ABIs: those differences are table versions, not
// compiler semantics.
type nameCheck struct {
	mu    sync.Mutex
	cache map[string]bool // arch/name -> agrees
}

func (c *nameCheck) agrees(a *syscalls.Arch, name string) bool {
	key := a.Name + "/" + name
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.cache[key]; ok {
		return v
	}
	v := c.compute(a, name)
	if c.cache == nil {
		c.cache = map[string]bool{}
	}
	c.cache[key] = v
	return v
}

func (c *nameCheck) compute(a *syscalls.Arch, name string) bool {
	host, _ := syscalls.ArchByName("x86_64")
	hnr, known := ref.ResolveName(host, name)
	if !known {
		return false // runc would skip the name everywhere
	}
	// Rules are added in the host's numbering and translated to the other
	// ABIs through the name (number -> name -> number), so a name whose
	// host number maps back to another name cannot be emulated for a
	// foreign native ABI: libseccomp 2.5.4 gives some pseudo numbers to two
	// names (sys_debug_setcontext and switch_endian share -10191).
	if ref.ResolveNum(host, uint32(hnr)) != name {
		return false
	}
	lib, ok := ref.ResolveName(a, name)
	if !ok {
		return false
	}
	nr, direct := a.Number(name)
	if lib >= 0 {
		return direct && nr == uint32(lib)
	}
	if m, muxed := a.Mux(name); a.Multiplexed && muxed {
		if got, ok := ref.ResolveName(a, m.Name); !ok || got != int32(m.Nr) {
			return false
		}
		if direct {
			return ref.ResolveNum(a, nr) == name
		}
		return true
	}
	return !direct
}

// filter returns oci without the names libseccomp disagrees on, and how
// many names it dropped.
func (c *nameCheck) filter(oci *specs.LinuxSeccomp, native *syscalls.Arch) (*specs.LinuxSeccomp, int) {
	set := []*syscalls.Arch{native}
	for _, n := range oci.Architectures {
		a, err := syscalls.ArchByName(string(n))
		if err == nil {
			set = append(set, a)
		}
	}
	out := *oci
	out.Syscalls = nil
	dropped := 0
	for _, sc := range oci.Syscalls {
		keep := sc
		keep.Names = nil
		for _, n := range sc.Names {
			ok := true
			for _, a := range set {
				ok = ok && c.agrees(a, n)
			}
			if ok || n == "no_such_syscall" {
				keep.Names = append(keep.Names, n)
			} else {
				dropped++
			}
		}
		if len(keep.Names) > 0 {
			out.Syscalls = append(out.Syscalls, keep)
		}
	}
	return &out, dropped
}

var names nameCheck

func droppedNames(before, after *specs.LinuxSeccomp) []string {
	kept := map[string]bool{}
	for _, sc := range after.Syscalls {
		for _, n := range sc.Names {
			kept[n] = true
		}
	}
	var out []string
	for _, sc := range before.Syscalls {
		for _, n := range sc.Names {
			if !kept[n] && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// run compares every contestant with Decide on one profile, for ENOSYS
// off and on, and returns the disagreements.
type runResult struct {
	stats   Stats
	dis     []Disagreement
	excused []Disagreement
	// PFC interpreter self-check: inputs where libseccomp's program and
	// Decide agree on a rule or default decision, and whether the PFC
	// interpretation agreed too.
	pfcChecked, pfcMismatch int
	refused                 bool // libseccomp refused a profile FromOCI accepted
	refusedErr              error
	conflicts               conflictStats
	order                   orderStats
}

func runProfile(t *testing.T, r *rand.Rand, contestants []Contestant, native *syscalls.Arch, oci *specs.LinuxSeccomp, inputs int) runResult {
	t.Helper()
	var res runResult
	for _, enosys := range []bool{false, true} {
		p, _, err := policy.FromOCI(oci, native, policy.Options{ENOSYS: enosys})
		if err != nil {
			t.Fatalf("FromOCI refused a profile runc accepts: %v\n%s", err, JSON(oci))
		}
		filters := map[string]Filter{}
		for _, c := range contestants {
			f, err := c.Build(oci, native, enosys)
			if errors.Is(err, ref.ErrRejected) || errors.Is(err, ErrHung) {
				res.refused, res.refusedErr = true, err
				return res
			}
			if err != nil {
				t.Fatalf("%s: %v\n%s", c.Name, err, JSON(oci))
			}
			filters[c.Name] = f
		}
		ins := Inputs(r, p, inputs)
		dis, exc, st := Compare(p, filters, ins, 3)
		for i := range dis {
			dis[i].Native, dis[i].ENOSYS, dis[i].OCI = native.Name, enosys, oci
		}
		for i := range exc {
			exc[i].Native, exc[i].ENOSYS, exc[i].OCI = native.Name, enosys, oci
		}
		res.dis = append(res.dis, dis...)
		res.excused = append(res.excused, exc...)
		res.stats.Add(st)
		// The rule-4 statistics and the PFC self-check are about
		// libseccomp's program as runc builds it.
		if f, ok := filters[libseccompRunc]; ok {
			res.conflicts.observe(p, f.Answer, ins)
			res.order.observe(p, f.Answer, ins)
			if r.IntN(4) == 0 {
				res.pfcChecked, res.pfcMismatch = pfcSelfCheck(t, p, oci, native, enosys, f.Answer, ins)
			}
		}
	}
	res.stats.Profiles = 1
	return res
}

// pfcSelfCheck guards the PFC excuse: wherever libseccomp's program and
// Decide agree (by rule or default), the PFC interpretation must agree too,
// or the interpreter could excuse what it should not.
func pfcSelfCheck(t *testing.T, p *policy.Policy, oci *specs.LinuxSeccomp, native *syscalls.Arch, enosys bool, lib Answer, ins []Input) (checked, mismatch int) {
	t.Helper()
	text, err := ref.PFC(oci, native, ref.Options{ENOSYS: enosys})
	if err != nil {
		t.Fatalf("PFC: %v", err)
	}
	pfc, err := ParsePFC(text)
	if err != nil {
		t.Fatalf("PFC: %v", err)
	}
	for i := range ins {
		in := &ins[i]
		args := in.Args
		d := p.Decide(in.Arch, in.Nr, &args)
		if d.Why != policy.WhyRule && d.Why != policy.WhyDefault || Conflict(p, in) {
			continue
		}
		got, err := lib(in)
		if err != nil || got != uint32(d.Action) {
			continue
		}
		abi := p.Find(in.Arch, in.Nr)
		if abi == nil {
			continue // e.g. 0x80000000 on an x86_64-only filter
		}
		if mixedActions(p, in) {
			// Rule-4 territory: libseccomp's tree for a syscall whose
			// rules act differently interleaves the actions, and the
			// interpreter is not trusted there (no excuse depends on it:
			// sysfence is never excused, and rule-4 inputs are excluded).
			// Nor can inputs that rule 5 decides check it: where two
			// defects meet, the program may agree with Decide while its
			// tree does not (seen: 2.5.4's act_t/act_f typo in the tree
			// undone by the accumulator defect in the program).
			continue
		}
		v, ok := pfc.Decide(abi.Arch, in.Nr, &args)
		if !ok {
			continue
		}
		checked++
		if v != got {
			mismatch++
			if mismatch <= 3 {
				t.Errorf("PFC interpreter disagrees with libseccomp's program where the program agrees with Decide: %s: PFC %v, program %v\n%s\n%s",
					in, policy.Action(v), policy.Action(got), JSON(oci), text)
			}
		}
	}
	return checked, mismatch
}

// conflictStats tests hypotheses for libseccomp's answer where Decide's
// rule 4 applies (several actions match): is it the highest-precedence
// action (what Decide answers), the first matching rule in profile order,
// or the last?
type conflictStats struct {
	total, precedence, first, last, neither int
}

func (c *conflictStats) observe(p *policy.Policy, lib Answer, ins []Input) {
	for i := range ins {
		in := &ins[i]
		if !Conflict(p, in) {
			continue
		}
		got, err := lib(in)
		if err != nil {
			continue
		}
		args := in.Args
		ap := p.Find(in.Arch, in.Nr)
		var first, last *policy.Rule
		for j := range ap.Rules {
			rl := &ap.Rules[j]
			if rl.Nr == in.Nr && rl.Matches(&args, ap.Arch.Is64()) {
				if first == nil {
					first = rl
				}
				last = rl
			}
		}
		c.total++
		matched := false
		if got == uint32(p.Decide(in.Arch, in.Nr, &args).Action) {
			c.precedence++
			matched = true
		}
		if got == uint32(first.Action) {
			c.first++
			matched = true
		}
		if got == uint32(last.Action) {
			c.last++
			matched = true
		}
		if !matched {
			c.neither++
		}
	}
}

// orderStats looks at libseccomp's answers where Decide's rule 5 falls
// back on profile order (ProfileOrder): is it Decide's (the first matching
// rule that no other tightens), the last matching rule's of that kind, or
// neither?
type orderStats struct {
	total, decide, last, neither int
}

func (c *orderStats) observe(p *policy.Policy, lib Answer, ins []Input) {
	for i := range ins {
		in := &ins[i]
		if Conflict(p, in) || !ProfileOrder(p, in) {
			continue
		}
		got, err := lib(in)
		if err != nil {
			continue
		}
		d, matching, _ := decided(p, in)
		var last *policy.Rule
		for _, r := range matching {
			if r.Action.Kind() == d.Action.Kind() {
				last = r
			}
		}
		c.total++
		switch got {
		case uint32(d.Action):
			c.decide++
		case uint32(last.Action):
			c.last++
		default:
			c.neither++
		}
	}
}

func (c *orderStats) add(o orderStats) {
	c.total += o.total
	c.decide += o.decide
	c.last += o.last
	c.neither += o.neither
}

func (c *conflictStats) add(o conflictStats) {
	c.total += o.total
	c.precedence += o.precedence
	c.first += o.first
	c.last += o.last
	c.neither += o.neither
}

func checkXNet(t *testing.T) {
	t.Helper()
	xnet.mu.Lock()
	defer xnet.mu.Unlock()
	t.Logf("x/net/bpf VM cross-check: %d inputs run on both emulators", xnet.count)
	for _, f := range xnet.fails {
		t.Errorf("sysfence's emulator and golang.org/x/net/bpf disagree: %s", f)
	}
	xnet.fails = nil
}

// dockerProfile resolves Docker's default profile with moby's own code for
// a native ABI. moby resolves for the running GOARCH only, so for the
// others the arch-specific entries and archMap are settled first (what
// moby would do on that machine), and caps and kernel version are left to
// moby.
func dockerProfile(t *testing.T, native *syscalls.Arch) *specs.LinuxSeccomp {
	t.Helper()
	caps := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
		"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
		"CAP_KILL", "CAP_AUDIT_WRITE"}
	rs := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
	if native.Name == "x86_64" {
		oci, err := mobyseccomp.GetDefaultProfile(rs)
		if err != nil {
			t.Fatal(err)
		}
		return oci
	}
	prof := mobyseccomp.DefaultProfile()
	var arches []specs.Arch
	for _, m := range prof.ArchMap {
		if string(m.Arch) == native.OCI {
			arches = append([]specs.Arch{m.Arch}, m.SubArches...)
		}
	}
	prof.ArchMap = nil
	prof.Architectures = arches
	var kept []*mobyseccomp.Syscall
	for _, sc := range prof.Syscalls {
		c := *sc
		if c.Includes != nil && len(c.Includes.Arches) > 0 {
			if !slices.Contains(c.Includes.Arches, native.Native) {
				continue
			}
			inc := *c.Includes
			inc.Arches = nil
			c.Includes = &inc
		}
		if c.Excludes != nil && len(c.Excludes.Arches) > 0 {
			if slices.Contains(c.Excludes.Arches, native.Native) {
				continue
			}
			exc := *c.Excludes
			exc.Arches = nil
			c.Excludes = &exc
		}
		kept = append(kept, &c)
	}
	prof.Syscalls = kept
	body, err := json.Marshal(prof)
	if err != nil {
		t.Fatal(err)
	}
	oci, err := mobyseccomp.LoadProfile(string(body), rs)
	if err != nil {
		t.Fatal(err)
	}
	return oci
}

func TestDockerDefault(t *testing.T) {
	maj, min, mic := ref.Version()
	t.Logf("libseccomp %d.%d.%d", maj, min, mic)
	start := time.Now()
	var total Stats
	for _, n := range []string{"x86_64", "aarch64", "s390x", "ppc64le", "riscv64", "mips64", "mipsel64"} {
		native, _ := syscalls.ArchByName(n)
		t.Run("native="+n, func(t *testing.T) {
			raw := dockerProfile(t, native)
			oci, dropped := names.filter(raw, native)
			seed := *seedFlag
			if seed == 0 {
				seed = uint64(time.Now().UnixNano())
			}
			t.Logf("seed %d; architectures %v; %d names dropped (libseccomp 2.5.4's tables differ): %v", seed, oci.Architectures, dropped, droppedNames(raw, oci))
			r := rand.New(rand.NewPCG(seed, 0))
			res := runProfile(t, r, libseccompContestants(), native, oci, 30000)
			if res.refused {
				t.Fatalf("libseccomp refused Docker's default profile: %v", res.refusedErr)
			}
			// And every number of every ABI in the filter, arguments zero.
			p, _, _ := policy.FromOCI(oci, native, policy.Options{ENOSYS: true})
			var all []Input
			for _, ap := range p.Arches {
				seen := map[uint32]bool{}
				nrs := []uint32{}
				for nr := ap.Arch.NrBase; nr < ap.Arch.NrBase+1100; nr++ {
					nrs = append(nrs, nr)
				}
				for _, sc := range ap.Arch.Syscalls() {
					nrs = append(nrs, sc.Nr, sc.Nr+1)
				}
				for _, nr := range nrs {
					if !seen[nr] {
						seen[nr] = true
						all = append(all, Input{Arch: ap.Arch.AuditArch, Nr: nr})
					}
				}
			}
			filters := map[string]Filter{}
			for _, c := range libseccompContestants() {
				f, err := c.Build(oci, native, true)
				if err != nil {
					t.Fatal(err)
				}
				filters[c.Name] = f
			}
			dis, exc, st := Compare(p, filters, all, 3)
			res.dis = append(res.dis, dis...)
			res.excused = append(res.excused, exc...)
			res.stats.Add(st)
			for _, d := range res.dis {
				d.Native, d.OCI, d.Seed = n, oci, seed
				t.Errorf("%s", d.String())
			}
			for _, d := range res.excused {
				d.Native, d.OCI, d.Seed = n, oci, seed
				t.Errorf("Docker's default profile should not hit a libseccomp defect: %s", d.String())
			}
			t.Logf("%d decisions compared, %d inputs excluded (rule 4), %d disagreements", res.stats.Decisions, res.stats.Excluded, res.stats.Disagree)
			total.Add(res.stats)
		})
	}
	checkXNet(t)
	t.Logf("Docker default: %d decisions compared in %v", total.Decisions, time.Since(start).Round(time.Millisecond))
}

// randomRun is the random differential run: count profiles from gen, each
// compared on both ENOSYS settings.
type randomRun struct {
	total                                              Stats
	confl                                              conflictStats
	order                                              orderStats
	refused, dropped, failed, shownExcused, pfcChecked int
	refusals, droppedBy                                map[string]int
}

func runRandom(t *testing.T, seed uint64, count int, gen func(r *rand.Rand) Profile) *randomRun {
	t.Helper()
	contestants := libseccompContestants()
	run := &randomRun{refusals: map[string]int{}, droppedBy: map[string]int{}}
	for k := 0; k < count; k++ {
		if *profileFlag >= 0 && k != *profileFlag {
			continue
		}
		r := rand.New(rand.NewPCG(seed, uint64(k)))
		prof := gen(r)
		oci, d := names.filter(prof.OCI, prof.Native)
		run.dropped += d
		for _, n := range droppedNames(prof.OCI, oci) {
			run.droppedBy[n]++
		}
		res := runProfile(t, r, contestants, prof.Native, oci, *inputsFlag)
		if res.refused {
			run.refused++
			if errors.Is(res.refusedErr, ErrHung) {
				t.Logf("profile %d (seed %d): %v; left out:\n%s", k, seed, res.refusedErr, JSON(oci))
			}
			msg := res.refusedErr.Error()
			if i := strings.LastIndex(msg, ": "); i >= 0 {
				msg = msg[i+2:]
			}
			run.refusals[msg]++
			continue
		}
		run.total.Add(res.stats)
		run.confl.add(res.conflicts)
		run.order.add(res.order)
		run.pfcChecked += res.pfcChecked
		for _, d := range res.excused {
			d.Seed, d.Profile = seed, k
			if run.shownExcused < 2 {
				t.Logf("%s", d.String())
			}
			run.shownExcused++
		}
		for _, d := range res.dis {
			d.Seed, d.Profile = seed, k
			if run.failed < 5 {
				t.Errorf("%s", d.String())
			}
			run.failed++
		}
	}
	checkXNet(t)
	return run
}

func (run *randomRun) log(t *testing.T, start time.Time) {
	t.Helper()
	t.Logf("%d profiles compared, %d refused by libseccomp %v, %d names dropped (libseccomp 2.5.4's tables differ)",
		run.total.Profiles, run.refused, run.refusals, run.dropped)
	t.Logf("%d decisions compared (%d inputs decided by rule 5), %d inputs excluded under Decide's rule 4, %d set aside (rule 5 falls back on profile order), %d disagreements, in %v",
		run.total.Decisions, run.total.SameKind, run.total.Excluded, run.total.SetAside, run.total.Disagree, time.Since(start).Round(time.Millisecond))
	t.Logf("dropped names (profiles): %v", run.droppedBy)
	t.Logf("PFC interpreter checked against libseccomp's program on %d inputs", run.pfcChecked)
	for why, n := range run.total.Excused {
		t.Logf("%d disagreements excused: %s", n, why)
	}
	c := run.confl
	t.Logf("rule-4 inputs (libseccomp(runc)): %d; its answer was the highest-precedence action in %d, the first matching rule's in %d, the last's in %d, none of these in %d",
		c.total, c.precedence, c.first, c.last, c.neither)
	o := run.order
	t.Logf("profile-order inputs (libseccomp(runc)): %d; its answer was Decide's in %d, the last matching rule's of that kind in %d, neither in %d",
		o.total, o.decide, o.last, o.neither)
}

func randomSeed(t *testing.T) uint64 {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (reproduce with -seed %d; one profile with -profile N)", seed, seed)
	return seed
}

func TestRandomProfiles(t *testing.T) {
	seed := randomSeed(t)
	start := time.Now()
	run := runRandom(t, seed, *profilesFlag, func(r *rand.Rand) Profile { return RandomProfile(r, RandomShape(r)) })
	run.log(t, start)
	if *profileFlag < 0 && *profilesFlag >= 1500 {
		if run.total.Profiles < 1000 {
			t.Errorf("only %d profiles compared; the differential test promises at least 1,000", run.total.Profiles)
		}
		if run.total.Decisions < 100000 {
			t.Errorf("only %d decisions compared; the differential test promises at least 100,000", run.total.Decisions)
		}
	}
}

var sameKindFlag = flag.Int("samekind", 1000, "number of random profiles with same-kind overlapping rules (TestSameKindOverlap)")

// TestSameKindOverlap is the differential run on SameKindProfile's
// profiles: syscalls with overlapping rules of one action kind and other
// data, where Decide's rule 5 (the tighter comparison wins) must agree with
// libseccomp; inputs where rule 5 falls back on profile order are set aside
// and counted, as are rule-4 inputs.
func TestSameKindOverlap(t *testing.T) {
	seed := randomSeed(t)
	start := time.Now()
	run := runRandom(t, seed, *sameKindFlag, SameKindProfile)
	run.log(t, start)
	if *profileFlag < 0 && *sameKindFlag >= 1000 {
		if run.total.Profiles < 700 {
			t.Errorf("only %d profiles compared", run.total.Profiles)
		}
		if run.total.SameKind < 10000 {
			t.Errorf("only %d inputs decided by rule 5 compared; the test promises at least 10,000", run.total.SameKind)
		}
	}
}

// TestLibseccompA2Order runs libseccomp's own regression test
// 43-sim-a2_order (package a2order) on every ABI: libseccomp 2.5.4,
// sysfence's filter and Decide must all give the results its table lists,
// for instance ERRNO(6) for read with a2 = 0x101.
func TestLibseccompA2Order(t *testing.T) {
	oci := a2order.Profile()
	for _, tg := range Targets {
		native, _ := syscalls.ArchByName(tg.Native)
		t.Run("native="+tg.Native, func(t *testing.T) {
			o := *oci
			o.Architectures = nil
			for _, e := range tg.Extra {
				a, _ := syscalls.ArchByName(e)
				o.Architectures = append(o.Architectures, specs.Arch(a.OCI))
			}
			p, _, err := policy.FromOCI(&o, native, policy.Options{})
			if err != nil {
				t.Fatal(err)
			}
			filters := map[string]Answer{}
			for _, c := range libseccompContestants() {
				f, err := c.Build(&o, native, false)
				if err != nil {
					t.Fatalf("%s: %v", c.Name, err)
				}
				filters[c.Name] = f.Answer
			}
			filters["Decide"] = DecideAnswer(p)
			for _, ap := range p.Arches {
				for _, row := range a2order.Rows {
					nr, ok := ap.Arch.Number(row.Call)
					if !ok {
						continue // read and write are direct calls everywhere
					}
					in := Input{Arch: ap.Arch.AuditArch, Nr: nr, Args: [6]uint64{a2order.Arg0, a2order.Arg1, row.A2}}
					for name, f := range filters {
						if got, err := f(&in); err != nil || policy.Action(got).String() != row.Want {
							t.Errorf("%s on %s: %s(a2=%d) = %v (%v), want %s", name, ap.Arch.Name, row.Call, row.A2, policy.Action(got), err, row.Want)
						}
					}
				}
			}
		})
	}
}
