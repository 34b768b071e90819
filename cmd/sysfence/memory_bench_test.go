package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/sysfence/sysfence/internal/profilegen"
)

// peakRSS runs the shipped binary with args and returns its peak resident
// memory in bytes: VmHWM of /proc/PID/status, read when the process is
// about to exit (a ptrace exit stop), when its memory is still there.
// (The maxrss of wait4 would not do: a child's maxrss starts at the size
// of the process that forked it, here this large test binary.)
func peakRSS(b *testing.B, bin string, args ...string) int64 {
	b.Helper()
	runtime.LockOSThread() // ptrace requests come from the tracer's thread
	defer runtime.UnlockOSThread()
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	pid := cmd.Process.Pid
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil || !ws.Stopped() {
		b.Fatalf("no exec stop: %v %v", ws, err)
	}
	if err := syscall.PtraceSetOptions(pid, syscall.PTRACE_O_TRACEEXIT); err != nil {
		b.Fatal(err)
	}
	var hwm int64 = -1
	sig := 0
	for {
		if err := syscall.PtraceCont(pid, sig); err != nil {
			b.Fatal(err)
		}
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
			b.Fatal(err)
		}
		sig = 0
		switch {
		case ws.Exited() || ws.Signaled():
			if !ws.Exited() || ws.ExitStatus() != 0 || hwm < 0 {
				b.Fatalf("%s %v: %v (VmHWM %d)", bin, args, ws, hwm)
			}
			return hwm
		case ws.Stopped() && ws.TrapCause() == syscall.PTRACE_EVENT_EXIT:
			status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			if err != nil {
				b.Fatal(err)
			}
			for line := range strings.Lines(string(status)) {
				if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), 10, 64)
					if err != nil {
						b.Fatalf("VmHWM: %q", line)
					}
					hwm = n * 1024
				}
			}
		case ws.Stopped():
			sig = int(ws.StopSignal()) // a signal for the program: pass it on
		}
	}
}

// BenchmarkCompileBigProfile reports the peak memory of `sysfence compile
// BIG.json -o /dev/null` (the CGO_ENABLED=0 binary) above the same
// command's for a one-entry profile, per byte of a 10 MB profile
// (rss/input): many entries or one huge names list, indented as moby
// writes default.json or compact, for x86_64 (three ABIs).
func BenchmarkCompileBigProfile(b *testing.B) {
	bin := pureGoSysfence(b)
	dir := b.TempDir()
	small := filepath.Join(dir, "small.json")
	if err := os.WriteFile(small, []byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}`), 0o644); err != nil {
		b.Fatal(err)
	}
	target := []string{"--arch", "x86_64", "--kernel", "6.8", "-o", os.DevNull}
	for _, shape := range []profilegen.Shape{profilegen.Entries, profilegen.HugeNames} {
		for _, indent := range []bool{true, false} {
			name := "shape=" + shape.String() + "/compact"
			if indent {
				name = "shape=" + shape.String() + "/indented"
			}
			data := profilegen.Docker(shape, 10<<20, indent, 1)
			big := filepath.Join(dir, "big.json")
			if err := os.WriteFile(big, data, 0o644); err != nil {
				b.Fatal(err)
			}
			b.Run(name, func(b *testing.B) {
				var sum float64
				for b.Loop() {
					base := peakRSS(b, bin, append([]string{"compile", small}, target...)...)
					peak := peakRSS(b, bin, append([]string{"compile", big}, target...)...)
					sum += float64(peak-base) / float64(len(data))
				}
				b.ReportMetric(sum/float64(b.N), "rss/input")
			})
		}
	}
}
