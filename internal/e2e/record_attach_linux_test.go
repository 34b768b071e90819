package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sysfence/sysfence/internal/runctest"
	"github.com/sysfence/sysfence/internal/spotest"
)

// growingLoop waits for /tmp/go, then makes more kinds of calls at each
// step, and ends with a new shell (whose start-up is then recorded).
const growingLoop = `while [ ! -e /tmp/go ]; do sleep 0.05; done
echo start
for step in 1 2 3 4; do
  case $step in
    1) cat /etc/passwd >/dev/null ;;
    2) ls / >/dev/null ;;
    3) hostname ;;
    4) id -u; wc -c /etc/passwd ;;
  esac
  sleep 0.2
done
sh -c 'echo done'`

// TestRecordContainer: a runc container (busybox) runs a loop that uses
// a growing set of calls; `record --container` attaches while it runs
// and ends when it exits. The profile, placed in config.json, runs the
// container again with the same output, and denies a call the loop
// never made.
func TestRecordContainer(t *testing.T) {
	b := runctest.NewT(t, runctest.Config{})
	id := fmt.Sprintf("sfrecord-%d", os.Getpid())
	let := runHeld(t, b, runctest.Run{ID: id, Args: []string{"sh", "-c", growingLoop}, Timeout: 60 * time.Second})
	// As a SeccompProfile: what a cluster would distribute.
	prof := filepath.Join(t.TempDir(), "recorded.yaml")
	wait := startSysfence(t, "Ctrl-C ends", false, 60*time.Second, "record", "--container", id, "--for", "runc", "--format", "spo", "-o", prof)
	first := let()
	r := wait()
	if first.ExitCode != 0 || first.Stdout != "start\nrunctest\n0\n26 /etc/passwd\ndone\n" {
		t.Fatalf("first run:\n%v", first)
	}
	if r.code != 0 || !strings.Contains(r.stderr, "sysfence: the set of distinct syscalls last grew at ") || !strings.Contains(r.stderr, "sysfence: wrote "+prof) {
		t.Fatalf("record --container:\n%v", r)
	}
	if strings.Contains(r.stderr, "warning") || strings.Contains(r.stderr, "still running") {
		t.Errorf("record --container:\n%v", r)
	}
	// The set kept growing while the loop ran (a step every 0.2 s).
	var grew float64
	if i := strings.Index(r.stderr, "sysfence: the set"); i < 0 {
		t.Fatalf("no coverage line:\n%v", r)
	} else if _, err := fmt.Sscanf(r.stderr[i:], "sysfence: the set of distinct syscalls last grew at %s %fs after the start", new(string), &grew); err != nil || grew < 0.4 {
		t.Errorf("the set of distinct syscalls stopped growing %.1fs after the start (%v):\n%s", grew, err, r.stderr[i:])
	}
	t.Logf("the set of distinct syscalls grew until %.1fs after the start", grew)

	if err := spotest.Validate(mustRead(t, prof)); err != nil {
		t.Errorf("the recorded SeccompProfile is not valid for the operator: %v\n%s", err, mustRead(t, prof))
	}

	// Again under the recorded profile: the same output.
	oci := runctest.ResolvedOCI(t, prof)
	again, err := b.Run(context.Background(), runctest.Run{Args: []string{"sh", "-c", growingLoop}, Seccomp: oci})
	if err != nil {
		t.Fatal(err)
	}
	if again.ExitCode != 0 || again.Stdout != first.Stdout || again.Stderr != first.Stderr {
		t.Errorf("under the recorded profile:\n%v\nfirst run:\n%v", again, first)
	}
	// A call the loop never made is denied.
	denied, err := b.Run(context.Background(), runctest.Run{Args: []string{"sh", "-c", "mkdir /dev/shm/never; echo status $?"}, Seccomp: oci})
	if err != nil {
		t.Fatal(err)
	}
	if denied.Stdout != "status 1\n" || !strings.Contains(denied.Stderr, "Operation not permitted") {
		t.Errorf("mkdir under the recorded profile:\n%v", denied)
	}
}
