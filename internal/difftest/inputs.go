package difftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// Input is one syscall as a filter sees it.
type Input struct {
	Arch uint32 // AUDIT_ARCH_* token
	Nr   uint32
	Args [6]uint64
}

func (in Input) String() string {
	name := "?"
	for _, a := range syscalls.ByAuditArch(in.Arch) {
		if a.IsX32() == (in.Nr&syscalls.X32SyscallBit != 0 && in.Arch == x86_64Token) {
			if n, ok := a.SyscallName(in.Nr); ok {
				name = a.Name + ":" + n
			} else {
				name = a.Name
			}
		}
	}
	return fmt.Sprintf("arch=%#x nr=%#x (%s) args=[%#x %#x %#x %#x %#x %#x]", in.Arch, in.Nr, name,
		in.Args[0], in.Args[1], in.Args[2], in.Args[3], in.Args[4], in.Args[5])
}

const x86_64Token = 0xc000003e

// BigEndian tells the byte order of the ABI an AUDIT_ARCH token belongs
// to (little endian for tokens no ABI uses).
func BigEndian(token uint32) bool {
	if as := syscalls.ByAuditArch(token); len(as) > 0 {
		return as[0].BigEndian
	}
	return false
}

// Inputs generates about n syscalls that probe a policy where it can go
// wrong: the numbers of its rules and their neighbours, the ENOSYS limit,
// unknown and huge numbers, 0xffffffff, x32 numbers on AUDIT_ARCH_X86_64,
// foreign architecture tokens, and for each argument condition the
// values around its boundary (value-1, value, value+1, the same low word
// with another high word, masked bits set and cleared).
func Inputs(r *rand.Rand, p *policy.Policy, n int) []Input {
	var out []Input
	tokens := map[uint32]bool{}
	for _, ap := range p.Arches {
		tokens[ap.Arch.AuditArch] = true
	}
	// Syscalls of every ABI with rule-driven arguments.
	for _, ap := range p.Arches {
		share := n / (len(p.Arches) + 1)
		tok := ap.Arch.AuditArch
		for range share / 2 {
			if len(ap.Rules) == 0 {
				break
			}
			rule := &ap.Rules[r.IntN(len(ap.Rules))]
			in := Input{Arch: tok, Nr: rule.Nr}
			fillArgs(r, &in, ap, rule)
			out = append(out, in)
		}
		for range share - share/2 {
			in := Input{Arch: tok, Nr: randomNr(r, ap, p)}
			// Arguments aimed at some rule of that number, if any.
			var rules []*policy.Rule
			for i := range ap.Rules {
				if ap.Rules[i].Nr == in.Nr {
					rules = append(rules, &ap.Rules[i])
				}
			}
			if len(rules) > 0 {
				fillArgs(r, &in, ap, rules[r.IntN(len(rules))])
			} else {
				for i := range in.Args {
					in.Args[i] = randomValue(r)
				}
			}
			out = append(out, in)
		}
	}
	// Foreign architecture tokens.
	for range n / (len(p.Arches) + 1) / 8 {
		var tok uint32
		if r.IntN(2) == 0 {
			as := syscalls.Arches()
			tok = as[r.IntN(len(as))].AuditArch
		} else {
			tok = r.Uint32()
		}
		if tokens[tok] && r.IntN(2) == 0 {
			continue
		}
		out = append(out, Input{Arch: tok, Nr: uint32(r.IntN(500))})
	}
	return out
}

// randomNr picks a syscall number to probe on an ABI.
func randomNr(r *rand.Rand, ap *policy.ArchPolicy, p *policy.Policy) uint32 {
	base := ap.Arch.NrBase
	switch r.IntN(12) {
	case 0:
		return ap.MaxNr + uint32(r.IntN(3)) - 1
	case 1:
		return 0xffffffff
	case 2:
		return r.Uint32()
	case 3:
		return base + uint32(r.IntN(1024))
	case 4:
		// The other ABI on AUDIT_ARCH_X86_64; on others, the x32 bit.
		return (base + uint32(r.IntN(600))) ^ syscalls.X32SyscallBit
	case 5:
		return uint32(r.IntN(16))
	case 6:
		if len(ap.Rules) > 0 {
			return ap.Rules[r.IntN(len(ap.Rules))].Nr + uint32(r.IntN(3)) - 1
		}
	case 7:
		return base + ap.Arch.MaxNr() + uint32(r.IntN(20))
	}
	scs := ap.Arch.Syscalls()
	return scs[r.IntN(len(scs))].Nr
}

// fillArgs sets arguments around the boundaries of a rule's conditions;
// arguments without a condition get random edge values.
func fillArgs(r *rand.Rand, in *Input, ap *policy.ArchPolicy, rule *policy.Rule) {
	for i := range in.Args {
		in.Args[i] = randomValue(r)
	}
	for _, c := range rule.Conds {
		if r.IntN(8) == 0 {
			continue // leave this one random
		}
		in.Args[c.Arg] = near(r, c)
	}
	if !ap.Arch.Is64() && r.IntN(2) == 0 {
		// 32-bit ABIs: the kernel zero-extends, but a filter must not
		// care about the high word either way.
		for i := range in.Args {
			if r.IntN(2) == 0 {
				in.Args[i] = uint64(uint32(in.Args[i]))
			}
		}
	}
}

// near returns a value at or next to a condition's boundary.
func near(r *rand.Rand, c policy.Cond) uint64 {
	v := c.Value
	if c.Op == policy.OpMaskedEq {
		v &= c.Mask
		switch r.IntN(5) {
		case 0:
			return v | (r.Uint64() &^ c.Mask) // other bits free: matches
		case 1:
			return v ^ (c.Mask & (1 << r.IntN(64))) // one masked bit flipped
		case 2:
			return v
		}
	}
	switch r.IntN(9) {
	case 0:
		return v - 1
	case 1:
		return v + 1
	case 2:
		return v ^ 1<<32 // same low word, other high word
	case 3:
		return v ^ 0xffffffff00000000
	case 4:
		return uint64(uint32(v))
	case 5:
		return v ^ 1<<31
	case 6:
		return Edges[r.IntN(len(Edges))]
	}
	return v
}
