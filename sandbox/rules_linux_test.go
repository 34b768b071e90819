package sandbox

import (
	"errors"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/landlock"
)

// PlanRules adds what the command needs to start, and picks Landlock
// where the kernel has it, the supervisor otherwise (or when asked).
func TestPlanRules(t *testing.T) {
	abi, _ := landlock.KernelABI()
	req := &RulesRequest{Rules: landlock.Rules{Read: []string{"/etc/hostname"}}, Command: "cat"}
	rp, err := PlanRules(req)
	if err != nil {
		t.Fatal(err)
	}
	added := false
	for _, l := range rp.Lines {
		added = added || strings.HasPrefix(l, "added for cat to start: ")
	}
	if !added {
		t.Errorf("nothing added for cat to start: %q", rp.Lines)
	}
	if abi > 0 {
		if rp.Landlock == nil || rp.Supervised != nil || !strings.HasPrefix(rp.Summary, "Landlock ABI ") {
			t.Errorf("with Landlock: %+v", rp)
		}
	} else if rp.Supervised == nil {
		t.Errorf("without Landlock: %+v", rp)
	}

	req.NoLandlock = true
	if rp, err = PlanRules(req); err != nil || rp.Supervised == nil || rp.Landlock != nil || !strings.HasPrefix(rp.Summary, "--no-landlock: the supervisor enforces 1 path rule") {
		t.Errorf("--no-landlock: %+v, %v", rp, err)
	}
	// Writing cannot be supervised.
	req.Rules.Write = []string{"/tmp"}
	if _, err := PlanRules(req); err == nil || !strings.Contains(err.Error(), "cannot be enforced without Landlock") {
		t.Errorf("write rule without Landlock: %v", err)
	}
	// No rules, no plan.
	if rp, err := PlanRules(&RulesRequest{Command: "cat"}); err != nil || rp.Landlock != nil || rp.Supervised != nil || rp.Summary != "" {
		t.Errorf("no rules: %+v, %v", rp, err)
	}
	// A rule the kernel cannot enforce is refused without BestEffort.
	if abi > 0 && abi < 4 {
		_, err := PlanRules(&RulesRequest{Rules: landlock.Rules{Bind: []uint16{4000}}, Command: "cat"})
		if !errors.Is(err, landlock.ErrUnenforceable) {
			t.Errorf("port rule below ABI 4: %v", err)
		}
	}
}
