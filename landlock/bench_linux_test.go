//go:build linux

package landlock

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkOpenClose times an openat+close loop on an allowed file in a
// child process (rulesets are never applied to the test process): without
// rules, and under a Landlock ruleset that allows the file (by itself, by
// its directory, or for read and write), with what cat needs added so the
// ruleset has a realistic size. The loop is timed inside the child;
// ns/call is the number to compare (ns/op also counts the child's
// start-up).
//
// The file sits five levels deep in the temp dir; the -shallow pair opens
// /etc/hostname (two levels). The depth matters: from ABI 3 on, every open
// also asks whether TRUNCATE would be allowed (for a later ftruncate), and
// a read-only rule does not grant it, so the kernel walks from the file up
// to / on every open. A rule that grants write (TRUNCATE) ends the walk at
// the file.
//
//	go test ./landlock -run '^$' -bench OpenClose -count 5
func BenchmarkOpenClose(b *testing.B) {
	abi := requireLandlock(b, 1)
	dir := filepath.Join(b.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		b.Fatal(err)
	}
	cat, err := exec.LookPath("cat")
	if err != nil {
		b.Skip("no cat")
	}
	shallow := "/etc/hostname"
	for _, c := range []struct {
		name  string
		path  string
		rules Rules
	}{
		{"none", file, Rules{}},
		{"landlock-file", file, withDeps(b, Rules{Read: []string{file}}, cat)},
		{"landlock-dir", file, withDeps(b, Rules{Read: []string{dir}}, cat)},
		{"landlock-rw-file", file, withDeps(b, Rules{Read: []string{file}, Write: []string{file}}, cat)},
		{"none-shallow", shallow, Rules{}},
		{"landlock-shallow", shallow, withDeps(b, Rules{Read: []string{shallow}}, cat)},
	} {
		plan := mustPlan(b, c.rules, abi, Options{})
		b.Run("rules="+c.name, func(b *testing.B) {
			res := runHelper(b, helperSpec{Plan: plan, Op: "openloop", Path: c.path, N: b.N})
			ns, err := strconv.ParseInt(strings.TrimSpace(res.Stdout), 10, 64)
			if res.Exit != 0 || err != nil {
				b.Fatalf("child: exit %d, stdout %q, stderr %q", res.Exit, res.Stdout, res.Stderr)
			}
			if !c.rules.Empty() && (res.Report == nil || res.Report.ABI != abi) {
				b.Fatalf("child not under Landlock: %+v", res.Report)
			}
			b.ReportMetric(float64(ns)/float64(b.N), "ns/call")
		})
	}
}
