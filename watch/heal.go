package watch

import (
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/record"
)

// Observations turns what a watch reported into record observations, as
// `sysfence run --audit` turns what it let through: the calls a profile
// would have to allow for the processes to run as they tried to, with
// the deciding argument values of record.ArgSpecs (clone3's flags, in
// memory, are not known: its arguments are marked incomplete). LOG
// decisions are left out (those calls ran), and so are strict mode's
// kills (no profile is involved).
func Observations(groups []*Group) *record.Observations {
	o := record.New()
	o.ArgsRecorded = true
	for _, g := range groups {
		d := &g.Decision
		if d.Arch == nil || d.Strict || d.Action.Kind() == policy.ActLog {
			continue
		}
		o.Add(d.Arch, d.Nr, g.Count, -1)
		spec, ok := record.ArgSpecFor(d.Arch, d.Nr)
		if !ok {
			continue
		}
		var v record.ArgValues
		known := true
		for i, f := range spec.Fields {
			if f.Deref {
				known = false
				break
			}
			val := d.Args[f.Index]
			if d.Arch.Bits == 32 {
				val = uint64(uint32(val))
			}
			v[i] = val
		}
		if known {
			o.AddArgs(d.Arch, d.Nr, v, g.Count)
		} else {
			o.MarkArgsIncomplete(d.Arch, d.Nr)
		}
	}
	return o
}
