package compile

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// cacheAllowed reports whether the kernel's action cache would skip the
// filter for (arch, nr) (bpf.CacheCheck emulates seccomp_is_const_allow).
func cacheAllowed(p bpf.Program, arch, nr uint32) bool { return bpf.CacheCheck(p, arch, nr).Cached }

// bigEndianOf returns the byte order of the ABIs using an AUDIT_ARCH token
// (false when no known ABI uses it: such a call never loads an argument).
func bigEndianOf(token uint32) bool {
	for _, a := range syscalls.ByAuditArch(token) {
		return a.BigEndian
	}
	return false
}

// run executes the filter on one input.
func run(t testing.TB, prog bpf.Program, d *bpf.Data) bpf.Result {
	t.Helper()
	res, err := bpf.Run(prog, d, bigEndianOf(d.Arch), false)
	if err != nil {
		t.Fatalf("run arch=%#x nr=%#x args=%#x: %v", d.Arch, d.Nr, d.Args, err)
	}
	return res
}

// source is where random policies and inputs get their choices: a PRNG
// for seeded tests, the fuzzer's bytes for FuzzCompile.
type source interface {
	intn(n int) int
	u64() uint64
}

type prng struct{ r *rand.Rand }

func (p prng) intn(n int) int { return p.r.IntN(n) }
func (p prng) u64() uint64    { return p.r.Uint64() }

// bytesSource reads choices from fuzz input; zeros once it runs out.
type bytesSource struct{ b []byte }

func (s *bytesSource) intn(n int) int {
	if n <= 1 {
		return 0
	}
	if len(s.b) == 0 {
		return 0
	}
	v := int(s.b[0])
	s.b = s.b[1:]
	if n > 256 && len(s.b) > 0 {
		v = v<<8 | int(s.b[0])
		s.b = s.b[1:]
	}
	return v % n
}

func (s *bytesSource) u64() uint64 {
	var buf [8]byte
	k := copy(buf[:], s.b)
	s.b = s.b[k:]
	return binary.LittleEndian.Uint64(buf[:])
}

var randArches = []string{"x86_64", "x86", "x32", "aarch64", "arm", "s390x", "s390", "mips", "mipsel64", "ppc64", "riscv64"}

var interesting = []uint64{0, 1, 2, 3, 7, 8, 0xff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	0x100000000, 0x100000001, 0x1ffffffff, 0x7fffffffffffffff, 0x8000000000000000,
	0xffffffff00000000, 0xfffffffffffffffe, 0xffffffffffffffff, 0x20000, 0x20008}

func randValue(s source) uint64 {
	switch s.intn(4) {
	case 0:
		return s.u64()
	case 1:
		return uint64(s.intn(64))
	}
	return interesting[s.intn(len(interesting))]
}

func randAction(s source) policy.Action {
	switch s.intn(10) {
	case 0:
		return policy.ActKillProcess
	case 1:
		return policy.ActKillThread
	case 2:
		return policy.ActTrap
	case 3:
		return policy.Errno(uint16(1 + s.intn(3)))
	case 4:
		return policy.ActUserNotif
	case 5:
		return policy.Trace(uint16(s.intn(3)))
	case 6:
		return policy.ActLog
	}
	return policy.ActAllow
}

func randCond(s source) policy.Cond {
	c := policy.Cond{Arg: uint8(s.intn(6)), Op: policy.Op(1 + s.intn(7)), Value: randValue(s)}
	if s.intn(3) == 0 {
		c.Arg = 0
	}
	if c.Op == policy.OpMaskedEq {
		c.Mask = randValue(s)
		if s.intn(3) == 0 {
			c.Value &= c.Mask
		}
	}
	return c
}

// randPolicy makes a policy with clustered syscall numbers (so that ranges
// form), every action and operator, same-argument ORs, and now and then
// hundreds of numbers so that jumps need trampolines.
func randPolicy(s source) *policy.Policy {
	p := &policy.Policy{
		DefaultAction: randAction(s),
		BadArch:       randAction(s),
		ENOSYS:        s.intn(3) > 0,
	}
	if s.intn(2) == 0 {
		p.DefaultAction = policy.Errno(1)
	}
	names := slices.Clone(randArches)
	nArch := 1 + s.intn(3)
	if s.intn(4) == 0 {
		// the x86_64 family, in any order
		names = []string{"x86_64", "x32", "x86"}
		nArch = 1 + s.intn(3)
	}
	for i := 0; i < nArch; i++ {
		j := i + s.intn(len(names)-i)
		names[i], names[j] = names[j], names[i]
	}
	big := s.intn(20) == 0
	for _, n := range names[:nArch] {
		arch, _ := syscalls.ArchByName(n)
		ap := &policy.ArchPolicy{Arch: arch}
		table := arch.Syscalls()
		nRules := s.intn(12)
		if big {
			nRules = 200 + s.intn(400)
		}
		base := s.intn(len(table))
		for r := 0; r < nRules; r++ {
			var nr uint32
			switch s.intn(8) {
			case 0:
				nr = table[s.intn(len(table))].Nr
			case 1:
				nr = uint32(s.u64())
			default:
				nr = table[(base+s.intn(40))%len(table)].Nr
			}
			if big {
				nr = table[s.intn(len(table))].Nr
			}
			rule := policy.Rule{Nr: nr, Action: randAction(s)}
			if s.intn(3) == 0 {
				rule.Action = policy.ActAllow
			}
			if s.intn(2) == 0 {
				for c := s.intn(4); c > 0; c-- {
					rule.Conds = append(rule.Conds, randCond(s))
				}
			}
			if s.intn(6) == 0 {
				// A chain of rules of one kind that tighten each other.
				if k := rule.Action.Kind(); k != policy.ActErrno && k != policy.ActTrace {
					rule.Action = policy.Errno(uint16(1 + s.intn(4)))
				}
				for n := 1 + s.intn(3); n > 0; n-- {
					ap.Rules = append(ap.Rules, rule)
					prev := ap.Rules[len(ap.Rules)-1]
					if len(ap.Rules) > 1 && s.intn(2) == 0 {
						prev = ap.Rules[len(ap.Rules)-2]
					}
					rule = tightenable(s, prev)
				}
			}
			ap.Rules = append(ap.Rules, rule)
		}
		for _, r := range ap.Rules {
			if r.Nr < 1<<31 || arch.IsX32() {
				ap.MaxNr = max(ap.MaxNr, r.Nr)
			}
		}
		if s.intn(4) == 0 {
			ap.MaxNr = arch.MaxNr()
		}
		p.Arches = append(p.Arches, ap)
	}
	return p
}

