package landlock

import (
	"fmt"
	"strings"
)

// Report says what Apply enforced.
type Report struct {
	KernelABI  int // the kernel's Landlock ABI (0: none)
	ABI        int // the ABI the ruleset was enforced at (0: nothing enforced)
	HandledFS  AccessFS
	HandledNet AccessNet
	Paths      int    // path rules added
	Ports      int    // port rules added
	Isolated   bool   // the command is in a domain of its own (ptrace scoping)
	Scoped     Scopes // and its IPC scopes
	Unenforced []Gap
	Limits     []Gap
}

// String is one line for the run report, plus one per unenforced rule.
func (r *Report) String() string {
	var b strings.Builder
	switch {
	case r.ABI == 0 && len(r.Unenforced) == 0 && !r.Isolated:
		b.WriteString("landlock: no path or port rules")
	case r.ABI == 0:
		fmt.Fprintf(&b, "landlock: nothing enforced (kernel ABI %d)", r.KernelABI)
	default:
		fmt.Fprintf(&b, "landlock: enforced at ABI %d (kernel ABI %d): %d path rules, %d port rules",
			r.ABI, r.KernelABI, r.Paths, r.Ports)
		if r.Isolated {
			b.WriteString(", isolated")
			if r.Scoped != 0 {
				fmt.Fprintf(&b, " (scoped: %v)", r.Scoped)
			}
		}
	}
	for _, g := range r.Unenforced {
		b.WriteString("\nlandlock: UNENFORCED " + g.String())
	}
	return b.String()
}
