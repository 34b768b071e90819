package lift

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/compile"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// ErrNotExpressible is wrapped by every *NotExpressibleError.
var ErrNotExpressible = errors.New("no policy decides exactly as this filter")

// NotExpressibleError says what of a decision a policy.Policy (or a
// Docker profile) cannot hold; each reason is one sentence.
type NotExpressibleError struct {
	Format  string // "policy" or "Docker profile"
	Reasons []string
}

func (e *NotExpressibleError) Error() string {
	return fmt.Sprintf("a %s cannot hold this filter exactly: %s", e.Format, strings.Join(e.Reasons, "; "))
}

// Unwrap makes errors.Is(err, ErrNotExpressible) true.
func (e *NotExpressibleError) Unwrap() error { return ErrNotExpressible }

// maxRuleNumbers bounds the syscall numbers a lifted policy gives rules
// (a filter deciding a billion numbers apart has no policy).
const maxRuleNumbers = 1 << 14

// maxRules bounds the rules of a lifted policy.
const maxRules = 1 << 16

// Policy returns a policy that decides every input exactly as f (f must
// be a lifted filter: its values are return values). The policy is
// checked: it is compiled, the program lifted again and compared with f.
// native is the ABI to list first (policy.Policy's native ABI, what
// compile and profiles call the target; nil means the first ABI f
// singles out); its byte order must be the one f was lifted with.
//
// Where no policy can (a decision on the instruction pointer or on the
// high words of arguments of a 32-bit ABI, other architecture values
// answered differently, ranges of numbers without a name decided apart
// from their neighbours, more than the compiler's 4096 instructions),
// the error is a *NotExpressibleError naming what.
func (f Func) Policy(native *syscalls.Arch) (*policy.Policy, error) {
	t, err := f.Table()
	if err != nil {
		return nil, err
	}
	b := &policyBuilder{s: f.s, f: f, t: t}
	if native == nil {
		if len(t.ABIs) > 0 {
			native = t.ABIs[0].Arch
		} else if native, err = syscalls.Native(); err != nil {
			return nil, err
		}
	}
	b.native = native
	if err := b.otherArches(); err != nil {
		return nil, err
	}
	best, reasons := b.choose()
	if best == nil {
		return nil, &NotExpressibleError{Format: "policy", Reasons: reasons}
	}
	p, reasons := b.build(best)
	if p == nil {
		return nil, &NotExpressibleError{Format: "policy", Reasons: reasons}
	}
	if err := verify(f, p, native.BigEndian); err != nil {
		return nil, err
	}
	return p, nil
}

// verify compiles p, lifts the program and compares it with f; it
// returns what differs (nothing when p decides as f).
func verify(f Func, p *policy.Policy, bigEndian bool) error {
	prog, err := compile.Compile(p, compile.Options{})
	if errors.Is(err, bpf.ErrTooLong) {
		n := 0
		for _, ap := range p.Arches {
			n += len(ap.Rules)
		}
		return fmt.Errorf("lift: the policy that decides as this filter has %d rules, and %w", n, err)
	}
	if err != nil {
		return err
	}
	g, err := f.s.Program(prog.Filter, bigEndian)
	if err != nil {
		return fmt.Errorf("lift: the compiled policy does not lift: %w", err)
	}
	if g.Equal(f) {
		return nil
	}
	return &NotExpressibleError{Format: "policy", Reasons: Mismatch(f, g, "the filter", "the policy", 8)}
}

type policyBuilder struct {
	s       *Space
	f       Func
	t       *Table
	native  *syscalls.Arch
	bad     policy.Action
	checked map[exprKey]string
}

// otherArches finds the bad-arch action: every architecture value that is
// no ABI of the table must get one fixed answer.
func (b *policyBuilder) otherArches() error {
	b.bad = policy.ActKillThread
	var reasons []string
	for i, g := range b.t.Other {
		v, ok := constRanges(g.Ranges)
		switch {
		case !ok && g.Arches.Full():
			reasons = append(reasons, "the filter never looks at the architecture (seccomp_data.arch): it decides every ABI's calls by the same numbers, which a policy cannot say (a policy refuses unlisted architectures as a whole)")
		case !ok:
			reasons = append(reasons, fmt.Sprintf("the architectures where %s are decided by syscall number or arguments, not refused as a whole", g.Arches.String("arch")))
		case i == 0:
			b.bad = policy.Action(v)
		default:
			reasons = append(reasons, fmt.Sprintf("the architectures where %s get %v while other unlisted ones get %v", g.Arches.String("arch"), policy.Action(v), b.bad))
		}
	}
	if len(reasons) > 0 {
		return &NotExpressibleError{Format: "policy", Reasons: reasons}
	}
	return nil
}

