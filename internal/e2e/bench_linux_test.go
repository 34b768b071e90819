package e2e

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// The benchmarks measure contestants side by side: every iteration runs
// each of them once, in an order that rotates, so that drift on a shared
// machine hits them alike; each reports the median over the iterations
// as a metric of its own. Run them with scripts/bench-run.sh, which
// prints docs/performance.md's tables.

var (
	ddOnce sync.Once
	ddPath string
	ddErr  error
)

// dockerDefaultFilter writes the compiled Docker default for this machine
// (what `sysfence run` installs without -p, and what `sysfence compile
// docker-default` writes) and returns its path.
func dockerDefaultFilter(b testing.TB) string {
	b.Helper()
	ddOnce.Do(func() {
		var res *build.Result
		if res, ddErr = build.Build(build.Request{Ref: "docker-default"}); ddErr != nil {
			return
		}
		ddPath = filepath.Join(workDir, "docker-default.bpf")
		ddErr = os.WriteFile(ddPath, res.Program.Filter.Encode(binary.NativeEndian), 0o644)
	})
	if ddErr != nil {
		b.Fatal(ddErr)
	}
	return ddPath
}

// dockerDefaultNoExecFilter is Docker's default without execve and
// execveat: quiet mode cannot exec such a filter in place, so it measures
// the exec-stop path (fork, ptrace, injection) of quiet mode.
func dockerDefaultNoExecFilter(b testing.TB) string {
	b.Helper()
	p, err := profile.Builtin("docker-default")
	if err != nil {
		b.Fatal(err)
	}
	for _, sc := range p.Seccomp.Syscalls {
		sc.Names = slices.DeleteFunc(sc.Names, func(n string) bool { return n == "execve" || n == "execveat" })
	}
	res, err := build.Build(build.Request{Ref: "docker-default", Profile: p})
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(workDir, "docker-default-no-exec.bpf")
	if err := os.WriteFile(path, res.Program.Filter.Encode(binary.NativeEndian), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// goHello builds the do-nothing Go program (CGO_ENABLED=0).
func goHello(b testing.TB) string {
	b.Helper()
	goTool := testenv.LookPath(b, "go", "golang-go")
	out := filepath.Join(workDir, "gohello")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	cmd := exec.Command(goTool, "build", "-o", out, "./testdata/gohello")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if o, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build gohello: %v\n%s", err, o)
	}
	return out
}

// contestant is one command of a side-by-side benchmark.
type contestant struct {
	name string
	cmd  func() (*exec.Cmd, func()) // the command, and what to release after it
	ok   func(error) bool           // whether the run ended as it should
}

func succeeded(err error) bool { return err == nil }

func must(n int, err error) uint32 {
	if err != nil {
		panic(err)
	}
	return uint32(n)
}

// BenchmarkStartup: the time from fork to exit of `/bin/true`, plainly,
// under `sysfence run` (the built-in Docker default, in quiet mode, where
// sysfence execs CMD in its own place, and in reporting mode; the same
// filter from a file with --filter; and quiet mode on the exec-stop path,
// with a filter that denies execve), and under bubblewrap with the same precompiled filter
// (bwrap --ro-bind / / --seccomp FD). gohello is a Go program that does
// nothing: the floor of any launcher written in Go; sysfence-nothing is
// `sysfence syscalls read`, sysfence's own start and exit with next to no
// work. Metrics are medians in milliseconds; "added" ones subtract
// /bin/true's median.
func BenchmarkStartup(b *testing.B) {
	bin := sysfenceBin(b)
	bwrap := testenv.LookPath(b, "bwrap", "bubblewrap")
	filter := dockerDefaultFilter(b)
	hello := goHello(b)
	noExec := dockerDefaultNoExecFilter(b)
	plain := func(argv ...string) func() (*exec.Cmd, func()) {
		return func() (*exec.Cmd, func()) { return exec.Command(argv[0], argv[1:]...), func() {} }
	}
	cs := []contestant{
		{"true", plain("/bin/true"), succeeded},
		{"gohello", plain(hello), succeeded},
		{"sysfence-nothing", plain(bin, "syscalls", "read"), succeeded},
		{"bwrap", func() (*exec.Cmd, func()) {
			f, err := os.Open(filter)
			if err != nil {
				b.Fatal(err)
			}
			c := exec.Command(bwrap, "--ro-bind", "/", "/", "--seccomp", "3", "/bin/true")
			c.ExtraFiles = []*os.File{f}
			return c, func() { f.Close() }
		}, succeeded},
		{"sysfence-quiet", plain(bin, "run", "--quiet", "--", "/bin/true"), succeeded},
		{"sysfence-report", plain(bin, "run", "--", "/bin/true"), succeeded},
		{"sysfence-quiet-filter", plain(bin, "run", "--quiet", "--filter", filter, "--", "/bin/true"), succeeded},
		{"sysfence-quiet-exec-stop", plain(bin, "run", "--quiet", "--filter", noExec, "--", "/bin/true"), succeeded},
	}
	med := sideBySide(b, cs, func(c contestant) (float64, error) {
		cmd, release := c.cmd()
		defer release()
		start := time.Now()
		err := cmd.Run()
		d := time.Since(start)
		if !c.ok(err) {
			return 0, fmt.Errorf("%s: %v: %v", c.name, cmd.Args, err)
		}
		return float64(d) / 1e6, nil
	})
	for _, c := range cs {
		b.ReportMetric(med[c.name], c.name+"-ms")
		if c.name != "true" {
			b.ReportMetric(med[c.name]-med["true"], c.name+"-added-ms")
		}
	}
}

// sideBySide runs every contestant once per iteration, rotating the
// order, and returns each one's median measurement.
func sideBySide(b *testing.B, cs []contestant, measure func(contestant) (float64, error)) map[string]float64 {
	b.Helper()
	samples := map[string][]float64{}
	// One untimed round first: page cache, lazy binaries.
	for _, c := range cs {
		if _, err := measure(c); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	for b.Loop() {
		for k := range cs {
			c := cs[(i+k)%len(cs)]
			v, err := measure(c)
			if err != nil {
				b.Fatal(err)
			}
			samples[c.name] = append(samples[c.name], v)
		}
		i++
	}
	med := map[string]float64{}
	for name, s := range samples {
		slices.Sort(s)
		med[name] = s[len(s)/2]
	}
	return med
}

// libseccompFilter, when the build tag libseccomp links it, writes
// libseccomp's compilation of Docker's default (with runc's ENOSYS stub:
// exactly what runc installs) and returns its path.
var libseccompFilter func(b testing.TB) string

// BenchmarkSyscallCost: nanoseconds per call for three calls under no
// filter, under the smallest filter that runs for the call ("floor": what
// entering any filter costs, the part no compiler can remove), under
// libseccomp's compilation of Docker's default (the tag
// libseccomp adds it) and under sysfence's, each filter loaded by the C
// loop child that makes the calls: getpid (allowed whatever its
// arguments: the kernel's action cache answers without running the
// filter), personality(0xffffffff) (allowed by an argument check: the
// filter runs) and create_module (denied by the default action: EPERM).
// Each run makes 300 batches of 1000 calls and reports its median batch,
// which preemption on a shared machine does not move; the metrics are
// medians over the runs.
func BenchmarkSyscallCost(b *testing.B) {
	requireRun(b)
	loop := cprog(b, "syscall_loop")
	filters := []struct{ name, path string }{{"none", "-"}}
	if libseccompFilter != nil {
		filters = append(filters, struct{ name, path string }{"libseccomp", libseccompFilter(b)})
	}
	filters = append(filters, struct{ name, path string }{"sysfence", dockerDefaultFilter(b)})
	amd64, err := syscalls.Native()
	if err != nil {
		b.Fatal(err)
	}
	nr := func(name string) string {
		n, ok := amd64.Number(name)
		if !ok {
			b.Fatalf("no syscall %s on %s", name, amd64.Name)
		}
		return strconv.FormatUint(uint64(n), 10)
	}
	const calls = "300000"
	allow, eperm := uint32(policy.ActAllow), uint32(policy.Errno(1))
	for _, call := range []struct {
		name, nr, arg0 string
		floor          bpf.Program
	}{
		{"getpid", nr("getpid"), "0", bpf.Program{bpf.Ret(allow)}},
		{"personality-query", nr("personality"), "0xffffffff", bpf.Program{
			bpf.LoadAbs(bpf.OffNr), bpf.Jump(bpf.JmpJEQ, must(strconv.Atoi(nr("personality"))), 0, 2),
			bpf.LoadAbs(bpf.ArgLow(0, false)), bpf.Ret(allow), bpf.Ret(allow)}},
		{"denied-create_module", nr("create_module"), "0", bpf.Program{
			bpf.LoadAbs(bpf.OffNr), bpf.Jump(bpf.JmpJEQ, must(strconv.Atoi(nr("create_module"))), 0, 1),
			bpf.Ret(eperm), bpf.Ret(allow)}},
	} {
		b.Run("call="+call.name, func(b *testing.B) {
			floor := filepath.Join(workDir, "floor-"+call.name+".bpf")
			if err := os.WriteFile(floor, call.floor.Encode(binary.NativeEndian), 0o644); err != nil {
				b.Fatal(err)
			}
			filters := append(filters[:1:1], append([]struct{ name, path string }{{"floor", floor}}, filters[1:]...)...)
			var cs []contestant
			for _, f := range filters {
				cs = append(cs, contestant{name: f.name, cmd: func() (*exec.Cmd, func()) {
					return exec.Command(loop, f.path, call.nr, call.arg0, calls), func() {}
				}})
			}
			med := sideBySide(b, cs, func(c contestant) (float64, error) {
				cmd, _ := c.cmd()
				out, err := cmd.Output()
				if err != nil {
					return 0, fmt.Errorf("%s: %v", c.name, err)
				}
				return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
			})
			for _, f := range filters {
				if f.path != "-" {
					b.ReportMetric(float64(steps(b, f.path, call.nr, call.arg0)), f.name+"-insns")
				}
				b.ReportMetric(med[f.name], f.name+"-ns/call")
				if f.name != "none" {
					b.ReportMetric(med[f.name]-med["none"], f.name+"-added-ns/call")
				}
				if f.name != "none" && f.name != "floor" {
					b.ReportMetric(med[f.name]-med["floor"], f.name+"-over-floor-ns/call")
				}
			}
		})
	}
}

// steps is how many instructions a filter file executes for the call
// (sysfence's emulator; the kernel's cache is not modelled here).
func steps(b testing.TB, path, nr, arg0 string) int {
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	prog, err := bpf.Decode(raw, binary.NativeEndian)
	if err != nil {
		b.Fatal(err)
	}
	a, _ := syscalls.Native()
	n, _ := strconv.ParseUint(nr, 10, 32)
	v, _ := strconv.ParseUint(arg0, 0, 64)
	res, err := bpf.Run(prog, &bpf.Data{Nr: uint32(n), Arch: a.AuditArch, Args: [6]uint64{v}}, a.BigEndian, false)
	if err != nil {
		b.Fatal(err)
	}
	return res.Steps
}

// TestDockerDefaultFilterSelfCheck keeps the benchmark honest: the
// filter it measures is the one `sysfence run` installs, and it answers
// the three calls as the benchmark says.
func TestDockerDefaultFilterSelfCheck(t *testing.T) {
	p := dockerDefaultFilter(t)
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := bpf.Decode(raw, binary.NativeEndian)
	if err != nil {
		t.Fatal(err)
	}
	a, err := syscalls.Native()
	if err != nil || a.Name != "x86_64" {
		t.Skip("the benchmark's calls are x86_64's")
	}
	for _, c := range []struct {
		name string
		arg0 uint64
		want uint32
	}{{"getpid", 0, 0x7fff0000}, {"personality", 0xffffffff, 0x7fff0000}, {"create_module", 0, 0x00050001}} {
		n, _ := a.Number(c.name)
		res, err := bpf.Run(prog, &bpf.Data{Nr: n, Arch: a.AuditArch, Args: [6]uint64{c.arg0}}, false, false)
		if err != nil || res.Ret != c.want {
			t.Errorf("%s: %#x %v, want %#x", c.name, res.Ret, err, c.want)
		}
		if c.name == "getpid" && !bpf.CacheCheck(prog, a.AuditArch, n).Cached {
			t.Errorf("getpid is not served by the kernel's action cache")
		}
	}
}
