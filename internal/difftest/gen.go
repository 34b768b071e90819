package difftest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/syscalls"
)

// Target is a native ABI with the extra ABIs a profile may add to it (all
// of one byte order: libseccomp refuses to mix them in one filter).
type Target struct {
	Native string
	Extra  []string
}

// Targets are the ABI sets the random profiles use: every ABI libseccomp
// 2.5 supports, grouped as Docker's archMap groups them.
var Targets = []Target{
	{"x86_64", []string{"x86", "x32"}},
	{"aarch64", []string{"arm"}},
	{"s390x", []string{"s390"}},
	{"ppc64le", nil},
	{"ppc64", []string{"ppc"}},
	{"riscv64", nil},
	{"mips64", []string{"mips", "mips64n32"}},
	{"mipsel64", []string{"mipsel", "mipsel64n32"}},
	{"parisc64", []string{"parisc"}},
	{"x86", nil},
	{"arm", nil},
}

// Edge values for argument conditions: the word boundaries, sign bits,
// and values that differ only in the high word.
var Edges = []uint64{
	0, 1, 2, 0x7f, 0xff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	0x100000000, 0x100000001, 0x1ffffffff, 0x7fffffffffffffff, 1 << 63, 1<<63 | 1,
	^uint64(0), ^uint64(0) - 1, 0xffffffff00000000, 0x00000001ffffffff, 0x8000000000000000 | 0xffffffff,
	0xdeadbeef, 0x1deadbeef, 0xffffffffdeadbeef,
}

var (
	ociActions = []specs.LinuxSeccompAction{specs.ActKill, specs.ActKillThread, specs.ActKillProcess, specs.ActTrap,
		specs.ActErrno, specs.ActTrace, specs.ActLog, specs.ActAllow, specs.ActNotify}
	ociOps = []specs.LinuxSeccompOperator{specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
		specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual}
	muxNames = func() []string {
		var out []string
		for _, m := range []string{"socketcall", "ipc"} {
			for n := range syscalls.MuxCalls(m) {
				out = append(out, n)
			}
		}
		slices.Sort(out)
		return out
	}()
)

// Shape tunes a random profile.
type Shape struct {
	Entries    int     // syscall entries
	MaxNames   int     // names per entry, 1..MaxNames
	CondProb   float64 // chance an entry has argument conditions
	MaxConds   int
	RepeatProb float64 // chance an entry repeats an argument index (runc ORs them)
	ReuseProb  float64 // chance a name is reused from an earlier entry
	DefaultEq  float64 // chance an entry's action equals the default action
}

// RandomShape picks a profile size: mostly small, sometimes large enough
// (hundreds of conditional names) to need long jumps in a compiled filter.
func RandomShape(r *rand.Rand) Shape {
	s := Shape{Entries: 1 + r.IntN(12), MaxNames: 3, CondProb: 0.6, MaxConds: 3, RepeatProb: 0.25, ReuseProb: 0.3, DefaultEq: 0.1}
	switch r.IntN(10) {
	case 0:
		s.Entries, s.MaxNames, s.CondProb, s.ReuseProb = 80+r.IntN(120), 4, 0.5, 0.05
	case 1:
		s.Entries, s.MaxNames, s.CondProb = 20+r.IntN(40), 3, 0.3
	}
	return s
}

// Profile is a generated OCI config and the ABI it is meant for.
type Profile struct {
	Native *syscalls.Arch
	OCI    *specs.LinuxSeccomp
}

