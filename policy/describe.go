package policy

import (
	"fmt"
	"strings"
)

// String renders a condition in C-like syntax, e.g. `args[0] == 0x1` or
// `(args[1] & 0x7e020000) == 0x0`.
func (c Cond) String() string {
	switch c.Op {
	case OpMaskedEq:
		return fmt.Sprintf("(args[%d] & %#x) == %#x", c.Arg, c.Mask, c.Value)
	case OpEq:
		return fmt.Sprintf("args[%d] == %#x", c.Arg, c.Value)
	case OpNe:
		return fmt.Sprintf("args[%d] != %#x", c.Arg, c.Value)
	case OpLt:
		return fmt.Sprintf("args[%d] < %#x", c.Arg, c.Value)
	case OpLe:
		return fmt.Sprintf("args[%d] <= %#x", c.Arg, c.Value)
	case OpGt:
		return fmt.Sprintf("args[%d] > %#x", c.Arg, c.Value)
	case OpGe:
		return fmt.Sprintf("args[%d] >= %#x", c.Arg, c.Value)
	}
	return fmt.Sprintf("args[%d] %v %#x", c.Arg, c.Op, c.Value)
}

// String renders a rule as `personality: ALLOW if args[0] == 0x8`, naming
// the multiplexer for rules libseccomp adds on socketcall/ipc.
func (r *Rule) String() string {
	var b strings.Builder
	b.WriteString(r.Origin.Name)
	if r.Origin.Mux != "" {
		fmt.Fprintf(&b, " (through %s)", r.Origin.Mux)
	}
	b.WriteString(": ")
	b.WriteString(r.Action.String())
	for i, c := range r.Conds {
		if i == 0 {
			b.WriteString(" if ")
		} else {
			b.WriteString(" && ")
		}
		b.WriteString(c.String())
	}
	return b.String()
}
