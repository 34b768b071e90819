package sysfence

import (
	"fmt"

	"github.com/sysfence/sysfence/policy"
)

// Argument is one of a system call's six arguments, for conditions:
// Arg(1).Eq(0) holds when the second argument is zero.
type Argument struct{ index int }

// Arg names argument i (0 to 5). An index out of range makes every
// condition built from it invalid: Add refuses it with ErrInvalidRule.
func Arg(i int) Argument { return Argument{index: i} }

// Cond is a condition on one argument of a call. On 64-bit ABIs the
// argument is compared as a 64-bit number; on 32-bit ABIs (x86, x32,
// arm...) only the low 32 bits of the argument and of the values take
// part, as libseccomp compares them. Values are unsigned: a negative int
// such as AT_FDCWD (-100) arrives sign-extended on 64-bit ABIs, i.e. as
// uint64(0xffffffffffffff9c).
type Cond struct {
	c     policy.Cond
	index int // as given, to report an invalid one
}

func (a Argument) cond(op policy.Op, v, mask uint64) Cond {
	c := Cond{c: policy.Cond{Op: op, Value: v, Mask: mask}, index: a.index}
	if a.index >= 0 && a.index <= 5 {
		c.c.Arg = uint8(a.index)
	}
	return c
}

// Eq holds when the argument equals v.
func (a Argument) Eq(v uint64) Cond { return a.cond(policy.OpEq, v, 0) }

// Ne holds when the argument differs from v.
func (a Argument) Ne(v uint64) Cond { return a.cond(policy.OpNe, v, 0) }

// Lt holds when the argument is below v (unsigned).
func (a Argument) Lt(v uint64) Cond { return a.cond(policy.OpLt, v, 0) }

// Le holds when the argument is at most v (unsigned).
func (a Argument) Le(v uint64) Cond { return a.cond(policy.OpLe, v, 0) }

// Gt holds when the argument is above v (unsigned).
func (a Argument) Gt(v uint64) Cond { return a.cond(policy.OpGt, v, 0) }

// Ge holds when the argument is at least v (unsigned).
func (a Argument) Ge(v uint64) Cond { return a.cond(policy.OpGe, v, 0) }

// MaskedEq holds when argument & mask == v & mask: e.g. MaskedEq(O_ACCMODE,
// O_RDONLY) for "opened read-only". A zero mask compares nothing and
// always holds.
func (a Argument) MaskedEq(mask, v uint64) Cond { return a.cond(policy.OpMaskedEq, v, mask) }

// String renders the condition as `args[0] == 0x1`.
func (c Cond) String() string {
	if c.index < 0 || c.index > 5 {
		return fmt.Sprintf("args[%d] (invalid)", c.index)
	}
	return c.c.String()
}

// valid reports an argument index out of range or an unset condition.
func (c Cond) valid() error {
	if c.index < 0 || c.index > 5 {
		return fmt.Errorf("%w: argument index %d (a system call has arguments 0 to 5)", ErrInvalidRule, c.index)
	}
	if c.c.Op == 0 {
		return fmt.Errorf("%w: empty condition (use Arg(i).Eq(v) and its siblings)", ErrInvalidRule)
	}
	return nil
}
