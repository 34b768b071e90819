package lift

import (
	"fmt"

	"github.com/sysfence/sysfence/policy"
)

// Mismatch says where two lifted filters decide differently, in at most
// max lines such as "x86 socketcall (arg0 == 1): the filter ALLOW, the
// profile ERRNO(1)" (package diff gives the full account with witnesses).
// It returns nothing when they agree.
func Mismatch(f, g Func, fName, gName string, max int) []string {
	if f.Equal(g) {
		return nil
	}
	d, pairs := Differ(f, g, func(a, b uint64) bool { return a != b })
	t, err := d.Table()
	if err != nil {
		return []string{fmt.Sprintf("they differ in ways too irregular to list (%v)", err)}
	}
	var out []string
	add := func(where string, is64 bool, r Range) bool {
		cases, err := r.Out.Cases()
		if err != nil {
			out = append(out, fmt.Sprintf("%s: they differ (%v)", where, err))
			return len(out) < max
		}
		for _, c := range cases {
			if c.Value == 0 {
				continue
			}
			p := pairs[c.Value-1]
			region := ""
			if v, ok := r.Out.Const(); !ok || v != c.Value {
				region = " (" + RegionString(c.Boxes, is64) + ")"
			}
			out = append(out, fmt.Sprintf("%s%s: %s %v, %s %v", where, region, fName, policy.Action(p.A), gName, policy.Action(p.B)))
			if len(out) >= max {
				return false
			}
		}
		return true
	}
	for _, a := range t.ABIs {
		for _, r := range a.Ranges {
			if v, ok := r.Out.Const(); ok && v == 0 {
				continue
			}
			if !add(a.Arch.Name+" "+numbersString(a.Arch, r.Lo, r.Hi), a.Arch.Is64(), r) {
				return out
			}
		}
	}
	for _, g := range t.Other {
		for _, r := range g.Ranges {
			if v, ok := r.Out.Const(); ok && v == 0 {
				continue
			}
			where := fmt.Sprintf("%s, nr %s-%s", g.Arches.String("arch"), Num(uint64(r.Lo)), Num(uint64(r.Hi)))
			if !add(where, true, r) {
				return out
			}
		}
	}
	return out
}
