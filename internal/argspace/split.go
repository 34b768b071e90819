package argspace

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// Region is a set of calls of one syscall on one ABI that policy.Decide
// answers alike: every argument's value lies in Args[i], and Witness is
// one such call (each argument's smallest value).
type Region struct {
	Args     [6]Set
	Witness  [6]uint64
	Decision policy.Decision
}

// Contains reports whether a call's arguments lie in the region.
func (r *Region) Contains(args *[6]uint64) bool {
	for i := range r.Args {
		if !r.Args[i].Contains(args[i]) {
			return false
		}
	}
	return true
}

// ArgSpace returns an empty space of the values an argument of ABI a
// has as seccomp compares it: 64 bits, or 32 on a 32-bit ABI.
func ArgSpace(a *syscalls.Arch) *Space {
	if a.Is64() {
		return NewSpace(64)
	}
	return NewSpace(32)
}

// ErrTooComplex is returned when the conditions of one syscall cut its
// argument space into more regions than MaxRegions.
var ErrTooComplex = errors.New("too many argument regions")

// MaxRegions bounds the regions Split builds for one syscall. Real
// profiles stay far below it (Docker's default: 32 for socket).
const MaxRegions = 1 << 16

// Split partitions the argument space of syscall nr on ABI ap into the
// regions where every condition of every rule for nr has a fixed truth
// value; p.Decide is therefore constant on each region, and Split asks it
// (on the witness) for the region's answer. The result is exact: every
// call lies in exactly one region. pin restricts arguments to one value
// before splitting (a multiplexer's call number in argument 0); nil pins
// nothing.
func Split(p *policy.Policy, ap *policy.ArchPolicy, nr uint32, pin map[int]uint64) ([]Region, error) {
	is64 := ap.Arch.Is64()
	sp := ArgSpace(ap.Arch)
	var base [6]Set
	var w [6]uint64
	for i := range base {
		base[i] = sp.Universe()
		if v, ok := pin[i]; ok {
			base[i] = sp.Value(v)
			w[i] = base[i].Min()
		}
	}
	whole := func() []Region {
		r := Region{Args: base, Witness: w}
		r.Decision = p.Decide(ap.Arch.AuditArch, nr, &r.Witness)
		return []Region{r}
	}
	// Answers that come before any rule, and a first unconditional rule,
	// do not depend on arguments.
	if d := p.Decide(ap.Arch.AuditArch, nr, &w); d.Why == policy.WhyBadArch || d.Why == policy.WhyENOSYS {
		return whole(), nil
	}
	var conds [6][]policy.Cond
	for i := range ap.Rules {
		r := &ap.Rules[i]
		if r.Nr != nr {
			continue
		}
		if r.Unconditional(is64) {
			return whole(), nil
		}
		for _, c := range r.Conds {
			if c.NoOp(is64) || c.Arg > 5 {
				continue
			}
			if !hasCond(conds[c.Arg], c, sp.mask()) {
				conds[c.Arg] = append(conds[c.Arg], c)
			}
		}
	}
	var cells [6][]Set
	total := 1
	for i := range cells {
		cs := []Set{base[i]}
		for _, c := range conds[i] {
			s := sp.Cond(c)
			var next []Set
			for _, cell := range cs {
				if in := cell.And(s); !in.IsEmpty() {
					next = append(next, in)
				}
				if out := cell.Minus(s); !out.IsEmpty() {
					next = append(next, out)
				}
			}
			cs = next
			if len(cs) > MaxRegions {
				if onlyArg(conds, i) {
					return splitByRules(p, ap, nr, i, base, w)
				}
				return nil, fmt.Errorf("%w: argument %d of %s on %s", ErrTooComplex, i, callName(ap.Arch, nr), ap.Arch.Name)
			}
		}
		cells[i] = cs
		total *= len(cs)
		if total > MaxRegions {
			return nil, fmt.Errorf("%w: %s on %s", ErrTooComplex, callName(ap.Arch, nr), ap.Arch.Name)
		}
	}
	out := make([]Region, 0, total)
	var idx [6]int
	for {
		var r Region
		for i := range r.Args {
			r.Args[i] = cells[i][idx[i]]
			r.Witness[i] = r.Args[i].Min()
		}
		r.Decision = p.Decide(ap.Arch.AuditArch, nr, &r.Witness)
		out = append(out, r)
		// Next combination (mixed radix).
		i := 0
		for ; i < 6; i++ {
			idx[i]++
			if idx[i] < len(cells[i]) {
				break
			}
			idx[i] = 0
		}
		if i == 6 {
			return out, nil
		}
	}
}