// constRanges reports whether every range answers one constant.
func constRanges(rs []Range) (uint64, bool) {
	var v uint64
	for i, r := range rs {
		c, ok := r.Out.Const()
		if !ok || (i > 0 && c != v) {
			return 0, false
		}
		v = c
	}
	return v, len(rs) > 0
}

// candidate is a choice of the policy's number-level parameters.
type candidate struct {
	def    policy.Action
	enosys bool
	abis   []*ABI // listed, native first
	maxNr  []uint32
	// filled by evaluate:
	need    []need // numbers that take rules
	numbers float64
}

// need is a run of numbers of one listed ABI that take rules.
type need struct {
	abi    int // index in candidate.abis
	lo, hi uint32
	out    Func
}

// choose tries every sensible default action, with and without runc's
// ENOSYS rule, and every listing of the ABIs sharing a token, and keeps
// the one that needs rules for the fewest numbers.
func (b *policyBuilder) choose() (*candidate, []string) {
	// An ABI whose whole decision is the bad-arch action need not be
	// listed; of two ABIs sharing a token (x86_64 and x32) either may be
	// left out, and which way decides how the numbers split between them.
	allBad := func(a *ABI) bool {
		v, ok := constRanges(a.Ranges)
		return ok && policy.Action(v) == b.bad
	}
	listings := [][]*ABI{nil}
	var must []*ABI
	for i := 0; i < len(b.t.ABIs); i++ {
		a := b.t.ABIs[i]
		var options [][]*ABI
		if i+1 < len(b.t.ABIs) && b.t.ABIs[i+1].Arch.AuditArch == a.Arch.AuditArch {
			pair := b.t.ABIs[i+1]
			i++
			if allBad(a) && allBad(pair) {
				continue
			}
			options = [][]*ABI{{a, pair}, {a}, {pair}}
			must = append(must, a, pair)
		} else {
			if allBad(a) {
				continue
			}
			options = [][]*ABI{{a}}
			must = append(must, a)
		}
		var next [][]*ABI
		for _, l := range listings {
			for _, o := range options {
				next = append(next, append(slices.Clone(l), o...))
			}
		}
		listings = next
	}
	defs := map[policy.Action]bool{b.bad: true}
	for _, a := range must {
		for _, r := range a.Ranges {
			if v, ok := r.Out.Const(); ok {
				defs[policy.Action(v)] = true
			}
		}
	}
	var defList []policy.Action
	for d := range defs {
		defList = append(defList, d)
	}
	slices.Sort(defList)
	if len(must) == 0 {
		// Nothing but the bad-arch action: list the native ABI alone.
		native := &ABI{Arch: b.native, Ranges: []Range{{Lo: 0, Hi: math.MaxUint32, Out: b.s.Const(uint64(b.bad))}}}
		listings = [][]*ABI{{native}}
	}
	var best *candidate
	var bestReasons []string
	for _, l := range listings {
		l = b.nativeFirst(l)
		for _, d := range defList {
			for _, enosys := range []bool{true, false} {
				if enosys && allowLike(d) {
					continue
				}
				c := &candidate{def: d, enosys: enosys, abis: l}
				reasons := b.evaluate(c)
				if len(reasons) > 0 {
					if best == nil && (bestReasons == nil || len(reasons) < len(bestReasons)) {
						bestReasons = reasons
					}
					continue
				}
				if best == nil || c.numbers < best.numbers || (c.numbers == best.numbers && c.enosys && !best.enosys) {
					best = c
				}
			}
		}
	}
	if best != nil {
		return best, nil
	}
	return nil, bestReasons
}

// nativeFirst orders a listing: the native ABI first, then table order.
func (b *policyBuilder) nativeFirst(l []*ABI) []*ABI {
	out := slices.Clone(l)
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Arch == b.native && out[j].Arch != b.native
	})
	return out
}

func s390(a *syscalls.Arch) bool { return a.Name == "s390" || a.Name == "s390x" }

// answersENOSYS reports whether the ABI's filter answers ENOSYS (runc's
// rule) for number nr, whatever its arguments.
func (a *ABI) answersENOSYS(nr uint32) bool {
	r := a.Find(nr)
	if r == nil {
		return false
	}
	v, ok := r.Out.Const()
	return ok && policy.Action(v) == enosysAction
}