// RandomProfile generates an OCI seccomp config for one of the Targets:
// random default action and extra ABIs, entries with every action (errno
// and trace data included), every operator with 64-bit edge values,
// same-index ORs, names shared between entries, entries equal to the
// default action, socket and IPC names, and the odd unknown name.
func RandomProfile(r *rand.Rand, s Shape) Profile {
	t := Targets[r.IntN(len(Targets))]
	if r.IntN(2) == 0 {
		t = Targets[0] // x86_64 + x86 + x32 is what matters most
	}
	native, _ := syscalls.ArchByName(t.Native)
	oci := &specs.LinuxSeccomp{}
	set := []*syscalls.Arch{native}
	for _, e := range t.Extra {
		if r.IntN(3) > 0 {
			a, _ := syscalls.ArchByName(e)
			oci.Architectures = append(oci.Architectures, specs.Arch(a.OCI))
			set = append(set, a)
		}
	}
	if r.IntN(8) == 0 { // the native ABI listed explicitly too
		oci.Architectures = append(oci.Architectures, specs.Arch(native.OCI))
	}

	// Default action: ERRNO and KILL most often, as real profiles.
	for {
		oci.DefaultAction = ociActions[r.IntN(len(ociActions))]
		if r.IntN(3) == 0 {
			oci.DefaultAction = specs.ActErrno
		}
		if oci.DefaultAction != specs.ActNotify {
			break
		}
	}
	oci.DefaultErrnoRet = randomRet(r)

	// Candidate names: those of the ABIs in the set, plus mux names.
	var pool []string
	seen := map[string]bool{}
	for _, a := range set {
		for _, sc := range a.Syscalls() {
			if !seen[sc.Name] {
				seen[sc.Name] = true
				pool = append(pool, sc.Name)
			}
		}
	}
	var used []string
	pick := func() string {
		switch {
		case len(used) > 0 && r.Float64() < s.ReuseProb:
			return used[r.IntN(len(used))]
		case r.IntN(6) == 0:
			return muxNames[r.IntN(len(muxNames))]
		case r.IntN(60) == 0:
			return "no_such_syscall"
		case r.IntN(40) == 0:
			all := syscalls.Names()
			return all[r.IntN(len(all))] // maybe not on these ABIs
		}
		return pool[r.IntN(len(pool))]
	}

	for range s.Entries {
		var e specs.LinuxSyscall
		for range 1 + r.IntN(s.MaxNames) {
			n := pick()
			if !slices.Contains(e.Names, n) {
				e.Names = append(e.Names, n)
			}
		}
		used = append(used, e.Names...)
		if r.Float64() < s.DefaultEq {
			e.Action, e.ErrnoRet = oci.DefaultAction, oci.DefaultErrnoRet
		} else {
			e.Action = ociActions[r.IntN(len(ociActions))]
			e.ErrnoRet = randomRet(r)
		}
		if e.Action == specs.ActNotify && slices.Contains(e.Names, "write") {
			e.Action = specs.ActLog // runc refuses NOTIFY on write
		}
		if r.Float64() < s.CondProb {
			e.Args = randomArgs(r, s)
		}
		oci.Syscalls = append(oci.Syscalls, e)
	}
	return Profile{Native: native, OCI: oci}
}

func randomRet(r *rand.Rand) *uint {
	var v uint
	switch r.IntN(6) {
	case 0, 1, 2:
		return nil
	case 3:
		v = 0
	case 4:
		v = uint(r.IntN(4096))
	default:
		v = uint(1 + r.IntN(40))
	}
	return &v
}

func randomArgs(r *rand.Rand, s Shape) []specs.LinuxSeccompArg {
	n := 1 + r.IntN(s.MaxConds)
	var out []specs.LinuxSeccompArg
	var idx []uint
	for range n {
		var i uint
		if len(idx) > 0 && r.Float64() < s.RepeatProb {
			i = idx[r.IntN(len(idx))]
		} else {
			i = uint(r.IntN(6))
			if r.IntN(2) == 0 {
				i = uint(r.IntN(2)) // arguments 0 and 1 matter most
			}
		}
		idx = append(idx, i)
		a := specs.LinuxSeccompArg{Index: i, Op: ociOps[r.IntN(len(ociOps))], Value: randomValue(r)}
		if a.Op == specs.OpMaskedEqual {
			a.ValueTwo = randomValue(r)
			if r.IntN(3) == 0 {
				a.ValueTwo &= a.Value // a satisfiable pair more often
			}
		}
		out = append(out, a)
	}
	return out
}

func randomValue(r *rand.Rand) uint64 {
	switch r.IntN(5) {
	case 0, 1:
		return Edges[r.IntN(len(Edges))]
	case 2:
		return uint64(r.IntN(64))
	case 3:
		return r.Uint64()
	}
	return uint64(r.Uint32())
}

// sameKindNames are the syscalls SameKindProfile puts rules on: common
// ones, and socket calls that libseccomp multiplexes on x86, s390 and ppc
// (there the rules gain an "a0 == call" condition on socketcall).
var sameKindNames = []string{"read", "write", "ioctl", "fcntl", "personality", "mmap", "lseek", "socket", "setsockopt", "futex"}

