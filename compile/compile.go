package compile

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// ErrInvalidPolicy is wrapped by every *PolicyError.
var ErrInvalidPolicy = errors.New("invalid policy")

// PolicyError is a policy the compiler cannot turn into a filter.
type PolicyError struct {
	Arch string // the ABI, "" when the problem is not one ABI's
	Rule int    // index in that ABI's Rules, -1 if none
	Msg  string
}

func (e *PolicyError) Error() string {
	switch {
	case e.Arch == "":
		return "compile: " + e.Msg
	case e.Rule < 0:
		return fmt.Sprintf("compile: arch %s: %s", e.Arch, e.Msg)
	}
	return fmt.Sprintf("compile: arch %s: rules[%d]: %s", e.Arch, e.Rule, e.Msg)
}

// Unwrap makes errors.Is(err, ErrInvalidPolicy) true.
func (e *PolicyError) Unwrap() error { return ErrInvalidPolicy }

// TooLongError is a filter over the kernel's 4096 instructions.
type TooLongError struct{ Len int }

func (e *TooLongError) Error() string {
	return fmt.Sprintf("compile: the filter needs %d instructions, %d more than the kernel's limit of %d",
		e.Len, e.Len-bpf.MaxInstructions, bpf.MaxInstructions)
}

// Unwrap makes errors.Is(err, bpf.ErrTooLong) true.
func (e *TooLongError) Unwrap() error { return bpf.ErrTooLong }

// Options tune the compiler; the zero value is the default.
type Options struct {
	// Annotate fills Program.Notes (one Note per instruction), for
	// `sysfence check` and `disasm`. It costs an allocation or two.
	Annotate bool
}

// Program is a compiled filter.
type Program struct {
	// Filter is the classic BPF program, ready to load or run.
	Filter bpf.Program
	// Notes[pc] tells what instruction pc is for; nil unless
	// Options.Annotate was set.
	Notes []Note
}

// Compile turns p into a seccomp filter whose answer for every
// (arch, nr, args) is p.Decide's.
func Compile(p *policy.Policy, opts Options) (*Program, error) {
	c := compiler{p: p}
	c.e.annotate = opts.Annotate
	if err := c.prepare(); err != nil {
		return nil, err
	}
	c.generate()
	filter, notes, err := c.e.assemble()
	if err != nil {
		return nil, err
	}
	return &Program{Filter: filter, Notes: notes}, nil
}

// abi is one ABI of the policy, prepared for code generation.
type abi struct {
	ap     *policy.ArchPolicy
	is64   bool
	max    uint64 // largest argument value compared (2^32-1 on 32-bit ABIs)
	enosys bool   // runc's ENOSYS rule applies
	nrs    []nrOut
	checks []*check
}

// nrOut is the outcome of one syscall number that has rules: a shared
// `ret` or the label of its argument checks.
type nrOut struct {
	nr    uint32
	out   label
	check *check // nil for a ret
}

// group is the ABIs that share one AUDIT_ARCH token (x86_64 and x32, or a
// single ABI); abis[0] is the one listed first.
type group struct {
	token uint32
	abis  []*abi
	entry label
}

type compiler struct {
	p      *policy.Policy
	e      emitter
	groups []*group
	ar     arena
	keys   []uint64 // scratch for sorting rules
	keys2  []uint64
	count  []int32
	segBuf []seg // scratch for the number trees
	def    label // ret DefaultAction
	bad    label // ret BadArch
	nosys  label // ret ERRNO(ENOSYS)
}

const auditArchX86_64 = 0xc000003e

