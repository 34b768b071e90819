//go:build linux

package landlock

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

// A plan made for a lower ABI (here 3, as on a 6.2 kernel) in best-effort
// mode: the report names the port rules as unenforced, and they really are
// (binding another port works), while the path rules still hold.
func TestBestEffortFakeLowerABI(t *testing.T) {
	requireLandlock(t, 3)
	const fakeABI = 3
	cat, err := exec.LookPath("cat")
	if err != nil {
		testenv.Skip(t, "cat not installed (coreutils)")
	}
	allowed := allowedFile(t)
	_, other := portPair(t)
	rules := withDeps(t, Rules{Read: []string{allowed}, Bind: []uint16{4000}}, cat)

	if _, err := NewPlan(rules, fakeABI, Options{}); err == nil {
		t.Fatal("NewPlan without best effort accepted port rules at ABI 3")
	}
	plan := mustPlan(t, rules, fakeABI, Options{BestEffort: true})

	res := runHelper(t, helperSpec{Plan: plan, Op: "bind", Port: other})
	if got := strings.TrimSpace(res.Stdout); got != "ok" {
		t.Fatalf("bind %d under a plan without port rules: %q (stderr %q)", other, got, res.Stderr)
	}
	rep := res.Report
	if rep == nil || rep.ABI != fakeABI || len(rep.Unenforced) != 1 || rep.Unenforced[0].What != "TCP port rules" {
		t.Fatalf("report %+v, want ABI %d with the TCP port rules unenforced", rep, fakeABI)
	}
	s := rep.String()
	if !strings.Contains(s, fmt.Sprintf("enforced at ABI %d", fakeABI)) || !strings.Contains(s, "UNENFORCED TCP port rules: bind 4000") {
		t.Errorf("report text:\n%s", s)
	}
	t.Log(s)

	res = runHelper(t, helperSpec{Plan: plan, Argv: []string{cat, "/etc/passwd"}})
	if res.Exit != 1 || !strings.Contains(res.Stderr, "Permission denied") {
		t.Fatalf("cat /etc/passwd under the ABI 3 plan: exit %d, stderr %q; want denied", res.Exit, res.Stderr)
	}
}

// A plan claiming more than the kernel has is refused before anything is
// restricted: never a silent downgrade.
func TestApplyRefusesPlanAboveKernel(t *testing.T) {
	abi := requireLandlock(t, 1)
	if abi >= MaxABI {
		t.Skipf("kernel ABI %d is the highest known", abi)
	}
	plan := mustPlan(t, Rules{Read: []string{allowedFile(t)}}, abi+1, Options{})
	res := runHelper(t, helperSpec{Plan: plan, Op: "none"})
	if res.Exit != 3 || !strings.Contains(res.Stderr, fmt.Sprintf("plan made for Landlock ABI %d, the kernel has %d", abi+1, abi)) {
		t.Fatalf("exit %d, stderr %q; want Apply to refuse", res.Exit, res.Stderr)
	}
}

// With best effort on a machine without Landlock (ABI 0) the plan is empty
// and Apply restricts nothing, but the report still names every rule as
// unenforced.
func TestBestEffortWithoutLandlock(t *testing.T) {
	plan := mustPlan(t, Rules{Read: []string{"/"}, Connect: []uint16{53}}, 0, Options{BestEffort: true})
	res := runHelper(t, helperSpec{Plan: plan, Op: "none"})
	if res.Exit != 0 || res.Report == nil {
		t.Fatalf("exit %d, stderr %q", res.Exit, res.Stderr)
	}
	s := res.Report.String()
	if !strings.Contains(s, "nothing enforced") || !strings.Contains(s, "UNENFORCED all path rules") || !strings.Contains(s, "UNENFORCED all port rules") {
		t.Fatalf("report:\n%s", s)
	}
}
