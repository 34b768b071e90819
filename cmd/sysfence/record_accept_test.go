package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/moby/profiles/seccomp"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/record/ebpf"
)

// The acceptance loop of `sysfence record` (issue 4): record a workload,
// enforce the recording with `sysfence run -p` and get the same output
// and exit status as an untraced run; a syscall the recording never saw
// is denied; both backends write the same rules.

var (
	progMu   sync.Mutex
	progDir  string
	progDone = map[string]string{}
)

// recordProg builds a test program of testdata/record once per test
// binary run: a C file with cc and flags, or a Go file with go build.
func recordProg(t *testing.T, name string, flags ...string) string {
	t.Helper()
	progMu.Lock()
	defer progMu.Unlock()
	key := name + strings.Join(flags, " ")
	if p, ok := progDone[key]; ok {
		return p
	}
	if progDir == "" {
		d, err := os.MkdirTemp("", "sysfence-record-test")
		if err != nil {
			t.Fatal(err)
		}
		progDir = d // removed by TestMain
	}
	out := filepath.Join(progDir, strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))+"-"+strconv.Itoa(len(progDone)))
	var cmd *exec.Cmd
	if strings.HasSuffix(name, ".go") {
		cmd = exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", out, name)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	} else {
		cc := testenv.LookPath(t, "cc", "gcc")
		cmd = exec.Command(cc, append([]string{"-O1", "-o", out, name}, flags...)...)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", name, err, b)
	}
	progDone[key] = out
	return out
}

// ran is what a command did.
type ran struct {
	stdout, stderr string
	code           int
}

func runIt(t *testing.T, cmd *exec.Cmd) ran {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := exitCode(err)
	if code < 0 {
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	return ran{stdout.String(), stderr.String(), code}
}

// backends lists the recorders to test here: ptrace always, eBPF where it
// can load (as root; in CI it must).
func backends(t *testing.T) []string {
	t.Helper()
	out := []string{"ptrace"}
	r, err := ebpf.New(ebpf.Options{})
	switch {
	case err == nil:
		r.Close()
		out = append(out, "ebpf")
	case errors.Is(err, ebpf.ErrNotSupported) && !testenv.InCI():
		t.Logf("eBPF backend not tested: %v", err)
	default:
		t.Errorf("eBPF backend unavailable in CI: %v", err)
	}
	return out
}

// recordWith runs `sysfence record` and returns the profile's path and
// what the command did while recorded.
func recordWith(t *testing.T, dir, backend string, extra []string, argv ...string) (string, ran) {
	t.Helper()
	path := filepath.Join(dir, backend+"-recorded.json")
	args := append([]string{"record", "--quiet", "--backend", backend, "-o", path}, extra...)
	r := runIt(t, sysfence(append(append(args, "--"), argv...)...))
	return path, r
}

// rules reads a recorded profile: its entries without comments, and the
// names it allows.
func rules(t *testing.T, path string) (string, []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p seccomp.Seccomp
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range p.Syscalls {
		s.Comment = ""
		names = append(names, s.Names...)
	}
	out, _ := json.Marshal(p)
	return string(out), names
}

type workload struct {
	name string
	argv []string
	// timing lists syscalls whose presence depends on timing (the Go
	// scheduler's): the backends may disagree on them, nothing else.
	timing []string
	// denied, when set, is a variant of the command that makes one call
	// the recording never saw, and what it prints then.
	denied     []string
	deniedSays string
	// code is the command's exit status untraced (128+N: killed by
	// signal N), and recordSays what record adds to its stderr.
	code       int
	recordSays string
}

func acceptanceWorkloads(t *testing.T) []workload {
	hello := recordProg(t, "testdata/record/hello.c")
	int80 := recordProg(t, "testdata/record/int80.c", "-no-pie")
	gothreads := recordProg(t, "../../record/ebpf/testdata/gothreads.go")
	// Debian's python3 (python3-minimal), not one a PATH may put first
	// (pyenv's shim is a script): the runc leg sees the host's /usr only.
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		testenv.Skip(t, python+" is not installed (Debian package python3-minimal)")
	}
	const py = `import os, socket, tempfile
d = tempfile.mkdtemp()
p = os.path.join(d, "f")
with open(p, "w") as f:
    f.write("file data")
with open(p) as f:
    print(f.read())
os.remove(p)
os.rmdir(d)
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
c = socket.create_connection(s.getsockname())
a, _ = s.accept()
c.sendall(b"ping")
print(a.recv(4).decode())
for x in (a, c, s):
    x.close()
u, v = socket.socketpair()
u.send(b"pong")
print(v.recv(4).decode())
`
	// Where int $0x80 faults, the program dies of SIGSEGV after its first
	// write, recorded or not, and record says that the profile stops
	// there; its i386 calls never happen.
	int80w := workload{name: "int80", argv: []string{int80}}
	if !testenv.Int80Works(t) {
		int80w.code = 128 + 11
		int80w.recordSays = "sysfence: warning: " + int80 + " was killed by SIGSEGV: the profile holds what was recorded until then\n"
	}
	return []workload{
		{name: "hello", argv: []string{hello}, denied: []string{hello, "sysinfo"}, deniedSays: "Hello, world!\nsysinfo: Operation not permitted\n"},
		{name: "shell-loop-tar", argv: []string{"/bin/sh", "-c", "for i in $(seq 100); do /bin/true; done; tar -C /usr -cf - share/doc | wc -c"}},
		{name: "python3", argv: []string{python, "-c", py}},
		{name: "go-threads", argv: []string{gothreads}, timing: []string{"sched_yield", "nanosleep", "tgkill", "getpid", "futex", "madvise", "mmap", "munmap"}},
		int80w,
	}
}