// enosysAction is runc's answer for numbers newer than the profile.
const enosysAction = policy.ActErrno | policy.ENOSYS // policy.Errno(policy.ENOSYS)

// evaluate fills in c's MaxNr values and the numbers that need rules; it
// returns why c cannot decide as f, if it cannot.
func (b *policyBuilder) evaluate(c *candidate) []string {
	probe := &policy.Policy{DefaultAction: c.def, BadArch: b.bad, ENOSYS: c.enosys}
	aps := make([]policy.ArchPolicy, len(c.abis))
	c.maxNr = make([]uint32, len(c.abis))
	for i, a := range c.abis {
		aps[i].Arch = a.Arch
		if c.enosys {
			// The highest number not answered ENOSYS: runc's rule covers
			// every number above it.
			for j := len(a.Ranges) - 1; j >= 0; j-- {
				if v, ok := a.Ranges[j].Out.Const(); !ok || policy.Action(v) != enosysAction {
					c.maxNr[i] = a.Ranges[j].Hi
					break
				}
			}
			// No ENOSYS tail: the rule does not apply on this ABI (a
			// MaxNr of 0, as for an ABI the profile names nothing on),
			// except on s390, where runc's rule also answers ENOSYS for
			// number 0 whatever MaxNr is, and a filter that does so says
			// the rule applies.
			if c.maxNr[i] == math.MaxUint32 && !(s390(a.Arch) && a.answersENOSYS(0)) {
				c.maxNr[i] = 0
			}
		}
		aps[i].MaxNr = c.maxNr[i]
		probe.Arches = append(probe.Arches, &aps[i])
	}
	marker := b.marker(c)
	var zero [6]uint64
	var reasons []string
	for _, a := range b.t.ABIs {
		// Every ABI of a listed token counts: a listing without x32
		// still decides x32's numbers (as bad arch, mostly).
		i := slices.Index(c.abis, a)
		if i < 0 && !slices.ContainsFunc(c.abis, func(l *ABI) bool { return l.Arch.AuditArch == a.Arch.AuditArch }) {
			continue
		}
		for _, r := range a.Ranges {
			for _, piece := range split(r.Lo, r.Hi, c.maxNr) {
				lo, hi := piece[0], piece[1]
				base := probe.Decide(a.Arch.AuditArch, lo, &zero)
				if v, ok := r.Out.Const(); ok && policy.Action(v) == base.Action {
					continue
				}
				reached := false
				if i >= 0 {
					aps[i].Rules = []policy.Rule{{Nr: lo, Action: marker}}
					reached = probe.Decide(a.Arch.AuditArch, lo, &zero).Action == marker
					aps[i].Rules = nil
				}
				if !reached {
					reasons = append(reasons, fmt.Sprintf("%s %s: the filter answers %s where such a policy answers %v",
						a.Arch.Name, numbersString(a.Arch, lo, hi), outString(r.Out), base.Action))
					if len(reasons) >= 8 {
						return reasons
					}
					continue
				}
				if why := b.expressible(a.Arch, r.Out); why != "" {
					reasons = append(reasons, fmt.Sprintf("%s %s: %s", a.Arch.Name, numbersString(a.Arch, lo, hi), why))
					if len(reasons) >= 8 {
						return reasons
					}
					continue
				}
				c.need = append(c.need, need{abi: i, lo: lo, hi: hi, out: r.Out})
				c.numbers += float64(hi-lo) + 1
			}
		}
	}
	if len(reasons) == 0 && c.numbers > maxRuleNumbers {
		reasons = append(reasons, fmt.Sprintf("%.0f syscall numbers would each need rules of their own (more than %d)", c.numbers, maxRuleNumbers))
	}
	return reasons
}

// expressible says why no rules can state out on ABI a ("" when rules
// may: how many is build's business): a decision on the instruction
// pointer, or on high words of a 32-bit ABI's arguments.
func (b *policyBuilder) expressible(a *syscalls.Arch, out Func) string {
	if _, ok := out.Const(); ok {
		return ""
	}
	key := exprKey{a, out.n}
	if why, ok := b.checked[key]; ok {
		return why
	}
	why := ""
	s := b.s
	if s.dependsOn(out.n, argFirst(IP), argFirst(IP)+63, map[int32]bool{}) {
		why = "decides on the instruction pointer, which policy conditions cannot see"
	} else if !a.Is64() {
		for i := 0; i < 6; i++ {
			if s.dependsOn(out.n, argFirst(i), argFirst(i)+31, map[int32]bool{}) {
				why = fmt.Sprintf("decides on the high word of %s, which policy conditions on the 32-bit ABI %s do not compare", ArgName(i), a.Name)
				break
			}
		}
	}
	if b.checked == nil {
		b.checked = map[exprKey]string{}
	}
	b.checked[key] = why
	return why
}

