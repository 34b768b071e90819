package policy

import (
	"fmt"

	"github.com/sysfence/sysfence/syscalls"
)

// Op is an argument comparison operator (libseccomp's scmp_compare).
type Op uint8

// The operators of the OCI runtime spec / libseccomp.
const (
	OpEq       Op = iota + 1 // arg == Value
	OpNe                     // arg != Value
	OpLt                     // arg <  Value
	OpLe                     // arg <= Value
	OpGt                     // arg >  Value
	OpGe                     // arg >= Value
	OpMaskedEq               // arg & Mask == Value
)

var opNames = [...]string{OpEq: "SCMP_CMP_EQ", OpNe: "SCMP_CMP_NE", OpLt: "SCMP_CMP_LT", OpLe: "SCMP_CMP_LE",
	OpGt: "SCMP_CMP_GT", OpGe: "SCMP_CMP_GE", OpMaskedEq: "SCMP_CMP_MASKED_EQ"}

// String returns the OCI name, e.g. SCMP_CMP_EQ.
func (o Op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Cond is one argument comparison. For OpMaskedEq the OCI fields map as
// Mask = value, Value = valueTwo (arg & value == valueTwo).
type Cond struct {
	Arg   uint8 // 0..5
	Op    Op
	Value uint64
	Mask  uint64
}

// Match evaluates the condition on an argument value as libseccomp does: on
// a 64-bit ABI the full value is compared; on a 32-bit ABI only the low
// 32 bits of the argument and of Value/Mask take part. MASKED_EQ compares
// arg&Mask with Value&Mask (libseccomp masks the datum too).
func (c Cond) Match(arg uint64, is64 bool) bool {
	v, m := c.Value, c.Mask
	if !is64 {
		arg, v, m = uint64(uint32(arg)), uint64(uint32(v)), uint64(uint32(m))
	}
	if c.Op == OpMaskedEq {
		v &= m
	}
	switch c.Op {
	case OpEq:
		return arg == v
	case OpNe:
		return arg != v
	case OpLt:
		return arg < v
	case OpLe:
		return arg <= v
	case OpGt:
		return arg > v
	case OpGe:
		return arg >= v
	case OpMaskedEq:
		return arg&m == v
	}
	return false
}

// Rule is one filter rule as libseccomp receives it from runc: a syscall
// number, an action, and conditions that must all hold (AND).
type Rule struct {
	Nr     uint32
	Action Action
	Conds  []Cond
	// Origin names where the rule came from, for reports (e.g. the profile
	// entry "syscalls[3]" and the syscall name); it has no effect on
	// decisions.
	Origin Origin
}

// Origin locates a rule in its source profile.
type Origin struct {
	Entry int    // index in the profile's syscalls list, -1 if none
	Name  string // syscall name as written in the profile
	// Mux is set when the rule was generated for a multiplexer
	// (socketcall/ipc) on behalf of Name.
	Mux string
}

// ArchPolicy is the rule set of one ABI.
type ArchPolicy struct {
	Arch  *syscalls.Arch
	Rules []Rule // in profile order; order matters (see Decide)
	// MaxNr is the highest syscall number named by the profile on this
	// ABI, for runc's ENOSYS rule; zero when the profile names none.
	MaxNr uint32
}

// Policy is everything a seccomp filter decides.
type Policy struct {
	// Arches lists the ABIs the filter accepts; the first is the target's
	// native ABI. Any other seccomp_data.arch gets BadArch.
	Arches        []*ArchPolicy
	DefaultAction Action
	BadArch       Action
	// ENOSYS enables runc's rule: on each ABI, a syscall number above MaxNr
	// returns ERRNO(ENOSYS) so libc falls back for calls newer than the
	// profile (and, on s390/s390x, number 0, the multiplexer for numbers
	// the kernel does not know).
	ENOSYS bool
}

// ENOSYS is the errno runc returns for syscalls newer than the profile.
const ENOSYS = 38

// Decision is the outcome of Decide: the action and the rule that produced
// it (nil for the default, bad-arch and ENOSYS answers).
type Decision struct {
	Action Action
	Rule   *Rule
	Why    Why
}

// Text says in one line what decided, the one wording of reports and
// explanations: "default action KILL_PROCESS", the rule as where names
// its profile entry (where(entry); nil: "syscalls[N]"), or the
// bad-architecture or ENOSYS answer.
func (d Decision) Text(where func(entry int) string) string {
	switch d.Why {
	case WhyRule:
		e := d.Rule.Origin.Entry
		if e < 0 {
			return d.Rule.String()
		}
		w := fmt.Sprintf("syscalls[%d]", e)
		if where != nil {
			w = where(e)
		}
		return w + ": " + d.Rule.String()
	case WhyDefault:
		return "default action " + d.Action.String()
	case WhyBadArch:
		return "architecture not in the filter (bad-arch action " + d.Action.String() + ")"
	case WhyENOSYS:
		return "syscall newer than any the profile names: ENOSYS so that libc falls back (runc's rule; --no-enosys turns it off)"
	}
	return d.Action.String()
}

// Why tells which part of the policy decided.
type Why uint8

const (
	WhyRule    Why = iota // a rule matched
	WhyDefault            // no rule matched: the default action
	WhyBadArch            // seccomp_data.arch is not in the filter
	WhyENOSYS             // above the highest number the profile knows
)

// Find returns the ABI policy for an AUDIT_ARCH token and syscall number
// (x32 and x86_64 share a token and are told apart by the x32 bit).
func (p *Policy) Find(auditArch, nr uint32) *ArchPolicy {
	var match *ArchPolicy
	for _, ap := range p.Arches {
		if ap.Arch.AuditArch != auditArch {
			continue
		}
		if ap.Arch.AuditArch == 0xc000003e { // AUDIT_ARCH_X86_64: x86_64 or x32
			if (nr&syscalls.X32SyscallBit != 0) != ap.Arch.IsX32() {
				continue
			}
		}
		match = ap
		break
	}
	return match
}