// SameKindProfile generates a profile whose syscalls have overlapping
// rules of one action kind with other data (ERRNO or TRACE with several
// values), the case of Decide's rule 5: chains of <, <=, >, >= comparisons
// on one argument in shuffled profile order (values that are small, around
// word boundaries, or 64-bit with a shared high word), sometimes behind a
// shared condition on another argument or split by runc's same-index OR;
// and, now and then, what rule 5 does not rank (equal values, the other
// direction, other operators or arguments) and rules of other kinds that
// overlap (rule 4) or not (43-sim-a2_order's ALLOW a2 <= 64).
func SameKindProfile(r *rand.Rand) Profile {
	t := Targets[r.IntN(len(Targets))]
	if r.IntN(2) == 0 {
		t = Targets[0]
	}
	native, _ := syscalls.ArchByName(t.Native)
	oci := &specs.LinuxSeccomp{}
	for _, e := range t.Extra {
		if r.IntN(3) > 0 {
			a, _ := syscalls.ArchByName(e)
			oci.Architectures = append(oci.Architectures, specs.Arch(a.OCI))
		}
	}
	defaults := []specs.LinuxSeccompAction{specs.ActKill, specs.ActErrno, specs.ActAllow, specs.ActTrap, specs.ActLog, specs.ActKillProcess}
	oci.DefaultAction = defaults[r.IntN(len(defaults))]
	ret := func(v uint) *uint { return &v }
	data := uint(5)
	for range 1 + r.IntN(3) {
		name := sameKindNames[r.IntN(len(sameKindNames))]
		act := specs.ActErrno
		if r.IntN(4) == 0 {
			act = specs.ActTrace
		}
		arg := uint(2)
		if r.IntN(2) == 0 {
			arg = uint(r.IntN(6))
		}
		up := r.IntN(2) == 0 // > and >= (else < and <=)
		ops := []specs.LinuxSeccompOperator{specs.OpLessThan, specs.OpLessEqual}
		if up {
			ops = []specs.LinuxSeccompOperator{specs.OpGreaterThan, specs.OpGreaterEqual}
		}
		// Values: 128<<i as in libseccomp's test, clustered small ones,
		// or 64-bit ones sharing one high word.
		var base, step uint64
		switch r.IntN(4) {
		case 0:
			base, step = 128, 0
		case 1:
			base, step = uint64(r.IntN(64)), uint64(1+r.IntN(8))
		case 2:
			base, step = uint64(1+r.IntN(3))<<32|uint64(r.IntN(256)), uint64(1+r.IntN(64))
		default:
			base, step = Edges[r.IntN(len(Edges))], uint64(1+r.IntN(4))
		}
		// A condition all rules of the chain share, mostly on a lower
		// argument: libseccomp chains conditions from argument 0 up and
		// refuses (EEXIST) rules whose differing 64-bit comparison is not
		// the last. A shared </<=/>/>= often makes libseccomp 2.5.4's
		// rule-tree merge loop for good (each of the 5 hangs in a run of
		// 1,000 profiles had one), so there is none.
		var prefix []specs.LinuxSeccompArg
		if r.IntN(3) == 0 {
			if arg == 0 {
				arg = 1 + uint(r.IntN(5))
			}
			other := uint(r.IntN(int(arg)))
			if r.IntN(8) == 0 {
				other = (arg + 1 + uint(r.IntN(5))) % 6
			}
			p := specs.LinuxSeccompArg{Index: other, Op: specs.OpEqualTo, Value: uint64(r.IntN(3))}
			if r.IntN(3) == 0 {
				p.Op, p.Value, p.ValueTwo = specs.OpMaskedEqual, 0xff, uint64(r.IntN(3))
			}
			prefix = append(prefix, p)
		}
		n := 2 + r.IntN(5)
		var chain []specs.LinuxSyscall
		for i := range n {
			v := base + uint64(i)*step
			if step == 0 {
				v = base << i
			}
			e := specs.LinuxSyscall{Names: []string{name}, Action: act, ErrnoRet: ret(data)}
			if r.IntN(6) > 0 {
				data++ // sometimes two rules share an action: they are ORed
			}
			e.Args = append(slices.Clone(prefix), specs.LinuxSeccompArg{Index: arg, Op: ops[r.IntN(2)], Value: v})
			if r.IntN(8) == 0 {
				// Equal values, other direction, other operator or
				// argument: what rule 5 does not rank.
				c := &e.Args[len(e.Args)-1]
				switch r.IntN(4) {
				case 0: // "> v" after ">= v" ("> v" twice would be EEXIST)
					if i > 0 {
						prev := chain[i-1].Args[len(chain[i-1].Args)-1]
						if op, ok := map[specs.LinuxSeccompOperator]specs.LinuxSeccompOperator{specs.OpLessThan: specs.OpLessEqual,
							specs.OpLessEqual: specs.OpLessThan, specs.OpGreaterThan: specs.OpGreaterEqual, specs.OpGreaterEqual: specs.OpGreaterThan}[prev.Op]; ok {
							c.Op, c.Value, c.Index = op, prev.Value, prev.Index
						}
					}
				case 1:
					c.Op = map[specs.LinuxSeccompOperator]specs.LinuxSeccompOperator{specs.OpLessThan: specs.OpGreaterThan,
						specs.OpLessEqual: specs.OpGreaterEqual, specs.OpGreaterThan: specs.OpLessThan, specs.OpGreaterEqual: specs.OpLessEqual}[c.Op]
				case 2:
					c.Op = []specs.LinuxSeccompOperator{specs.OpEqualTo, specs.OpNotEqual, specs.OpMaskedEqual}[r.IntN(3)]
					c.ValueTwo = v & 0xf0
				default:
					c.Index = (c.Index + 1) % 6
				}
			}
			chain = append(chain, e)
		}
		r.Shuffle(len(chain), func(i, j int) { chain[i], chain[j] = chain[j], chain[i] })
		if len(chain) > 2 && len(prefix) == 0 && r.IntN(6) == 0 {
			// runc's OR: one entry naming the argument twice.
			chain[0].Args = append(chain[0].Args, chain[1].Args...)
			chain = append(chain[:1], chain[2:]...)
		}
		if r.IntN(3) == 0 {
			// Another kind on the same argument: below the chain (as
			// 43-sim-a2_order's ALLOW a2 <= 64) or overlapping it.
			other := []specs.LinuxSeccompAction{specs.ActAllow, specs.ActTrap, specs.ActLog, specs.ActKillProcess}[r.IntN(4)]
			op, v := specs.OpLessEqual, base/2
			if !up {
				op, v = specs.OpGreaterEqual, base+uint64(n)*step+1
			}
			if r.IntN(3) == 0 {
				v = base + step
			}
			e := specs.LinuxSyscall{Names: []string{name}, Action: other, Args: []specs.LinuxSeccompArg{{Index: arg, Op: op, Value: v}}}
			at := r.IntN(len(chain) + 1)
			chain = append(chain[:at], append([]specs.LinuxSyscall{e}, chain[at:]...)...)
		}
		oci.Syscalls = append(oci.Syscalls, chain...)
	}
	if oci.DefaultAction == specs.ActErrno {
		oci.DefaultErrnoRet = ret(1)
	}
	return Profile{Native: native, OCI: oci}
}

