package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/record/ebpf"
	"github.com/sysfence/sysfence/syscalls"
)

// recordBenchWorkload is the workload: fork/exec and file I/O
// heavy.
const recordBenchWorkload = `for i in $(seq 100); do /bin/true; done; tar -C /usr -cf - share/doc | wc -c >/dev/null`

var recordBenchBin struct {
	sync.Once
	path string
	err  error
}

// pureGoSysfence builds the shipped binary: CGO_ENABLED=0.
func pureGoSysfence(b testing.TB) string {
	b.Helper()
	recordBenchBin.Do(func() {
		dir, err := os.MkdirTemp("", "sysfence-record-bench-")
		if err != nil {
			recordBenchBin.err = err
			return
		}
		recordBenchBin.path = filepath.Join(dir, "sysfence")
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", recordBenchBin.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			recordBenchBin.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if recordBenchBin.err != nil {
		b.Fatal(recordBenchBin.err)
	}
	return recordBenchBin.path
}

// BenchmarkRecordWorkload runs the workload untraced, under
// `strace -f -c -o /dev/null`, and recorded by `sysfence record` (the
// CGO_ENABLED=0 binary, writing the profile to a file) with each backend,
// all interleaved in every iteration (rotating order, so that load from
// other processes hits every variant alike), and reports the median wall
// time and CPU time (user+system of the whole tree, from the reaped
// child's rusage) of each, with the ratios the issue sets goals for:
// ptrace/strace (at most 0.6) and ebpf/none (at most 1.10). It also
// reports the distinct syscalls recorded against Docker's default allow
// list. scripts/bench-record.sh prints it as a table.
func BenchmarkRecordWorkload(b *testing.B) {
	requireRun(b)
	bin := pureGoSysfence(b)
	strace := testenv.LookPath(b, "strace", "strace")
	out := filepath.Join(b.TempDir(), "profile.json")
	sh := []string{"/bin/sh", "-c", recordBenchWorkload}
	record := func(flags ...string) []string {
		return append(append(append([]string{bin, "record", "-q", "-o", out}, flags...), "--"), sh...)
	}
	type variant struct {
		name string
		argv []string
	}
	if r, err := ebpf.New(ebpf.Options{}); err == nil {
		r.Close()
	} else {
		testenv.Skip(b, "eBPF backend: "+err.Error())
	}
	// The two eBPF variants never run one right after the other (in the
	// rotation below a variant follows the one listed before it, or the
	// one two before): attaching to sys_enter within an RCU grace period
	// of the last detach waits for that grace period (the tracepoint's
	// 1-0-1 transition), up to 10 ms here, which a single recording does
	// not pay.
	variants := []variant{
		{"none", sh},
		{"ebpf", record("--backend", "ebpf")},
		{"strace", append([]string{strace, "-f", "-c", "-o", "/dev/null"}, sh...)},
		{"ptrace", record("--backend", "ptrace")},
		{"ebpf-args", record("--backend", "ebpf", "--args")},
		{"ptrace-args", record("--backend", "ptrace", "--args")},
		{"ptrace-errors", record("--backend", "ptrace", "--errors")},
	}
	run := func(argv []string) (wall, cpu time.Duration) {
		cmd := exec.Command(argv[0], argv[1:]...)
		t0 := time.Now()
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", argv, err, o)
		}
		wall = time.Since(t0)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		return wall, time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}

	// Attack surface: one recording of each backend, against Docker's
	// default profile.
	recorded := map[string]int{}
	for _, v := range variants {
		if v.name == "ptrace" || v.name == "ebpf" {
			run(v.argv)
			recorded[v.name] = len(allowedNames(b, out))
		}
	}

	walls := make([][]time.Duration, len(variants))
	cpus := make([][]time.Duration, len(variants))
	i := 0
	for b.Loop() {
		for j := range variants {
			k := (i + j) % len(variants)
			w, c := run(variants[k].argv)
			walls[k] = append(walls[k], w)
			cpus[k] = append(cpus[k], c)
		}
		i++
	}
	median := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2]) / float64(time.Millisecond)
	}
	idx := map[string]int{}
	for k, v := range variants {
		idx[v.name] = k
		b.ReportMetric(median(walls[k]), v.name+"-ms")
		b.ReportMetric(median(cpus[k]), v.name+"-cpu-ms")
	}
	ratio := func(a, base string) {
		ka, okA := idx[a]
		kb, okB := idx[base]
		if okA && okB {
			b.ReportMetric(median(walls[ka])/median(walls[kb]), a+"/"+base)
			b.ReportMetric(median(cpus[ka])/median(cpus[kb]), a+"-cpu/"+base)
		}
	}
	for _, v := range variants[1:] {
		ratio(v.name, "none")
	}
	ratio("ptrace", "strace")
	ratio("ptrace-args", "strace")
	ratio("ptrace-errors", "strace")
	b.ReportMetric(0, "ns/op") // an iteration runs every variant; see the metrics
	for name, n := range recorded {
		b.ReportMetric(float64(n), name+"-recorded-syscalls")
	}
	b.ReportMetric(float64(dockerDefaultAllowed()), "docker-default-syscalls")
}

// allowedNames lists the syscalls a profile file allows.
func allowedNames(b *testing.B, path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var p seccomp.Seccomp
	if err := json.Unmarshal(data, &p); err != nil {
		b.Fatal(err)
	}
	var out []string
	for _, s := range p.Syscalls {
		if s.Action == specs.ActAllow {
			for _, n := range s.Names {
				if !slices.Contains(out, n) {
					out = append(out, n)
				}
			}
		}
	}
	return out
}

// dockerDefaultAllowed counts the x86_64 syscalls Docker's default
// profile allows on amd64 (any ALLOW entry, with conditions or not).
func dockerDefaultAllowed() int {
	x64, _ := syscalls.ArchByName("x86_64")
	seen := map[string]bool{}
	for _, s := range seccomp.DefaultProfile().Syscalls {
		if s.Action != specs.ActAllow {
			continue
		}
		if s.Includes != nil && len(s.Includes.Arches) > 0 && !slices.Contains(s.Includes.Arches, "amd64") {
			continue
		}
		for _, n := range s.Names {
			if _, ok := x64.Number(n); ok {
				seen[n] = true
			}
		}
	}
	return len(seen)
}
