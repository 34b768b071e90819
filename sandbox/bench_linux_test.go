package sandbox

import (
	"strconv"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/policy"
)

// BenchmarkNotifiedOpen measures, in one run, what a notified openat+close
// costs the command (ns/call, timed inside it) when the supervisor runs in
// this process (so that -cpuprofile sees it): reporting mode answering
// EPERM, audit mode letting it run, and supervised path rules opening the
// file for it; with no notification as the baseline.
//
//	go test ./sandbox -run '^$' -bench NotifiedOpen -count 10
func BenchmarkNotifiedOpen(b *testing.B) {
	requireSandbox(b)
	loop := cprog(b, "openloop", true)
	allowAll, _ := filter(b, policy.ActAllow)
	denyOpenat, _ := filter(b, policy.ActAllow, rule{name: "openat", action: policy.Errno(1)})
	plan := supervisedPlan(b, loop, "/etc/hostname")
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"not-notified", Options{Filter: allowAll}},
		{"report-denied", Options{Filter: denyOpenat}},
		{"audit", Options{Filter: denyOpenat, Audit: true}},
		{"supervised", Options{Filter: allowAll, SupervisedPaths: plan}},
	} {
		b.Run("mode="+c.name, func(b *testing.B) {
			o := runCmd(b, c.opts, true, loop, "/etc/hostname", strconv.Itoa(b.N))
			ns, err := strconv.ParseFloat(strings.TrimSpace(o.stdout), 64)
			if err != nil {
				b.Fatalf("loop printed %q, stderr %q", o.stdout, o.stderr)
			}
			b.ReportMetric(ns, "ns/call")
		})
	}
}