// onlyArg reports whether argument k is the only one conditions test.
func onlyArg(conds [6][]policy.Cond, k int) bool {
	for i := range conds {
		if i != k && len(conds[i]) > 0 {
			return false
		}
	}
	return true
}

// splitByRules is Split for a syscall whose conditions all test argument
// k and cut it into too many cells: each condition halves every cell, so
// a rule "allow unless the low 32 bits are TIOCSTI", which a policy can
// only write as 32 one-bit masks, would make 2^32 of them, all answered
// alike. Instead the regions follow Decide: precedence by precedence,
// highest first, where a level's rules match and no higher one did. Where
// a level's rules share one action, the first matching rule decides, so
// each rule gets one region (the values it matches that no earlier rule
// did); other levels are split cell by cell, as Split does. At most one
// region per rule, and one for the default.
func splitByRules(p *policy.Policy, ap *policy.ArchPolicy, nr uint32, k int, base [6]Set, w [6]uint64) ([]Region, error) {
	is64 := ap.Arch.Is64()
	sp := base[k].sp
	type ruleSet struct {
		r *policy.Rule
		s Set
	}
	levels := map[int][]ruleSet{}
	var order []int
	for i := range ap.Rules {
		r := &ap.Rules[i]
		if r.Nr != nr {
			continue
		}
		set := base[k]
		for _, c := range r.Conds {
			if !c.NoOp(is64) && int(c.Arg) == k {
				set = set.And(sp.Cond(c))
			}
		}
		l := r.Action.Precedence()
		if _, ok := levels[l]; !ok {
			order = append(order, l)
		}
		levels[l] = append(levels[l], ruleSet{r, set})
	}
	slices.Sort(order)
	var out []Region
	emit := func(set Set) error {
		if set.IsEmpty() {
			return nil
		}
		if len(out) >= MaxRegions {
			return fmt.Errorf("%w: argument %d of %s on %s", ErrTooComplex, k, callName(ap.Arch, nr), ap.Arch.Name)
		}
		r := Region{Args: base, Witness: w}
		r.Args[k], r.Witness[k] = set, set.Min()
		r.Decision = p.Decide(ap.Arch.AuditArch, nr, &r.Witness)
		out = append(out, r)
		return nil
	}
	rest := base[k]
	for li := len(order) - 1; li >= 0; li-- {
		rules := levels[order[li]]
		oneAction := true
		level := sp.Empty()
		for _, x := range rules {
			oneAction = oneAction && x.r.Action == rules[0].r.Action
			level = level.Or(x.s)
		}
		if oneAction {
			for _, x := range rules {
				if err := emit(rest.And(x.s)); err != nil {
					return nil, err
				}
				rest = rest.Minus(x.s)
			}
			continue
		}
		cells := []Set{rest.And(level)}
		for _, x := range rules {
			var next []Set
			for _, c := range cells {
				for _, part := range []Set{c.And(x.s), c.Minus(x.s)} {
					if !part.IsEmpty() {
						next = append(next, part)
					}
				}
			}
			if cells = next; len(cells) > MaxRegions {
				return nil, fmt.Errorf("%w: argument %d of %s on %s", ErrTooComplex, k, callName(ap.Arch, nr), ap.Arch.Name)
			}
		}
		for _, c := range cells {
			if err := emit(c); err != nil {
				return nil, err
			}
		}
		rest = rest.Minus(level)
	}
	if err := emit(rest); err != nil {
		return nil, err
	}
	return out, nil
}

func hasCond(cs []policy.Cond, c policy.Cond, m uint64) bool {
	for _, d := range cs {
		if d.Op == c.Op && d.Value&m == c.Value&m && d.Mask&m == c.Mask&m {
			return true
		}
	}
	return false
}