type exprKey struct {
	a *syscalls.Arch
	n int32
}

// marker is an action no part of the candidate answers, to tell whether
// Decide reaches the rules of a number.
func (b *policyBuilder) marker(c *candidate) policy.Action {
	vals := b.f.Values()
	for m := policy.Action(0x12340000); ; m += 0x10000 {
		if m != c.def && m != b.bad && m != enosysAction && !slices.Contains(vals, uint64(m)) {
			return m
		}
	}
}

// split cuts [lo, hi] where Decide's number-level answer may change:
// at 1 (s390's number 0), the x32 bit's boundaries, 0xffffffff and after
// each MaxNr.
func split(lo, hi uint32, maxNrs []uint32) [][2]uint32 {
	bps := []uint64{1, 0x40000000, 0x80000000, 0xc0000000, 0xffffffff}
	for _, m := range maxNrs {
		bps = append(bps, uint64(m)+1)
	}
	slices.Sort(bps)
	var out [][2]uint32
	start := uint64(lo)
	for _, bp := range bps {
		if bp > start && bp <= uint64(hi) {
			out = append(out, [2]uint32{uint32(start), uint32(bp - 1)})
			start = bp
		}
	}
	return append(out, [2]uint32{uint32(start), hi})
}

// numbersString names a run of syscall numbers: "openat", "nr 463",
// "nr 0x1d0-0x3fffffff".
func numbersString(a *syscalls.Arch, lo, hi uint32) string {
	if lo == hi {
		if n, ok := a.SyscallName(lo); ok {
			return n
		}
		return "nr " + Num(uint64(lo))
	}
	return fmt.Sprintf("nr %s-%s", Num(uint64(lo)), Num(uint64(hi)))
}

// outString describes a decision over the arguments in a few words.
func outString(out Func) string {
	if v, ok := out.Const(); ok {
		return policy.Action(v).String()
	}
	var acts []string
	for _, v := range out.Values() {
		acts = append(acts, policy.Action(v).String())
	}
	return strings.Join(acts, " or ") + " by argument"
}

// build turns the chosen candidate into rules.
func (b *policyBuilder) build(c *candidate) (*policy.Policy, []string) {
	p := &policy.Policy{DefaultAction: c.def, BadArch: b.bad, ENOSYS: c.enosys}
	var reasons []string
	nrules := 0
	for i, a := range c.abis {
		ap := &policy.ArchPolicy{Arch: a.Arch, MaxNr: c.maxNr[i]}
		p.Arches = append(p.Arches, ap)
		for _, n := range c.need {
			if n.abi != i {
				continue
			}
			rules, why := rulesFor(a.Arch, n.out, c.def)
			if why != "" {
				reasons = append(reasons, fmt.Sprintf("%s %s: %s", a.Arch.Name, numbersString(a.Arch, n.lo, n.hi), why))
				continue
			}
			for nr := uint64(n.lo); nr <= uint64(n.hi); nr++ {
				name, ok := a.Arch.SyscallName(uint32(nr))
				if !ok {
					name = fmt.Sprintf("syscall_%d", nr)
				}
				for _, r := range rules {
					r.Nr = uint32(nr)
					r.Origin = policy.Origin{Entry: -1, Name: name}
					ap.Rules = append(ap.Rules, r)
				}
				nrules += len(rules)
				if nrules > maxRules {
					return nil, []string{fmt.Sprintf("more than %d rules", maxRules)}
				}
			}
			if !c.enosys && n.hi > ap.MaxNr {
				ap.MaxNr = n.hi
			}
		}
	}
	if len(reasons) > 0 {
		return nil, reasons
	}
	return p, nil
}

// rulesFor returns the rules (without number) that decide out, a
// decision over the arguments, where the policy's default is def.
func rulesFor(a *syscalls.Arch, out Func, def policy.Action) ([]policy.Rule, string) {
	covers, why := actionCovers(a, out, def, false)
	if why != "" {
		return nil, why
	}
	var rules []policy.Rule
	for _, c := range covers {
		for _, conds := range c.alts {
			rules = append(rules, policy.Rule{Action: c.act, Conds: conds})
		}
	}
	return rules, ""
}

