//go:build linux && amd64

package watch

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/internal/ebpfasm"
)

// BenchmarkOverhead measures what a machine-wide watch adds to loops of
// calls that no filter denies, without a filter and under one (as in a
// container), side by side: every round runs the loop without a watch,
// with one, and with two empty programs on sys_enter and sys_exit (the
// floor of any design on these tracepoints), in rotating order; medians
// over the rounds.
//
//	go test ./watch -run '^$' -bench Overhead -benchtime 1x
func BenchmarkOverhead(b *testing.B) {
	loop := buildSeccompC(b, "testdata/loop.c")
	const rounds = 15
	for b.Loop() {
		for _, wl := range []struct{ call, filter, calls string }{
			{"getpid", "none", "200000"}, {"getpid", "filter", "200000"},
			{"openclose", "none", "40000"}, {"openclose", "filter", "40000"},
		} {
			var with, without, floor []float64
			for r := 0; r < rounds; r++ {
				run := func() float64 {
					out, err := exec.Command(loop, wl.call, wl.filter, "5", wl.calls).Output()
					if err != nil {
						b.Fatal(err)
					}
					v, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
					if err != nil {
						b.Fatal(err)
					}
					return v
				}
				watched := func() float64 {
					w := newWatcher(b, Options{})
					ctx, cancel := context.WithCancel(context.Background())
					done := make(chan error, 1)
					go func() { done <- w.Run(ctx, 250*time.Millisecond, func(Report) {}) }()
					v := run()
					cancel()
					if err := <-done; err != nil {
						b.Fatal(err)
					}
					w.Close()
					return v
				}
				empty := func() float64 {
					detach := attachEmpty(b)
					defer detach()
					return run()
				}
				order := []func(){
					func() { without = append(without, run()) },
					func() { with = append(with, watched()) },
					func() { floor = append(floor, empty()) },
				}
				for i := range order {
					order[(i+r)%len(order)]()
				}
			}
			m0, m1, mf := median(without), median(with), median(floor)
			b.Logf("%s, %s: %.1f ns/call without a watch, %.1f with (×%.3f, +%.1f%%); empty sys_enter+sys_exit programs: %.1f (×%.3f)",
				wl.call, wl.filter, m0, m1, m1/m0, 100*(m1/m0-1), mf, mf/m0)
			b.ReportMetric(m1/m0, fmt.Sprintf("x-%s-%s", wl.call, wl.filter))
			b.ReportMetric(mf/m0, fmt.Sprintf("x-floor-%s-%s", wl.call, wl.filter))
		}
	}
}

// attachEmpty attaches programs that do nothing to sys_enter and
// sys_exit.
func attachEmpty(b *testing.B) func() {
	var links []link.Link
	var progs []*ebpf.Program
	for _, tp := range []string{"sys_enter", "sys_exit"} {
		p, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.RawTracepoint, License: "Dual MIT/GPL",
			Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}})
		if err != nil {
			b.Fatal(err)
		}
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: tp, Program: p})
		if err != nil {
			b.Fatal(err)
		}
		progs, links = append(progs, p), append(links, l)
	}
	return func() {
		for _, l := range links {
			l.Close()
		}
		for _, p := range progs {
			p.Close()
		}
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkStorm is the storm: 100,000 denials a second for 10
// seconds from four processes; the watch must count every one.
//
//	go test ./watch -run '^$' -bench Storm -benchtime 1x
func BenchmarkStorm(b *testing.B) {
	prog := buildSeccompC(b, "testdata/storm.c")
	for b.Loop() {
		w := watchCommand(b, Options{}, prog, "4", "100000", "10", "1")
		var made uint64
		if _, err := fmt.Sscanf(w.output, "%d denied calls", &made); err != nil {
			b.Fatalf("storm wrote %q", w.output)
		}
		b.Logf("storm: %s; watch counted %d, losses %q", strings.TrimSpace(w.output), w.summary.Calls, w.summary.Losses())
		if w.summary.Calls != made || len(w.summary.Losses()) > 0 {
			b.Errorf("watch counted %d decisions, the storm made %d", w.summary.Calls, made)
		}
		b.ReportMetric(float64(made), "denials")
		b.ReportMetric(float64(w.summary.Calls), "counted")
	}
}

// BenchmarkDeniedCall is what the watch's programs cost a denied call:
// the kernel's run time of the sys_exit program (which reports it) per
// run, while one process makes 2,000,000 identical denied calls as fast
// as it can (BPF_STATS_RUN_TIME is on for the benchmark only).
//
//	go test ./watch -run '^$' -bench DeniedCall -benchtime 1x
func BenchmarkDeniedCall(b *testing.B) {
	prog := buildSeccompC(b, "testdata/storm.c")
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		b.Fatal(err)
	}
	defer stats.Close()
	for b.Loop() {
		w := newWatcher(b, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx, 250*time.Millisecond, func(Report) {}) }()
		out, err := exec.Command(prog, "1", "1000000", "2", "1").Output()
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		if made := w.Summary().Calls; made != 2000000 {
			b.Fatalf("watch counted %d decisions; storm wrote %q", made, out)
		}
		for _, p := range w.progs {
			info, err := p.Info()
			if err != nil {
				b.Fatal(err)
			}
			if info.Name != ebpfasm.ObjName("sfw_sys_exit") {
				continue
			}
			st, err := p.Stats()
			if err != nil {
				b.Fatal(err)
			}
			ns := float64(st.Runtime.Nanoseconds()) / float64(st.RunCount)
			b.Logf("%s: sys_exit ran %d times, %.1f ns a run", strings.TrimSpace(string(out)), st.RunCount, ns)
			b.ReportMetric(ns, "ns/sys_exit")
		}
		w.Close()
	}
}
