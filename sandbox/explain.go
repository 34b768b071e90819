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
// through policy.Decide, in the words of policy.Decision.Text (the rule
// and its entry, or the default, bad-architecture or ENOSYS answer).
func PolicyExplainer(p *policy.Policy) Explainer {
	return ExplainFunc(func(call Syscall, action policy.Action) string {
		d := call.Data()
		dec := p.Decide(d.Arch, d.Nr, &d.Args)
		return ExplainDecision(dec.Text(nil), dec.Action, action)
	})
}

// ExplainDecision is what a report says of a decision: its text, and
// both answers where the filter and the policy disagree (a report never
// explains an answer the kernel did not give).
func ExplainDecision(text string, decided, returned policy.Action) string {
	if decided != returned {
		text += fmt.Sprintf("; but the filter returned %v", returned)
	}
	return text
}