// cover is the rules of one action, as alternatives of conditions.
type actionCover struct {
	act  policy.Action
	alts [][]policy.Cond
}

// actionCovers writes out, a decision over the arguments, as rules for
// Decide: the first unconditional rule, else the matching rule of highest
// precedence (the first among equals), else def. The actions come in that
// order, so each action's rules may also match where an earlier action
// answers (its rules win there): those inputs are don't-cares, which keeps
// rules close to the conditions a profile would have written. No rule
// matches where out answers def.
func actionCovers(a *syscalls.Arch, out Func, def policy.Action, single bool) ([]actionCover, string) {
	s := out.s
	if v, ok := out.Const(); ok {
		return []actionCover{{act: policy.Action(v), alts: [][]policy.Cond{nil}}}, ""
	}
	var acts []policy.Action
	for _, v := range out.Values() {
		if policy.Action(v) != def {
			acts = append(acts, policy.Action(v))
		}
	}
	sort.SliceStable(acts, func(i, j int) bool { return acts[i].Precedence() > acts[j].Precedence() })
	var covers []actionCover
	// Only where an action of higher precedence answers is an input a
	// don't-care: among rules of one precedence Decide does not simply
	// take the first that matches (a rule another one tightens loses,
	// policy rule 5), so the covers of one precedence stay disjoint.
	higher, level := s.leaf(0), s.leaf(0)
	for i, act := range acts {
		if i > 0 && act.Precedence() != acts[i-1].Precedence() {
			higher, level = s.iteN(level, s.leaf(1), higher), s.leaf(0)
		}
		region := s.region(out.n, uint64(act))
		cover := s.simplify(region, s.not(higher), map[[2]int32]int32{})
		if cover == s.leaf(1) {
			// An unconditional rule would beat every other rule of the
			// number: keep this one conditional.
			cover = region
		}
		level = s.iteN(region, s.leaf(1), level)
		boxes, err := s.cover(cover)
		if err != nil {
			return nil, err.Error()
		}
		c := actionCover{act: act}
		for _, box := range boxes {
			alts, why := boxConds(a, &box, single)
			if why != "" {
				return nil, why
			}
			c.alts = append(c.alts, alts...)
		}
		covers = append(covers, c)
	}
	return covers, ""
}

// boxConds turns a box into alternatives (ORed) of condition lists
// (ANDed). With single, every condition list holds at most one condition
// per argument (what a Docker entry can say; runc ORs a repeated index).
func boxConds(a *syscalls.Arch, box *Box, single bool) ([][]policy.Cond, string) {
	alts := [][]policy.Cond{nil}
	for i := range box {
		if box.Any(i) {
			continue
		}
		if i == IP {
			return nil, "decides on the instruction pointer, which policy conditions cannot see"
		}
		set := box[i]
		if !a.Is64() {
			low, ok := set.Low()
			if !ok {
				return nil, fmt.Sprintf("decides on the high word of %s, which policy conditions on the 32-bit ABI %s do not compare", ArgName(i), a.Name)
			}
			set = low
		}
		argAlts, why := setConds(uint8(i), set, single)
		if why != "" {
			return nil, why
		}
		var next [][]policy.Cond
		for _, x := range alts {
			for _, y := range argAlts {
				next = append(next, append(slices.Clip(x), y...))
			}
		}
		if len(next) > maxRules {
			return nil, "argument conditions too irregular to list as rules"
		}
		alts = next
	}
	return alts, ""
}

