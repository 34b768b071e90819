//go:build linux && amd64

package ebpf

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/syscalls"
)

// benchWorkload is the workload: fork/exec and file I/O heavy.
const benchWorkload = `for i in $(seq 100); do /bin/true; done; tar -C /usr -cf - share/doc | wc -c >/dev/null`

// launch starts argv through the test launcher and returns it with the
// pipe that lets it exec.
func launch(b testing.TB, argv ...string) (*exec.Cmd, *os.File) {
	pr, pw, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], argv...)
	cmd.Env = append(os.Environ(), shimEnv+"=1")
	cmd.ExtraFiles = []*os.File{pr}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	pr.Close()
	return cmd, pw
}

func release(b testing.TB, cmd *exec.Cmd, pw *os.File) {
	pw.Write([]byte{1})
	pw.Close()
	if err := cmd.Wait(); err != nil {
		b.Fatal(err)
	}
	childCPU += cpuOf(cmd.ProcessState.SysUsage().(*syscall.Rusage))
}

// childCPU sums the CPU time of the reaped launchers and everything they
// waited for (the workload); a variant adds the benchmark process's own
// CPU time (the recorder's set-up and reading).
var childCPU time.Duration

func cpuOf(ru *syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return cpuOf(&ru)
}

// recordOnce records one run end to end: load and attach, run, wait for
// the tree, drain, read, close.
func recordOnce(b testing.TB, opts Options, argv ...string) *record.Observations {
	r, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	cmd, pw := launch(b, argv...)
	if err := r.Follow(cmd.Process.Pid); err != nil {
		b.Fatal(err)
	}
	release(b, cmd, pw)
	if err := r.Wait(context.Background()); err != nil {
		b.Fatal(err)
	}
	o, err := r.Stop()
	if err != nil {
		b.Fatal(err)
	}
	if len(o.Names()) < 20 {
		b.Fatalf("recorded only %v", o.Names())
	}
	return o
}

// dockerAllowed counts the x86_64 syscalls Docker's default profile
// allows on amd64 (any entry with SCMP_ACT_ALLOW, conditions or not).
func dockerAllowed() int {
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

// BenchmarkRecordWorkload runs the workload untraced, recorded by
// the eBPF backend and under `strace -f -c -o /dev/null`, interleaved in
// every iteration so that load from other processes hits all variants
// alike, and reports the median wall time of each (ms) and the ratios to
// the untraced run. Variants:
//
//	none          the launcher and the workload, untraced
//	ebpf          end to end: New, Follow, run, Wait, Stop, Close
//	ebpf-args     the same with Options.Args
//	ebpf-attached only the run, with a recorder loaded beforehand
//	              (the cost of tracing itself, without set-up)
//	strace        strace -f -c -o /dev/null as the command
//
// It isolates the cost of the programs themselves (ebpf-attached);
// cmd/sysfence's BenchmarkRecordWorkload, which scripts/bench-record.sh
// runs, compares the whole `sysfence record` with both backends against
// strace.
func BenchmarkRecordWorkload(b *testing.B) {
	sh := []string{"sh", "-c", benchWorkload}
	strace := testenv.LookPath(b, "strace", "strace")
	newRecorder(b, Options{}).Close() // skip early if unsupported

	var cpu time.Duration // CPU time of the last timed run
	timed := func(f func()) time.Duration {
		childCPU = 0
		c0, t0 := selfCPU(), time.Now()
		f()
		wall := time.Since(t0)
		cpu = childCPU + selfCPU() - c0
		return wall
	}
	variants := []struct {
		name string
		run  func() time.Duration
	}{
		{"none", func() time.Duration {
			return timed(func() { cmd, pw := launch(b, sh...); release(b, cmd, pw) })
		}},
		{"ebpf", func() time.Duration { return timed(func() { recordOnce(b, Options{}, sh...) }) }},
		{"ebpf-args", func() time.Duration { return timed(func() { recordOnce(b, Options{Args: true}, sh...) }) }},
		{"ebpf-attached", func() time.Duration {
			r, err := New(Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			return timed(func() {
				cmd, pw := launch(b, sh...)
				if err := r.Follow(cmd.Process.Pid); err != nil {
					b.Fatal(err)
				}
				release(b, cmd, pw)
				if err := r.Wait(context.Background()); err != nil {
					b.Fatal(err)
				}
			})
		}},
		{"strace", func() time.Duration {
			return timed(func() {
				cmd, pw := launch(b, append([]string{strace, "-f", "-c", "-o", "/dev/null"}, sh...)...)
				release(b, cmd, pw)
			})
		}},
	}
	// Attack surface: what the recorded profile allows against Docker's
	// default allow list.
	o := recordOnce(b, Options{}, sh...)

	times := make([][]time.Duration, len(variants))
	cpus := make([][]time.Duration, len(variants))
	i := 0
	for b.Loop() {
		// Rotate the order so no variant always runs first.
		for j := range variants {
			k := (i + j) % len(variants)
			times[k] = append(times[k], variants[k].run())
			cpus[k] = append(cpus[k], cpu)
		}
		i++
	}
	median := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2]) / float64(time.Millisecond)
	}
	med := make([]float64, len(variants))
	medCPU := make([]float64, len(variants))
	for k, v := range variants {
		med[k], medCPU[k] = median(times[k]), median(cpus[k])
		b.ReportMetric(med[k], v.name+"-ms")
		b.ReportMetric(medCPU[k], v.name+"-cpu-ms")
	}
	for k, v := range variants[1:] {
		b.ReportMetric(med[k+1]/med[0], v.name+"/none")
		b.ReportMetric(medCPU[k+1]/medCPU[0], v.name+"-cpu/none")
	}
	b.ReportMetric(0, "ns/op") // an iteration runs every variant; see the metrics
	b.ReportMetric(float64(len(o.Names())), "recorded-syscalls")
	b.ReportMetric(float64(dockerAllowed()), "docker-default-syscalls")
}

// BenchmarkNew measures the recorder's set-up alone: privilege and
// feature checks, BTF offsets, maps, four programs loaded and attached,
// and Close.
func BenchmarkNew(b *testing.B) {
	newRecorder(b, Options{}).Close()
	for b.Loop() {
		r, err := New(Options{})
		if err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}
