// Command compare prints the side-by-side comparison of sysfence's
// compiler with its peers on Docker's default profile, as a markdown table
// (the README's), measured in this one run.
//
//	go run ./cmd/compare                      # sysfence, gVisor, elastic
//	go run -tags libseccomp ./cmd/compare     # and libseccomp
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/sysfence/sysfence/bench"
)

func main() {
	runs := flag.Int("runs", 301, "timing runs per contestant and variant (at most; about a second each)")
	flag.Parse()
	if err := bench.CheckHost(); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(2)
	}
	type row struct {
		c        bench.Contestant
		all, one *bench.Figures
	}
	var rows []row
	for _, c := range bench.Contestants() {
		r := row{c: c}
		var err error
		if !c.OneABI {
			if r.all, err = bench.Measure(c, true, *runs); err != nil {
				fail(err)
			}
		}
		if r.one, err = bench.Measure(c, false, *runs); err != nil {
			fail(err)
		}
		rows = append(rows, r)
	}

	fmt.Println("| compiler | length, x86_64 host (x86_64+x86+x32) | length, x86_64 only | args-free allowed syscalls cached | instructions, allowed argument-checked calls (x86_64) | instructions, denied syscalls (x86_64), avg (min-max) | parse + resolve + compile, median |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, r := range rows {
		both := func(f func(*bench.Figures) string) string {
			if r.all == nil {
				return f(r.one) + " (one ABI)"
			}
			return f(r.all) + " / " + f(r.one)
		}
		cache := r.one
		if r.all != nil {
			cache = r.all
		}
		cached := fmt.Sprintf("%d/%d", cache.Cached, cache.Want)
		if cache.CachedWrong > 0 {
			cached += fmt.Sprintf(" (+%d wrongly)", cache.CachedWrong)
		}
		length3 := "—"
		if r.all != nil {
			length3 = fmt.Sprint(r.all.Len)
		}
		fmt.Printf("| %s | %s | %d | %s | %s | %s | %s |\n", r.c.Name, length3, r.one.Len, cached,
			both(func(f *bench.Figures) string { return fmt.Sprintf("%.2f", f.ArgAvg) }),
			both(func(f *bench.Figures) string {
				return fmt.Sprintf("%.1f (%d-%d)", f.DeniedAvg, f.DeniedMin, f.DeniedMax)
			}),
			both(func(f *bench.Figures) string { return fmtDur(f.Median) }))
	}

	fmt.Println()
	fmt.Println("Where a cell has two figures, the first is for the x86_64 host's filter (x86_64+x86+x32), the second for x86_64 only.")
	fmt.Println("Cached: syscalls of the ABIs this kernel runs natively (x86_64, and i386 where the filter accepts it) that the profile allows whatever the arguments, served by the kernel's action cache (emulation of seccomp_is_const_allow).")
	fmt.Println()
	fmt.Println("Argument-checked calls (instructions on the x86_64-only / multi-ABI filter, per contestant in table order):")
	fmt.Println()
	fmt.Print("| call |")
	for _, r := range rows {
		fmt.Printf(" %s |", r.c.Name)
	}
	fmt.Println()
	fmt.Print("|---|")
	for range rows {
		fmt.Print("---|")
	}
	fmt.Println()
	for i, call := range bench.RealisticCalls {
		fmt.Printf("| %s(%#x) %s |", call.Name, call.Args[0], call.What)
		for _, r := range rows {
			if r.all != nil {
				fmt.Printf(" %d / %d |", r.one.PerCall[i], r.all.PerCall[i])
			} else {
				fmt.Printf(" %d |", r.one.PerCall[i])
			}
		}
		fmt.Println()
	}
	fmt.Println()
	fmt.Println("Fidelity and approximations:")
	fmt.Println()
	for _, r := range rows {
		for _, f := range []*bench.Figures{r.all, r.one} {
			if f == nil {
				continue
			}
			which := "x86_64 only"
			if f == r.all {
				which = "x86_64 host"
			}
			ex := ""
			if len(f.DisagreeExamples) > 0 {
				ex = " (e.g. " + strings.Join(f.DisagreeExamples, "; ") + ")"
			}
			fmt.Printf("- %s, %s: %d of %d decisions differ from Docker+runc's%s.\n", r.c.Name, which, f.Disagree, f.Checked, ex)
		}
		for _, n := range r.c.Notes {
			fmt.Printf("  - %s\n", n)
		}
		if r.c.More != nil {
			for _, n := range r.c.More(mustResolve()) {
				fmt.Printf("  - %s\n", n)
			}
		}
	}
	fmt.Println()
	for _, v := range []struct {
		name string
		all  bool
	}{{"x86_64 host", true}, {"x86_64 only", false}} {
		res, tr, comp, err := bench.Stages(v.all, *runs)
		if err != nil {
			fail(err)
		}
		fmt.Printf("sysfence's stages, %s (medians): parse + resolve %s, policy.FromOCI %s, compile %s.\n",
			v.name, fmtDur(res), fmtDur(tr), fmtDur(comp))
	}
	fmt.Println()
	fmt.Printf("Measured %s with %s on %s, %d CPUs, kernel %s%s, load average %s; timings are wall-clock medians of up to %d runs each.\n",
		time.Now().UTC().Format("2006-01-02"), runtime.Version(), cpuModel(), runtime.NumCPU(), kernel(), libVersion(), loadavg(), *runs)
}

func mustResolve() *specsSeccomp {
	body, err := bench.DefaultJSON(false)
	if err != nil {
		fail(err)
	}
	oci, err := bench.Resolve(body)
	if err != nil {
		fail(err)
	}
	return oci
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.3f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}

func kernel() string {
	out, err := exec.Command("uname", "-r").Output()
	if err != nil {
		return "?"
	}
	return string(bytes.TrimSpace(out))
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "compare:", err)
	os.Exit(1)
}