// setConds writes a set of values of argument i as alternatives of
// condition lists: one list per interval, one list of != for a set that
// misses only some points (and end ranges), or one MASKED_EQ per cube,
// whichever is shortest. With single, only one-condition lists.
func setConds(i uint8, set Set, single bool) ([][]policy.Cond, string) {
	max := set.max()
	const limit = 4096
	var best [][]policy.Cond
	keep := func(alt [][]policy.Cond) {
		if alt != nil && (best == nil || len(alt) < len(best)) {
			best = alt
		}
	}
	if ivs, ok := set.Intervals(limit); ok {
		var alt [][]policy.Cond
		for _, iv := range ivs {
			switch {
			case !single || iv.Lo == iv.Hi || iv.Lo == 0 || iv.Hi == max:
				alt = append(alt, intervalConds(i, iv, max))
			case iv.Hi-iv.Lo < 16:
				// A few values read best as they are.
				for v := iv.Lo; v <= iv.Hi; v++ {
					alt = append(alt, []policy.Cond{{Arg: i, Op: policy.OpEq, Value: v}})
				}
			default:
				for _, c := range intervalCubes(iv.Lo, iv.Hi, set.width) {
					alt = append(alt, []policy.Cond{maskedEq(i, c, set.width)})
				}
			}
		}
		keep(alt)
	}
	if out, ok := set.Complement().Intervals(limit); ok && (!single || len(out) == 1) {
		var conds []policy.Cond
		fits := true
		for _, iv := range out {
			switch {
			case iv.Lo == iv.Hi:
				conds = append(conds, policy.Cond{Arg: i, Op: policy.OpNe, Value: iv.Lo})
			case iv.Lo == 0:
				conds = append(conds, policy.Cond{Arg: i, Op: policy.OpGt, Value: iv.Hi})
			case iv.Hi == max:
				conds = append(conds, policy.Cond{Arg: i, Op: policy.OpLt, Value: iv.Lo})
			default:
				fits = false
			}
		}
		if fits {
			keep([][]policy.Cond{conds})
		}
	}
	if cubes, ok := set.Cubes(limit); ok {
		alt := make([][]policy.Cond, len(cubes))
		for j, c := range cubes {
			alt[j] = []policy.Cond{maskedEq(i, c, set.width)}
		}
		keep(alt)
	}
	// The greedy cover costs more: only where the plain forms are long.
	if best == nil || len(best) > 4 {
		max := limit
		if best != nil {
			max = len(best) - 1
		}
		if pieces, ok := set.Cover(max, single); ok {
			alt := make([][]policy.Cond, len(pieces))
			for j, pc := range pieces {
				switch {
				case pc.Cube != nil && pc.Interval != nil:
					alt[j] = append(intervalConds(i, *pc.Interval, set.max()), maskedEq(i, *pc.Cube, set.width))
					continue
				case pc.Cube != nil:
					alt[j] = []policy.Cond{maskedEq(i, *pc.Cube, set.width)}
					continue
				}
				alt[j] = intervalConds(i, *pc.Interval, set.max())
			}
			keep(alt)
		}
	}
	if best == nil {
		return nil, fmt.Sprintf("the values of %s are too irregular to list as conditions", ArgName(int(i)))
	}
	return best, ""
}

// intervalConds is the condition list of argument i in iv: one
// condition where iv is a single value or reaches 0 or max, else two.
func intervalConds(i uint8, iv Interval, max uint64) []policy.Cond {
	switch {
	case iv.Lo == iv.Hi:
		return []policy.Cond{{Arg: i, Op: policy.OpEq, Value: iv.Lo}}
	case iv.Lo == 0:
		return []policy.Cond{{Arg: i, Op: policy.OpLe, Value: iv.Hi}}
	case iv.Hi == max:
		return []policy.Cond{{Arg: i, Op: policy.OpGe, Value: iv.Lo}}
	}
	return []policy.Cond{{Arg: i, Op: policy.OpGe, Value: iv.Lo}, {Arg: i, Op: policy.OpLe, Value: iv.Hi}}
}

// maskedEq is the condition of a cube (== for a cube of one value).
func maskedEq(i uint8, c Cube, width int) policy.Cond {
	if c.Mask == fullMask(width) {
		return policy.Cond{Arg: i, Op: policy.OpEq, Value: c.Value}
	}
	return policy.Cond{Arg: i, Op: policy.OpMaskedEq, Mask: c.Mask, Value: c.Value}
}

func fullMask(width int) uint64 {
	if width == 64 {
		return math.MaxUint64
	}
	return 1<<width - 1
}

// intervalCubes splits [lo, hi] into aligned blocks, each a cube.
func intervalCubes(lo, hi uint64, width int) []Cube {
	full := fullMask(width)
	var out []Cube
	for {
		// The largest aligned block starting at lo that fits.
		size := uint64(1)
		for k := 1; k < width; k++ {
			s := uint64(1) << k
			if lo&(s-1) != 0 || lo+s-1 > hi || lo+s-1 < lo {
				break
			}
			size = s
		}
		out = append(out, Cube{Mask: full &^ (size - 1), Value: lo})
		end := lo + size - 1
		if end >= hi {
			return out
		}
		lo = end + 1
	}
}