// TighterFirst returns oci with the rules of the names reorder selects
// (one syscall, say) in orders where rules come after the rules that
// tighten them (policy.Rule.Tightens, compared on 64-bit values: for > and
// >= the higher value first, for < and <= the lower); other entries keep
// their places. Each selected rule runc would add is an entry of its own
// (one name; an entry that names an argument twice is split into one entry
// per condition, runc's OR). Rules that differ only in their comparison on
// the highest argument they compare form a group; the orders permute rules
// among the places their group holds (every group, then each alone; by
// direction, or > and >= before < and <= and the other way round), or sort
// all selected rules by name, maybe by their number of conditions, and
// then argument by argument. Moving fewer
// rules keeps libseccomp from refusing the profile or merging it
// otherwise. libseccomp's answer for rules that tighten one another should
// not depend on the order runc adds them in; building in these orders
// shows where it does.
func TighterFirst(oci *specs.LinuxSeccomp, reorder func(name string) bool) []*specs.LinuxSeccomp {
	type rule struct {
		e     specs.LinuxSyscall
		fixed bool         // an entry of names not selected: keeps its place
		group string       // the rule without its comparison on the highest argument, if it has one
		dir   uint64       // that comparison's direction: 0 for > and >=, 1 for < and <=
		tight uint64       // and its value, ordered tightest first
		key   [6][2]uint64 // per argument: direction (2: none), value (tightest first)
	}
	var all []rule
	for _, sc := range oci.Syscalls {
		var sets [][]specs.LinuxSeccompArg
		seen := map[uint]bool{}
		split := false
		for _, a := range sc.Args {
			split = split || seen[a.Index]
			seen[a.Index] = true
		}
		if split {
			for _, a := range sc.Args {
				sets = append(sets, []specs.LinuxSeccompArg{a})
			}
		} else {
			sets = [][]specs.LinuxSeccompArg{sc.Args}
		}
		var others []string
		for _, name := range sc.Names {
			if !reorder(name) {
				others = append(others, name)
			}
		}
		if len(others) > 0 {
			e := sc
			e.Names = others
			all = append(all, rule{e: e, fixed: true})
		}
		for _, name := range sc.Names {
			if !reorder(name) {
				continue
			}
			for _, args := range sets {
				r := rule{e: sc}
				r.e.Names, r.e.Args = []string{name}, args
				for i := range r.key {
					r.key[i] = [2]uint64{2, 0}
				}
				last := -1
				for i, a := range args {
					switch a.Op {
					case specs.OpGreaterThan, specs.OpGreaterEqual:
						r.key[a.Index] = [2]uint64{0, ^a.Value}
					case specs.OpLessThan, specs.OpLessEqual:
						r.key[a.Index] = [2]uint64{1, a.Value}
					default:
						continue
					}
					if last < 0 || a.Index > args[last].Index {
						last = i
					}
				}
				if last >= 0 {
					a := args[last]
					rest := slices.Clone(args)
					rest = append(rest[:last], rest[last+1:]...)
					slices.SortFunc(rest, func(x, y specs.LinuxSeccompArg) int { return cmp.Compare(fmt.Sprint(x), fmt.Sprint(y)) })
					r.group = fmt.Sprint(name, rest, a.Index)
					r.dir, r.tight = r.key[a.Index][0], r.key[a.Index][1]
				}
				all = append(all, r)
			}
		}
	}
	var movable []rule
	for _, r := range all {
		if !r.fixed {
			movable = append(movable, r)
		}
	}
	var out []*specs.LinuxSeccomp
	seen := map[string]bool{}
	// emit puts the movable rules, in the order of sorted, into the places
	// movable rules hold in all; an order already emitted is left out.
	emit := func(sorted []rule) {
		o := *oci
		o.Syscalls = make([]specs.LinuxSyscall, 0, len(all))
		k := 0
		for _, r := range all {
			if r.fixed {
				o.Syscalls = append(o.Syscalls, r.e)
				continue
			}
			o.Syscalls = append(o.Syscalls, sorted[k].e)
			k++
		}
		if id := fmt.Sprint(o.Syscalls); !seen[id] {
			seen[id] = true
			out = append(out, &o)
		}
	}
	// A group's rules go tightest first: per direction (split), or with
	// > and >= first (first 0) or < and <= first (first 1).
	type arrangement struct {
		split bool
		first uint64
	}
	for _, how := range []arrangement{{true, 0}, {false, 0}, {false, 1}} {
		key := func(r rule) string {
			if how.split {
				return fmt.Sprint(r.group, r.dir)
			}
			return r.group
		}
		groups := map[string][]int{}
		var names []string
		for i, r := range movable {
			if r.group == "" {
				continue
			}
			if groups[key(r)] == nil {
				names = append(names, key(r))
			}
			groups[key(r)] = append(groups[key(r)], i)
		}
		arrange := func(which []string) []rule {
			o := slices.Clone(movable)
			for _, g := range which {
				at := groups[g]
				rs := make([]rule, len(at))
				for j, i := range at {
					rs[j] = movable[i]
				}
				slices.SortStableFunc(rs, func(x, y rule) int {
					if c := cmp.Compare(x.dir^how.first, y.dir^how.first); c != 0 {
						return c
					}
					return cmp.Compare(x.tight, y.tight)
				})
				for j, i := range at {
					o[i] = rs[j]
				}
			}
			return o
		}
		emit(arrange(names))
		for _, g := range names {
			emit(arrange([]string{g}))
		}
	}
	for _, how := range []struct {
		lessFirst uint64
		fewer     bool // rules with fewer conditions first
	}{{0, false}, {1, false}, {0, true}, {1, true}} {
		sorted := slices.Clone(movable)
		slices.SortStableFunc(sorted, func(x, y rule) int {
			if c := strings.Compare(x.e.Names[0], y.e.Names[0]); c != 0 {
				return c
			}
			if c := cmp.Compare(len(x.e.Args), len(y.e.Args)); how.fewer && c != 0 {
				return c
			}
			for i := range x.key {
				a, b := x.key[i], y.key[i]
				if a[0] < 2 {
					a[0] ^= how.lessFirst
				}
				if b[0] < 2 {
					b[0] ^= how.lessFirst
				}
				if c := cmp.Compare(a[0], b[0]); c != 0 {
					return c
				}
				if c := cmp.Compare(a[1], b[1]); c != 0 {
					return c
				}
			}
			return 0
		})
		emit(sorted)
	}
	return out
}