func (c *compiler) prepare() error {
	p := c.p
	if p == nil {
		return &PolicyError{Rule: -1, Msg: "nil policy"}
	}
	if len(p.Arches) == 0 {
		return &PolicyError{Rule: -1, Msg: "the policy lists no architecture"}
	}
	c.e.reset()
	c.e.at = make([]int32, 0, 64)
	c.e.in = make([]aState, 0, 64)
	c.e.setNote(Note{Kind: NoteArch})
	c.def = c.e.ret(p.DefaultAction)
	c.bad = c.e.ret(p.BadArch)
	c.nosys = c.e.ret(policy.Errno(policy.ENOSYS))
	for i, ap := range p.Arches {
		if ap == nil || ap.Arch == nil {
			return &PolicyError{Rule: -1, Msg: fmt.Sprintf("arches[%d] has no architecture", i)}
		}
		var g *group
		for _, h := range c.groups {
			if h.token == ap.Arch.AuditArch {
				g = h
			}
		}
		if g != nil {
			for _, o := range g.abis {
				if o.ap.Arch == ap.Arch || o.ap.Arch.Name == ap.Arch.Name {
					return &PolicyError{Arch: ap.Arch.Name, Rule: -1, Msg: "listed twice"}
				}
				if ap.Arch.AuditArch != auditArchX86_64 || o.ap.Arch.IsX32() == ap.Arch.IsX32() {
					return &PolicyError{Arch: ap.Arch.Name, Rule: -1,
						Msg: fmt.Sprintf("shares AUDIT_ARCH %#x with %s", ap.Arch.AuditArch, o.ap.Arch.Name)}
				}
			}
		} else {
			g = &group{token: ap.Arch.AuditArch, entry: c.e.newLabel()}
			c.groups = append(c.groups, g)
		}
		a, err := c.prepareABI(ap)
		if err != nil {
			return err
		}
		g.abis = append(g.abis, a)
	}
	return nil
}

// owns reports whether a number belongs to the ABI on its AUDIT_ARCH
// token (on AUDIT_ARCH_X86_64 the x32 bit tells x32 from x86_64).
func owns(a *syscalls.Arch, nr uint32) bool {
	if a.AuditArch != auditArchX86_64 {
		return true
	}
	return (nr&syscalls.X32SyscallBit != 0) == a.IsX32()
}

func (c *compiler) prepareABI(ap *policy.ArchPolicy) (*abi, error) {
	a := &abi{ap: ap, is64: ap.Arch.Is64(), max: 1<<32 - 1}
	if a.is64 {
		a.max = 1<<64 - 1
	}
	a.enosys = c.p.ENOSYSApplies() && ap.MaxNr > 0
	for i := range ap.Rules {
		for _, cd := range ap.Rules[i].Conds {
			if cd.Arg > 5 {
				return nil, &PolicyError{Arch: ap.Arch.Name, Rule: i, Msg: fmt.Sprintf("argument index %d > 5", cd.Arg)}
			}
			if cd.Op < policy.OpEq || cd.Op > policy.OpMaskedEq {
				return nil, &PolicyError{Arch: ap.Arch.Name, Rule: i, Msg: fmt.Sprintf("unknown operator %v", cd.Op)}
			}
		}
	}
	// Rules in number order (profile order among equal numbers), keeping
	// only those Decide can consult. A key packs number and index, so that
	// a plain integer sort gives that order.
	keys := c.keys[:0]
	if cap(keys) < len(ap.Rules) {
		keys = make([]uint64, 0, len(ap.Rules))
	}
	lo, hi := ^uint32(0), uint32(0)
	for i := range ap.Rules {
		nr := ap.Rules[i].Nr
		if !owns(ap.Arch, nr) || (a.enosys && nr > ap.MaxNr) {
			continue
		}
		if a.enosys && nr == 0 && (ap.Arch.Name == "s390" || ap.Arch.Name == "s390x") {
			continue
		}
		keys = append(keys, uint64(nr)<<32|uint64(i))
		lo, hi = min(lo, nr), max(hi, nr)
	}
	keys = c.sortKeys(keys, lo, hi)
	a.nrs = make([]nrOut, 0, len(keys))
	for i := 0; i < len(keys); {
		nr := uint32(keys[i] >> 32)
		j := i
		var uncond *policy.Rule
		for ; j < len(keys) && uint32(keys[j]>>32) == nr; j++ {
			r := &ap.Rules[uint32(keys[j])]
			if uncond == nil && r.Unconditional(a.is64) {
				uncond = r
			}
		}
		out := nrOut{nr: nr}
		if uncond != nil {
			out.out = c.e.ret(uncond.Action)
		} else {
			rules := make([]*policy.Rule, 0, j-i)
			for _, k := range keys[i:j] {
				rules = append(rules, &ap.Rules[uint32(k)])
			}
			ck, act, isConst := c.ar.buildCheck(rules, a, c.p.DefaultAction)
			if isConst {
				out.out = c.e.ret(act)
			} else {
				ck.nr, ck.lbl = nr, c.e.newLabel()
				out.out, out.check = ck.lbl, ck
				a.checks = append(a.checks, ck)
			}
		}
		i = j
		if out.out == c.def {
			continue // same as having no rule
		}
		a.nrs = append(a.nrs, out)
	}
	return a, nil
}