func TestRecordAcceptance(t *testing.T) {
	requireRun(t)
	probe := recordProg(t, "testdata/record/probe.c", "-nostdlib", "-static", "-fno-stack-protector")
	bes := backends(t)
	for _, w := range acceptanceWorkloads(t) {
		t.Run("workload="+w.name, func(t *testing.T) {
			want := runIt(t, exec.Command(w.argv[0], w.argv[1:]...))
			if want.code != w.code {
				t.Fatalf("untraced run: %+v, want exit status %d", want, w.code)
			}
			recorded := map[string]string{}
			dir := t.TempDir()
			for _, be := range bes {
				t.Run("backend="+be, func(t *testing.T) {
					path, got := recordWith(t, dir, be, nil, w.argv...)
					if got.stdout != want.stdout || got.code != want.code || got.stderr != want.stderr+w.recordSays {
						t.Errorf("while recorded: %+v, want %+v and record saying %q", got, want, w.recordSays)
					}
					recorded[be] = path
					enforced := runIt(t, sysfence(append([]string{"run", "-p", path, "--"}, w.argv...)...))
					if enforced.stdout != want.stdout || enforced.code != want.code {
						t.Errorf("under the recorded profile: %+v, want %+v", enforced, want)
					}
					if stderr := withoutTimingReports(enforced.stderr, w.timing); stderr != want.stderr {
						t.Errorf("under the recorded profile, stderr %q (sysfence reports a denied call?), want %q", enforced.stderr, want.stderr)
					}
					// A syscall the recording never saw is denied with
					// EPERM (the probe prints -1 and sysfence says so).
					_, names := rules(t, path)
					probeName, probeNr := "", ""
					for _, c := range [][2]string{{"sysinfo", "99"}, {"getcpu", "309"}, {"times", "100"}} {
						if !slices.Contains(names, c[0]) {
							probeName, probeNr = c[0], c[1]
							break
						}
					}
					p := runIt(t, sysfence("run", "-p", path, "--", probe, probeNr))
					if p.stdout != "-1\n" || !strings.Contains(p.stderr, probeName+"(") || !strings.Contains(p.stderr, "was denied: EPERM") {
						t.Errorf("an unrecorded syscall (%s): %+v, want EPERM (-1) and a report", probeName, p)
					}
					if w.denied != nil {
						d := runIt(t, sysfence(append([]string{"run", "-q", "-p", path, "--"}, w.denied...)...))
						if d.stdout != w.deniedSays {
							t.Errorf("the workload's own unrecorded call: %+v, want %q", d, w.deniedSays)
						}
					}
				})
			}
			if len(recorded) == 2 {
				compareBackends(t, recorded["ptrace"], recorded["ebpf"], w.timing)
			}
		})
	}
}

// withoutTimingReports drops sysfence's reports of denied calls of the
// timing-dependent syscalls (the Go runtime's preemption signal, for one,
// fails harmlessly when a recording never saw it).
func withoutTimingReports(stderr string, timing []string) string {
	var keep []string
	for _, l := range strings.SplitAfter(stderr, "\n") {
		drop := false
		for _, n := range timing {
			if strings.HasPrefix(l, "sysfence: ") && strings.Contains(l, ": "+n+"(") && strings.Contains(l, " was denied: ") {
				drop = true
			}
		}
		// The closing count of repeated denials, when it names timing
		// calls only ("sched_yield 3 more (EPERM), getpid 1 more (EPERM)").
		if rest, ok := strings.CutPrefix(l, "sysfence: note: also denied, not reported again: "); ok {
			drop = true
			for _, part := range strings.Split(strings.TrimSuffix(rest, "\n"), ", ") {
				name, _, _ := strings.Cut(part, " ")
				drop = drop && slices.Contains(timing, name)
			}
		}
		if !drop {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

// compareBackends checks that two recordings of one workload have the
// same rules, up to syscalls whose presence depends on timing.
func compareBackends(t *testing.T, a, b string, timing []string) {
	t.Helper()
	ra, na := rules(t, a)
	rb, nb := rules(t, b)
	if ra == rb {
		return
	}
	var only []string
	for _, n := range na {
		if !slices.Contains(nb, n) {
			only = append(only, "ptrace:"+n)
		}
	}
	for _, n := range nb {
		if !slices.Contains(na, n) {
			only = append(only, "ebpf:"+n)
		}
	}
	sort.Strings(only)
	for _, o := range only {
		_, n, _ := strings.Cut(o, ":")
		if !slices.Contains(timing, n) {
			t.Errorf("the backends disagree: only %s", o)
		}
	}
	if len(only) == 0 {
		t.Errorf("the backends wrote different rules:\nptrace %s\nebpf   %s", ra, rb)
	} else {
		t.Logf("the backends differ on timing-dependent syscalls only: %v", only)
	}
}

// TestRecordBackendsSameBytes: for a deterministic program both backends
// write the same bytes, comments (counts) included, and so does a second
// recording.
func TestRecordBackendsSameBytes(t *testing.T) {
	requireRun(t)
	hello := recordProg(t, "testdata/record/hello.c")
	var first []byte
	for _, be := range backends(t) {
		for i := range 2 {
			path, r := recordWith(t, t.TempDir(), be, []string{"--args"}, hello)
			if r.code != 0 {
				t.Fatalf("%s: %+v", be, r)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = b
				continue
			}
			if !bytes.Equal(b, first) {
				t.Errorf("backend %s run %d wrote\n%s\nthe first wrote\n%s", be, i, b, first)
			}
		}
	}
	var p seccomp.Seccomp
	json.Unmarshal(first, &p)
	for _, s := range p.Syscalls {
		if s.Names[0] == "execve" && s.Comment != "1 call" {
			t.Errorf("execve: %q, want the command's own exec once", s.Comment)
		}
	}
}
