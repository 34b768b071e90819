package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// dockerLikeDenials are syscalls Docker's default profile refuses: the
// benchmark filter allows everything else, so it has the shape (a default
// of ALLOW with an ERRNO list) and roughly the size of a real profile's
// deny side.
var dockerLikeDenials = []string{"acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
	"delete_module", "finit_module", "get_kernel_syms", "get_mempolicy", "init_module", "ioperm", "iopl",
	"kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind", "mount", "move_pages",
	"name_to_handle_at", "nfsservctl", "open_by_handle_at", "perf_event_open", "personality", "pivot_root",
	"process_vm_readv", "process_vm_writev", "ptrace", "query_module", "quotactl", "reboot", "request_key",
	"set_mempolicy", "setns", "settimeofday", "swapoff", "swapon", "sysfs", "umount2", "unshare", "uselib",
	"userfaultfd", "ustat", "vm86", "vm86old", "fsconfig", "fsmount", "fsopen", "fspick", "move_mount",
	"open_tree", "mount_setattr", "quotactl_fd"}

var benchOnce struct {
	sync.Once
	bin, filter, loop string
	err               error
}

// benchSetup builds the real sysfence binary, the filter and the loop
// program once.
func benchSetup(b *testing.B) (bin, filter, loop string) {
	b.Helper()
	requireRun(b)
	cc := testenv.LookPath(b, "cc", "gcc")
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sysfence-bench-")
		if err != nil {
			benchOnce.err = err
			return
		}
		benchOnce.bin = filepath.Join(dir, "sysfence")
		if out, err := exec.Command("go", "build", "-o", benchOnce.bin, ".").CombinedOutput(); err != nil {
			benchOnce.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		benchOnce.loop = filepath.Join(dir, "loop")
		if out, err := exec.Command(cc, "-O2", "-o", benchOnce.loop, "testdata/loop.c").CombinedOutput(); err != nil {
			benchOnce.err = fmt.Errorf("cc: %v\n%s", err, out)
			return
		}
		x86, _ := syscalls.ArchByName("x86_64")
		p := bpf.Program{bpf.LoadAbs(bpf.OffArch), bpf.Jump(bpf.JmpJEQ, x86.AuditArch, 1, 0),
			bpf.Ret(uint32(policy.ActKillProcess)), bpf.LoadAbs(bpf.OffNr)}
		for _, name := range dockerLikeDenials {
			if nr, ok := x86.Number(name); ok {
				p = append(p, bpf.Jump(bpf.JmpJEQ, nr, 0, 1), bpf.Ret(uint32(policy.Errno(1))))
			}
		}
		p = append(p, bpf.Ret(uint32(policy.ActAllow)))
		benchOnce.filter = filepath.Join(dir, "docker-like.bpf")
		benchOnce.err = os.WriteFile(benchOnce.filter, p.Encode(binary.NativeEndian), 0o644)
	})
	if benchOnce.err != nil {
		b.Fatal(benchOnce.err)
	}
	return benchOnce.bin, benchOnce.filter, benchOnce.loop
}

// BenchmarkStartup compares, in one run, starting /bin/true plainly,
// under `sysfence run` (quiet and reporting) and under bubblewrap with the
// same filter (bwrap --ro-bind / / --seccomp FD), and the sysfence binary
// alone (`sysfence syscalls read`).
func BenchmarkStartup(b *testing.B) {
	bin, filter, _ := benchSetup(b)
	bwrap := testenv.LookPath(b, "bwrap", "bubblewrap")
	cases := []struct {
		name string
		cmd  func() *exec.Cmd
	}{
		{"run=plain", func() *exec.Cmd { return exec.Command("/bin/true") }},
		// The sysfence binary starting and doing almost nothing: the share
		// of the Go runtime and of the CLI's packages in the numbers below.
		{"run=sysfence-binary-only", func() *exec.Cmd { return exec.Command(bin, "syscalls", "read") }},
		{"run=sysfence-quiet", func() *exec.Cmd {
			return exec.Command(bin, "run", "--quiet", "--filter", filter, "--", "/bin/true")
		}},
		{"run=sysfence-report", func() *exec.Cmd { return exec.Command(bin, "run", "--filter", filter, "--", "/bin/true") }},
		{"run=sysfence-strict", func() *exec.Cmd { return exec.Command(bin, "run", "--quiet", "--strict", "--", "/bin/true") }},
		{"run=bwrap", func() *exec.Cmd {
			f, err := os.Open(filter)
			if err != nil {
				b.Fatal(err)
			}
			c := exec.Command(bwrap, "--ro-bind", "/", "/", "--seccomp", "3", "/bin/true")
			c.ExtraFiles = []*os.File{f}
			return c
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				cmd := c.cmd()
				err := cmd.Run()
				if c.name == "run=sysfence-strict" {
					continue // /bin/true dies at once in strict mode: that is the point
				}
				if err != nil {
					b.Fatalf("%v: %v", cmd.Args, err)
				}
			}
		})
	}
}

// BenchmarkReportCost measures what reporting costs a running command:
// ns per call of an allowed syscall (getppid) and of one the filter
// denies with EPERM (personality(0xffffffff)), quiet vs reporting.
func BenchmarkReportCost(b *testing.B) {
	bin, filter, loop := benchSetup(b)
	const calls = 200000
	for _, call := range []struct{ name, nr string }{{"getppid", "110"}, {"denied-personality", "135"}} {
		for _, mode := range []string{"quiet", "report"} {
			b.Run("call="+call.name+"/mode="+mode, func(b *testing.B) {
				var total float64
				for b.Loop() {
					args := []string{"run", "--filter", filter}
					if mode == "quiet" {
						args = append(args, "--quiet")
					}
					out, err := exec.Command(bin, append(args, "--", loop, call.nr, strconv.Itoa(calls))...).Output()
					if err != nil {
						b.Fatal(err)
					}
					ns, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
					if err != nil {
						b.Fatal(err)
					}
					total += ns
				}
				b.ReportMetric(total/float64(b.N), "ns/call")
			})
		}
	}
}