func callName(a *syscalls.Arch, nr uint32) string {
	if n, ok := a.SyscallName(nr); ok {
		return n
	}
	return fmt.Sprintf("syscall %d", nr)
}

// Permissive reports whether an action lets the call run: ALLOW, or LOG
// (allowed and logged).
func Permissive(a policy.Action) bool {
	return a.Kind() == policy.ActAllow || a.Kind() == policy.ActLog
}

// Route is one way to make a call on an ABI: its own syscall number, or
// a multiplexer (socketcall, ipc) with the call's number in argument 0.
type Route struct {
	Nr   uint32
	Mux  string // "" for the direct syscall
	Call uint32 // the multiplexer's argument 0
	// Regions split the route's calls by answer (see Split).
	Regions []Region
}

// Routes returns every route to the syscall name on ABI ap, as
// libseccomp filters them: the direct syscall if the ABI has one, and on
// multiplexing ABIs socketcall(2) or ipc(2) with the call number in
// argument 0. A name the ABI cannot reach gives none.
func Routes(p *policy.Policy, ap *policy.ArchPolicy, name string) ([]Route, error) {
	var out []Route
	if nr, ok := ap.Arch.Number(name); ok {
		regs, err := Split(p, ap, nr, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, Route{Nr: nr, Regions: regs})
	}
	if m, ok := ap.Arch.Mux(name); ok {
		regs, err := Split(p, ap, m.Nr, map[int]uint64{0: uint64(m.Call)})
		if err != nil {
			return nil, err
		}
		out = append(out, Route{Nr: m.Nr, Mux: m.Name, Call: m.Call, Regions: regs})
	}
	return out, nil
}

// Status sums up what a policy does with a call: allowed for every
// argument value, for none, or for some.
type Status uint8

const (
	Absent  Status = iota // the ABI has no route to the call
	Denied                // no argument values are allowed
	Partly                // some argument values are allowed
	Allowed               // every argument value is allowed
)

var statusNames = [...]string{Absent: "absent", Denied: "denied", Partly: "partly", Allowed: "allowed"}

func (s Status) String() string { return statusNames[s] }

// StatusOf sums up regions.
func StatusOf(regs []Region) Status {
	if len(regs) == 0 {
		return Absent
	}
	allow, deny := false, false
	for i := range regs {
		if Permissive(regs[i].Decision.Action) {
			allow = true
		} else {
			deny = true
		}
	}
	switch {
	case allow && deny:
		return Partly
	case allow:
		return Allowed
	}
	return Denied
}

// StatusOfRoutes sums up all routes to a call: a call is as open as its
// most open route, and partly open when one route allows it and another
// refuses some of its calls.
func StatusOfRoutes(rs []Route) Status {
	if len(rs) == 0 {
		return Absent
	}
	var all []Region
	for _, r := range rs {
		all = append(all, r.Regions...)
	}
	return StatusOf(all)
}

// Regions returns the regions of a call's routes (from Routes): of its
// own syscall number and of the multiplexer, nil where there is none.
func Regions(rs []Route) (direct, mux []Region) {
	for _, r := range rs {
		if r.Mux == "" {
			direct = r.Regions
		} else {
			mux = r.Regions
		}
	}
	return direct, mux
}

// Cache computes the routes to each call on each ABI of one policy once:
// lint's checks and explain's tables ask for the same calls again and
// again. Err keeps the first error of Routes; a call whose routes failed
// has none.
type Cache struct {
	p      *policy.Policy
	routes map[cacheKey][]Route
	Err    error
}

type cacheKey struct {
	ap   *policy.ArchPolicy
	name string
}

// NewCache returns an empty Cache for p.
func NewCache(p *policy.Policy) *Cache {
	return &Cache{p: p, routes: map[cacheKey][]Route{}}
}

// Routes returns Routes(p, ap, name), computed on first use.
func (c *Cache) Routes(ap *policy.ArchPolicy, name string) []Route {
	k := cacheKey{ap, name}
	if rs, ok := c.routes[k]; ok {
		return rs
	}
	rs, err := Routes(c.p, ap, name)
	if err != nil && c.Err == nil {
		c.Err = err
	}
	c.routes[k] = rs
	return rs
}
