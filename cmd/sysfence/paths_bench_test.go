//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

// BenchmarkOpenClose times an openat+close loop on an allowed file under
// `sysfence run` (Docker's default profile), side by side in one run:
//
//   - none: no path rules.
//   - landlock-read: --allow-read FILE. No rule grants writing, so the
//     filter refuses truncation and the ruleset leaves TRUNCATE unhandled
//     (sandbox.TruncationBySeccomp): openat now runs the filter (it looks
//     at O_TRUNC), and Landlock stops its walk at the rule.
//   - landlock-read-truncate-walk: the same read rule with an unrelated
//     write rule (--allow-write /dev/null), which makes Landlock handle
//     TRUNCATE: every open then walks from the file up to / asking for it
//     (round one's 1.31-1.53x).
//   - landlock-rw: read and write rules on the file (the walk ends there).
//   - none-again: the baseline once more, to see drift within a round.
//   - audit-not-notified: --audit, the profile allows openat and close, so
//     nothing reaches the supervisor.
//   - audit-notified: --audit under a profile that denies openat: every
//     openat is notified, decoded (the path read from the target), counted
//     and let through with CONTINUE.
//   - report-denied: the same profile without --audit: every openat is
//     notified and answered EPERM (reported once); the open fails.
//   - supervisor: --no-landlock --allow-read FILE: the supervisor resolves
//     and opens every file itself and hands the descriptor over (ADDFD).
//
// The loop is timed inside the command (clock_gettime); ns/call is the
// number to compare (ns/op also counts sysfence's start). The file sits
// five levels deep in the temp dir; the -shallow cases open /etc/hostname
// (two levels).
//
//	go test ./cmd/sysfence -run '^$' -bench OpenClose -count 10
func BenchmarkOpenClose(b *testing.B) {
	bin, _, _ := benchSetup(b)
	requireLandlock(b, 4)
	dir := b.TempDir()
	// The same loop as package sandbox's benchmark.
	loop := filepath.Join(dir, "openloop")
	testenv.BuildC(b, filepath.Join("..", "..", "sandbox", "testdata", "openloop.c"), loop, true)
	deep := filepath.Join(dir, "a", "b", "c")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(deep, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		b.Fatal(err)
	}
	denyOpenat := filepath.Join(dir, "deny-openat.json")
	if err := os.WriteFile(denyOpenat, []byte(`{"defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`), 0o644); err != nil {
		b.Fatal(err)
	}
	const shallow = "/etc/hostname"
	for _, c := range []struct {
		name string
		path string
		args []string
	}{
		{"none", file, nil},
		{"landlock-read", file, []string{"--allow-read", file}},
		{"landlock-read-truncate-walk", file, []string{"--allow-read", file, "--allow-write", "/dev/null"}},
		{"landlock-rw", file, []string{"--allow-read", file, "--allow-write", file}},
		{"none-again", file, nil},
		{"audit-not-notified", file, []string{"--audit"}},
		{"audit-notified", file, []string{"--audit", "-p", denyOpenat}},
		{"report-denied", file, []string{"-p", denyOpenat}},
		{"supervisor", file, []string{"--no-landlock", "--allow-read", file}},
		{"none-shallow", shallow, nil},
		{"landlock-read-shallow", shallow, []string{"--allow-read", shallow}},
		{"landlock-read-truncate-walk-shallow", shallow, []string{"--allow-read", shallow, "--allow-write", "/dev/null"}},
		{"none-shallow-again", shallow, nil},
	} {
		b.Run("rules="+c.name, func(b *testing.B) {
			args := append(append([]string{"run"}, c.args...), "--", loop, c.path, strconv.Itoa(b.N))
			out, err := exec.Command(bin, args...).Output()
			if err != nil {
				b.Fatalf("%v: %v", args, err)
			}
			ns, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
			if err != nil {
				b.Fatalf("loop printed %q", out)
			}
			b.ReportMetric(ns, "ns/call")
		})
	}
}
