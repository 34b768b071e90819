package lift

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// Action names a return value as scmp_bpf_sim does, with errno names:
// ALLOW, ERRNO(EPERM), KILL_PROCESS, TRACE(7).
func Action(ret uint64) string {
	a := policy.Action(ret)
	if a.Kind() == policy.ActErrno {
		if n, ok := profile.ErrnoName(uint(a.Data())); ok {
			return "ERRNO(" + n + ")"
		}
	}
	return a.String()
}

// RunString names a run of syscall numbers of an ABI: "openat", "mount,
// umount2", "nr 0x1cf-0x3fffffff", "nr 0x1c0-0x3fffffff (fchmodat2,
// map_shadow_stack, …)"; without an ABI, numbers only.
func RunString(a *syscalls.Arch, lo, hi uint32) string {
	span := fmt.Sprintf("nr %s-%s", Num(uint64(lo)), Num(uint64(hi)))
	if lo == hi {
		span = "nr " + Num(uint64(lo))
	}
	if a == nil {
		return span
	}
	var names []string
	all := true
	for nr := uint64(lo); nr <= uint64(hi); nr++ {
		if nr-uint64(lo) >= 4096 {
			all = false
			break
		}
		if n, ok := a.SyscallName(uint32(nr)); ok {
			names = append(names, n)
		} else {
			all = false
		}
	}
	if all && len(names) <= 6 {
		return strings.Join(names, ", ")
	}
	if len(names) > 0 {
		more := ""
		if len(names) > 3 {
			names, more = names[:3], ", …"
		}
		span += " (" + strings.Join(names, ", ") + more + ")"
	}
	return span
}

// OutString writes a decision over the arguments: "ALLOW", or "ALLOW if
// arg0 ∈ {0, 8}; ERRNO(EPERM) otherwise".
func OutString(out Func, is64 bool) (string, error) {
	if v, ok := out.Const(); ok {
		return Action(v), nil
	}
	cases, err := out.Cases()
	if err != nil {
		return "", err
	}
	// The case that reads longest goes last, as "otherwise".
	texts := make([]string, len(cases))
	last := 0
	for i, c := range cases {
		texts[i] = RegionString(c.Boxes, is64)
		if len(texts[i]) > len(texts[last]) {
			last = i
		}
	}
	var parts []string
	for i, c := range cases {
		if i != last {
			parts = append(parts, fmt.Sprintf("%s if %s", Action(c.Value), texts[i]))
		}
	}
	parts = append(parts, Action(cases[last].Value)+" otherwise")
	return strings.Join(parts, "; "), nil
}

// Write lists the table: per ABI every run of numbers with what it gets,
// then the other architecture values. It is exact, whatever the filter.
func (t *Table) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, a := range t.ABIs {
		which := ""
		if len(syscalls.ByAuditArch(a.Arch.AuditArch)) == 2 {
			which = ", numbers without the x32 bit"
			if a.Arch.IsX32() {
				which = ", numbers with the x32 bit"
			}
		}
		fmt.Fprintf(bw, "%s (arch %#x%s):\n", a.Arch.Name, a.Arch.AuditArch, which)
		for _, r := range a.Ranges {
			out, err := OutString(r.Out, a.Arch.Is64())
			if err != nil {
				return err
			}
			fmt.Fprintf(bw, "  %s: %s\n", RunString(a.Arch, r.Lo, r.Hi), out)
		}
	}
	for _, g := range t.Other {
		if len(g.Ranges) == 1 {
			out, err := OutString(g.Ranges[0].Out, true)
			if err != nil {
				return err
			}
			fmt.Fprintf(bw, "other architectures (%s): %s\n", g.Arches.String("arch"), out)
			continue
		}
		fmt.Fprintf(bw, "other architectures (%s), by number:\n", g.Arches.String("arch"))
		for _, r := range g.Ranges {
			out, err := OutString(r.Out, true)
			if err != nil {
				return err
			}
			fmt.Fprintf(bw, "  %s: %s\n", RunString(nil, r.Lo, r.Hi), out)
		}
	}
	return bw.Flush()
}

// WritePolicy lists a policy: its default, bad-arch and ENOSYS answers,
// then every rule of every ABI.
func WritePolicy(w io.Writer, p *policy.Policy) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "default %s; other architectures %s", Action(uint64(p.DefaultAction)), Action(uint64(p.BadArch)))
	if p.ENOSYSApplies() {
		fmt.Fprintf(bw, "; numbers above each ABI's highest answered ERRNO(ENOSYS) (runc's rule)")
	}
	fmt.Fprintln(bw)
	for _, ap := range p.Arches {
		fmt.Fprintf(bw, "%s", ap.Arch.Name)
		if p.ENOSYSApplies() && ap.MaxNr > 0 {
			fmt.Fprintf(bw, " (highest %s)", Num(uint64(ap.MaxNr)))
		}
		fmt.Fprintln(bw, ":")
		for i := range ap.Rules {
			fmt.Fprintf(bw, "  %s\n", ap.Rules[i].String())
		}
	}
	return bw.Flush()
}
