package sandbox

import (
	"fmt"

	"github.com/sysfence/sysfence/policy"
)

// FilterExplainer is the Explainer for a bare filter, which knows no
// profile: it names what the filter returned.
var FilterExplainer = ExplainFunc(func(_ Syscall, action policy.Action) string {
	return "the filter returns " + action.String()
})

// PolicyExplainer explains with the policy the filter was compiled from,
// through policy.Decide: the rule and its place in the profile, or the
// default, bad-architecture or ENOSYS answer.
func PolicyExplainer(p *policy.Policy) Explainer {
	return ExplainFunc(func(call Syscall, action policy.Action) string {
		d := call.Data()
		dec := p.Decide(d.Arch, d.Nr, &d.Args)
		var s string
		switch dec.Why {
		case policy.WhyDefault:
			s = "default action " + dec.Action.String()
		case policy.WhyBadArch:
			s = "architecture not in the profile: " + dec.Action.String()
		case policy.WhyENOSYS:
			s = "newer than every syscall the profile names: ENOSYS"
		case policy.WhyRule:
			s = dec.Rule.String()
			if e := dec.Rule.Origin.Entry; e >= 0 {
				s = fmt.Sprintf("syscalls[%d] %s", e, s)
			}
		}
		if dec.Action != action {
			// The filter and the policy disagree: say both rather than
			// explain an answer the kernel did not give.
			s += fmt.Sprintf("; but the filter returned %v", action)
		}
		return s
	})
}