// sortKeys sorts rule keys (number<<32 | index). Syscall numbers of one
// ABI span a few hundred values, so a counting sort over [lo, hi], which
// keeps the index order, usually beats a comparison sort.
func (c *compiler) sortKeys(keys []uint64, lo, hi uint32) []uint64 {
	if len(keys) < 32 || hi-lo >= 4096 {
		slices.Sort(keys)
		c.keys = keys
		return keys
	}
	span := int(hi-lo) + 2
	if cap(c.count) < span {
		c.count = make([]int32, span)
	}
	count := c.count[:span]
	clear(count)
	for _, k := range keys {
		count[uint32(k>>32)-lo+1]++
	}
	for i := 1; i < span; i++ {
		count[i] += count[i-1]
	}
	if cap(c.keys2) < len(keys) {
		c.keys2 = make([]uint64, len(keys))
	}
	out := c.keys2[:len(keys)]
	for _, k := range keys {
		b := uint32(k>>32) - lo
		out[count[b]] = k
		count[b]++
	}
	c.keys, c.keys2 = out, keys
	return out
}

// generate emits the whole program.
func (c *compiler) generate() {
	e := &c.e
	est := 16
	for _, g := range c.groups {
		for _, a := range g.abis {
			est += len(a.nrs)/3 + 8*len(a.checks)
		}
	}
	e.code = make([]vinsn, 0, est)
	e.setNote(Note{Kind: NoteArch})
	e.load(bpf.OffArch)
	for i, g := range c.groups {
		next := c.bad
		if i < len(c.groups)-1 {
			next = e.newLabel()
		}
		e.jump(bpf.JmpJEQ, g.token, g.entry, next)
		if next != c.bad {
			e.bind(next)
		}
	}
	for _, g := range c.groups {
		c.genGroup(g)
	}
	e.finish()
}

