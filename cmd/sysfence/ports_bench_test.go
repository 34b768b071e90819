//go:build linux

package main

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

// BenchmarkListen times listen(2) on a bound socket under `sysfence run`
// (Docker's default profile): without port rules the kernel answers
// alone; with --allow-bind every listen goes to sysfence's supervisor,
// which takes the socket, checks that it is bound and listens on it
// (quiet and reporting mode alike). The loop is timed inside the command
// (clock_gettime); ns/call is the number to compare.
//
//	go test ./cmd/sysfence -run '^$' -bench Listen -count 10
func BenchmarkListen(b *testing.B) {
	bin, _, _ := benchSetup(b)
	requireLandlock(b, 4)
	loop := filepath.Join(b.TempDir(), "listenprobe")
	testenv.BuildC(b, filepath.Join("..", "..", "sandbox", "testdata", "listenprobe.c"), loop, true)
	port := strconv.Itoa(freePort(b, 0))
	for _, c := range []struct {
		name string
		args []string
	}{
		{"none", []string{"-q"}},
		{"port-rules-quiet", []string{"-q", "--allow-bind", port}},
		{"port-rules-report", []string{"--allow-bind", port}},
		{"none-again", []string{"-q"}},
	} {
		b.Run("rules="+c.name, func(b *testing.B) {
			args := append(append([]string{"run"}, c.args...), "--", loop, "time", port, strconv.Itoa(b.N))
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
