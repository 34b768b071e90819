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
	Paths      int // path rules added
	Ports      int // port rules added
	Unenforced []Gap
	Limits     []Gap
}

// String is one line for the run report, plus one per unenforced rule.
func (r *Report) String() string {
	var b strings.Builder
	switch {
	case r.ABI == 0 && len(r.Unenforced) == 0:
		b.WriteString("landlock: no path or port rules")
	case r.ABI == 0:
		fmt.Fprintf(&b, "landlock: nothing enforced (kernel ABI %d)", r.KernelABI)
	default:
		fmt.Fprintf(&b, "landlock: enforced at ABI %d (kernel ABI %d): %d path rules, %d port rules",
			r.ABI, r.KernelABI, r.Paths, r.Ports)
	}
	for _, g := range r.Unenforced {
		b.WriteString("\nlandlock: UNENFORCED " + g.String())
	}
	return b.String()
}
