package compile

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
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
	nrs    []nrOut
	checks []*check
}

// nrOut is the outcome of one syscall number that has rules: a shared
// `ret` or the label of its argument checks.
type nrOut struct {
	nr    uint32
	out   label
	check int32 // index in abi.checks, -1 for a ret
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
	probe  probe
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
	most := 0
	for _, ap := range p.Arches {
		if ap != nil {
			most = max(most, len(ap.Rules))
		}
	}
	c.keys, c.keys2 = make([]uint64, 0, most), make([]uint64, 0, most)
	c.segBuf = make([]seg, 0, most/2+16)
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
		c.probe.abis = append(c.probe.abis, a)
	}
	c.newProbe()
	return nil
}

func (c *compiler) prepareABI(ap *policy.ArchPolicy) (*abi, error) {
	a := &abi{ap: ap, is64: ap.Arch.Is64(), max: 1<<32 - 1}
	if a.is64 {
		a.max = 1<<64 - 1
	}
	// Rules in number order (profile order among equal numbers). A key
	// packs number, index and whether the rule is unconditional, so that a
	// plain integer sort gives that order and the grouping below need not
	// visit the rules again. Which numbers reach an ABI's rules at all is
	// the business of space.
	keys := c.keys[:0]
	if cap(keys) < len(ap.Rules) {
		keys = make([]uint64, 0, len(ap.Rules))
	}
	lo, hi := ^uint32(0), uint32(0)
	for i := range ap.Rules {
		r := &ap.Rules[i]
		uncond := uint64(1)
		for _, cd := range r.Conds {
			if cd.Arg > 5 {
				return nil, &PolicyError{Arch: ap.Arch.Name, Rule: i, Msg: fmt.Sprintf("argument index %d > 5", cd.Arg)}
			}
			if cd.Op < policy.OpEq || cd.Op > policy.OpMaskedEq {
				return nil, &PolicyError{Arch: ap.Arch.Name, Rule: i, Msg: fmt.Sprintf("unknown operator %v", cd.Op)}
			}
			if !cd.NoOp(a.is64) {
				uncond = 0
			}
		}
		keys = append(keys, uint64(r.Nr)<<32|uint64(i)<<1|uncond)
		lo, hi = min(lo, r.Nr), max(hi, r.Nr)
	}
	keys = c.sortKeys(keys, lo, hi)
	a.nrs = make([]nrOut, 0, len(keys))
	for i := 0; i < len(keys); {
		nr := uint32(keys[i] >> 32)
		j := i
		uncond := -1
		for ; j < len(keys) && uint32(keys[j]>>32) == nr; j++ {
			if uncond < 0 && keys[j]&1 != 0 {
				uncond = ruleIndex(keys[j])
			}
		}
		out := nrOut{nr: nr, check: -1}
		if uncond >= 0 {
			out.out = c.e.ret(ap.Rules[uncond].Action)
		} else {
			rules := make([]*policy.Rule, 0, j-i)
			for _, k := range keys[i:j] {
				rules = append(rules, &ap.Rules[ruleIndex(k)])
			}
			ck, act, isConst := c.ar.buildCheck(rules, a, c.p.DefaultAction)
			if isConst {
				out.out = c.e.ret(act)
			} else {
				ck.nr, ck.lbl = nr, c.e.newLabel()
				out.out, out.check = ck.lbl, int32(len(a.checks))
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

// ruleIndex returns the rule index in a sort key.
func ruleIndex(key uint64) int { return int(uint32(key) >> 1) }

// sortKeys sorts rule keys (number<<32 | index<<1 | unconditional). Syscall numbers of one
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
		c.count = make([]int32, max(span, 1024))
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
	est := 32
	for _, g := range c.groups {
		for _, a := range g.abis {
			est += len(a.nrs)/4 + 24*len(a.checks)
		}
	}
	e.code = make([]vinsn, 0, est)
	if cap(e.at) < 2*est {
		at, in := make([]int32, len(e.at), 2*est), make([]aState, len(e.in), 2*est)
		copy(at, e.at)
		copy(in, e.in)
		e.at, e.in = at, in
	}
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