// tightenable returns a rule for the number of r that is r with one
// comparison's value (and maybe its operator, in the same direction)
// changed, with other data of r's action kind, so that one of the two
// often tightens the other (Decide's rule 5). A rule without such a
// comparison gets one.
func tightenable(s source, r policy.Rule) policy.Rule {
	out := policy.Rule{Nr: r.Nr, Conds: slices.Clone(r.Conds)}
	switch r.Action.Kind() {
	case policy.ActErrno:
		out.Action = policy.Errno(uint16(1 + s.intn(4)))
	case policy.ActTrace:
		out.Action = policy.Trace(uint16(s.intn(4)))
	default:
		out.Action = policy.Errno(uint16(1 + s.intn(4)))
	}
	var bounds []int
	for i, c := range out.Conds {
		if c.Op >= policy.OpLt && c.Op <= policy.OpGe {
			bounds = append(bounds, i)
		}
	}
	if len(bounds) == 0 {
		out.Conds = append(out.Conds, policy.Cond{Arg: uint8(s.intn(3)), Op: policy.OpLt + policy.Op(s.intn(2))*2, Value: randValue(s)})
		return out
	}
	c := &out.Conds[bounds[s.intn(len(bounds))]]
	step := uint64(1 + s.intn(300))
	if c.Op == policy.OpLt || c.Op == policy.OpLe {
		step = -step
	}
	switch s.intn(5) {
	case 0, 1:
		c.Value += step // tighter than r
	case 2:
		c.Value -= step
	case 3:
		c.Value ^= 1 << (32 + s.intn(32)) // another high word
	default:
		c.Value = randValue(s)
	}
	if s.intn(4) == 0 { // > and >=, < and <=
		switch c.Op {
		case policy.OpGt:
			c.Op = policy.OpGe
		case policy.OpGe:
			c.Op = policy.OpGt
		case policy.OpLt:
			c.Op = policy.OpLe
		case policy.OpLe:
			c.Op = policy.OpLt
		}
	}
	return out
}

// randInput picks a syscall that the policy makes interesting: near its
// rules' numbers and values, MaxNr, the x32 bit, 0xffffffff, other arches.
func randInput(s source, p *policy.Policy) bpf.Data {
	var d bpf.Data
	ap := p.Arches[s.intn(len(p.Arches))]
	d.Arch = ap.Arch.AuditArch
	if s.intn(20) == 0 {
		d.Arch = randArchToken(s)
	}
	var rule *policy.Rule
	switch k := s.intn(10); {
	case k < 6 && len(ap.Rules) > 0:
		rule = &ap.Rules[s.intn(len(ap.Rules))]
		d.Nr = rule.Nr + uint32(s.intn(3)) - 1
		if s.intn(3) > 0 {
			d.Nr = rule.Nr
		}
	case k == 6:
		d.Nr = ap.MaxNr + uint32(s.intn(3)) - 1
	case k == 7:
		d.Nr = []uint32{0, 0xffffffff, 0x40000000, 0x3fffffff, 0x80000000, 0xbfffffff, 0xc0000000}[s.intn(7)]
	default:
		d.Nr = uint32(s.u64())
		if s.intn(2) == 0 {
			d.Nr %= 600
		}
	}
	if s.intn(4) == 0 {
		d.Nr ^= syscalls.X32SyscallBit
	}
	for i := range d.Args {
		d.Args[i] = randValue(s)
	}
	if rule != nil {
		for _, c := range rule.Conds {
			v := c.Value
			switch s.intn(6) {
			case 0:
				v++
			case 1:
				v--
			case 2:
				v ^= 1 << 32
			case 3:
				v = c.Value&c.Mask | s.u64()&^c.Mask
			}
			d.Args[c.Arg] = v
		}
	}
	return d
}

func randArchToken(s source) uint32 {
	all := syscalls.Arches()
	if s.intn(2) == 0 {
		return uint32(s.u64())
	}
	return all[s.intn(len(all))].AuditArch
}

// tightenedFirst reports whether Decide's rule 5 decided d against profile
// order: the first matching rule of the deciding rule's precedence acts
// otherwise.
func tightenedFirst(p *policy.Policy, d *bpf.Data) bool {
	dec := p.Decide(d.Arch, d.Nr, &d.Args)
	if dec.Why != policy.WhyRule {
		return false
	}
	for _, ap := range p.Arches {
		for i := range ap.Rules {
			if &ap.Rules[i] != dec.Rule {
				continue
			}
			for j := range ap.Rules {
				r := &ap.Rules[j]
				if r.Nr == dec.Rule.Nr && r.Action.Precedence() == dec.Rule.Action.Precedence() && r.Matches(&d.Args, ap.Arch.Is64()) {
					return r.Action != dec.Rule.Action
				}
			}
		}
	}
	return false
}