func (c *compiler) genGroup(g *group) {
	e := &c.e
	e.bind(g.entry)
	first := g.abis[0]
	e.setNote(Note{Kind: NoteTree, Arch: first.ap.Arch})
	e.load(bpf.OffNr)

	// The first ABI's argument-checked syscalls are tested before anything
	// else: the kernel's cache serves the syscalls allowed outright, so
	// these are the ones whose path length counts. Their numbers are
	// unique on the token (x32's carry the x32 bit), so the test may
	// precede the x32 split, and they become "don't care" in the tree.
	var front []*check
	for _, n := range first.nrs {
		if n.check != nil {
			front = append(front, n.check)
		}
	}
	if len(front) > 0 {
		e.setNote(Note{Kind: NoteFront, Arch: first.ap.Arch})
		cont := e.newLabel()
		var b segBuilder
		b.segs = make([]seg, 0, 2*len(front)+1)
		prev := uint64(0)
		for _, ck := range front {
			if uint64(ck.nr) > prev {
				b.add(prev, uint64(ck.nr)-1, cont)
			}
			b.add(uint64(ck.nr), uint64(ck.nr), ck.lbl)
			prev = uint64(ck.nr) + 1
		}
		b.add(prev, 1<<32-1, cont)
		e.tree(b.done(cont))
		e.bind(cont)
	}
	if g.token == auditArchX86_64 {
		var x64, x32 *abi
		for _, a := range g.abis {
			if a.ap.Arch.IsX32() {
				x32 = a
			} else {
				x64 = a
			}
		}
		l64, l32 := e.newLabel(), e.newLabel()
		e.setNote(Note{Kind: NoteX32})
		e.jump(bpf.JmpJSET, syscalls.X32SyscallBit, l32, l64)
		half64 := func() {
			c.genHalf(l64, x64, g, c.segs(x64, x64 == first, [][2]uint64{{0, 0x3fffffff}, {0x80000000, 0xbfffffff}}, false))
		}
		half32 := func() {
			c.genHalf(l32, x32, g, c.segs(x32, x32 != nil && x32 == first, [][2]uint64{{0x40000000, 0x7fffffff}, {0xc0000000, 0xffffffff}}, x32 == nil))
		}
		// The first ABI's half first: it is nearer the jumps into it.
		if x64 == first || x32 == nil {
			half64()
			half32()
		} else {
			half32()
			half64()
		}
	} else {
		e.setNote(Note{Kind: NoteTree, Arch: first.ap.Arch})
		e.tree(c.segs(first, true, [][2]uint64{{0, 1<<32 - 1}}, false))
	}
	for _, a := range g.abis {
		for _, ck := range a.checks {
			c.genCheck(ck)
		}
	}
}

func (c *compiler) genHalf(l label, a *abi, g *group, segs []seg) {
	e := &c.e
	if !e.bind(l) {
		return
	}
	arch := g.abis[0].ap.Arch
	if a != nil {
		arch = a.ap.Arch
	}
	e.setNote(Note{Kind: NoteTree, Arch: arch})
	e.tree(segs)
}

// segs lists the outcomes of the numbers in the given intervals for ABI a
// (nil: no ABI owns them, bad-arch), the rest of the 32-bit space being
// "don't care". exceptAll is x86_64-only's rule that 0xffffffff (the
// number tracers use to skip a call) gets the default action.
func (c *compiler) segs(a *abi, front bool, ranges [][2]uint64, exceptAll bool) []seg {
	b := segBuilder{segs: c.segBuf[:0]}
	defer func() { c.segBuf = b.segs[:0] }()
	if a == nil {
		for _, r := range ranges {
			if exceptAll && r[1] == 1<<32-1 {
				b.add(r[0], r[1]-1, c.bad)
				b.add(r[1], r[1], c.def)
				continue
			}
			b.add(r[0], r[1], c.bad)
		}
		return b.done(c.bad)
	}
	ap := a.ap
	k := 0
	for _, r := range ranges {
		cur, hi := r[0], r[1]
		ruleHi := hi // numbers above it get ENOSYS
		if a.enosys {
			if uint64(ap.MaxNr) < ruleHi {
				ruleHi = uint64(ap.MaxNr)
			}
			if cur == 0 && (ap.Arch.Name == "s390" || ap.Arch.Name == "s390x") {
				b.add(0, 0, c.nosys)
				cur = 1
			}
		}
		for ; k < len(a.nrs) && uint64(a.nrs[k].nr) < cur; k++ {
		}
		for ; k < len(a.nrs) && uint64(a.nrs[k].nr) <= ruleHi; k++ {
			n := a.nrs[k]
			if uint64(n.nr) > cur {
				b.add(cur, uint64(n.nr)-1, c.def)
			}
			out := n.out
			if n.check != nil && front {
				out = dc
			}
			b.add(uint64(n.nr), uint64(n.nr), out)
			cur = uint64(n.nr) + 1
		}
		b.add(cur, ruleHi, c.def)
		if ruleHi < hi {
			b.add(max(cur, ruleHi+1), hi, c.nosys)
		}
	}
	return b.done(c.def)
}
