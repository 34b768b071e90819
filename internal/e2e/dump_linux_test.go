package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysfence/sysfence/internal/runctest"
	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/syscalls"
)

// The dump tests read the filters of real processes through the shipped
// binary: a command under `sysfence run` (quiet and reporting), a C
// program that loads its own filter with libseccomp, bwrap --seccomp, a
// runc container under Docker's default, and a stack of two filters.
// Each process carries a marker in its environment by which the test
// finds it, whatever launched it.

const markEnv = "SYSFENCE_DUMP_MARK"

var markSeq struct {
	sync.Mutex
	n int
}

func newMark() string {
	markSeq.Lock()
	defer markSeq.Unlock()
	markSeq.n++
	return fmt.Sprintf("%d-%d", os.Getpid(), markSeq.n)
}

// findMarked waits for the process named comm whose environment has the
// marker and which is under a filter (Seccomp: 2), and returns its pid.
func findMarked(t *testing.T, mark, comm string) int {
	t.Helper()
	needle := []byte(markEnv + "=" + mark + "\x00")
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			c, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			if strings.TrimSpace(string(c)) != comm {
				continue
			}
			env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
			if !bytes.Contains(env, needle) {
				continue
			}
			if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); bytes.Contains(st, []byte("Seccomp:\t2")) {
				return pid
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no process %s with marker %s under a filter", comm, mark)
	return 0
}

// background starts argv with the marker; the process and what it
// started are killed when the test ends.
func background(t *testing.T, mark string, argv []string, extra ...*os.File) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), markEnv+"="+mark)
	cmd.ExtraFiles = extra
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// killMarked kills the processes with the marker (what a launcher left).
func killMarked(mark string) {
	needle := []byte(markEnv + "=" + mark + "\x00")
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid)); bytes.Contains(env, needle) {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
		}
	}
}

func requireDump(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Skip(t, "sysfence dump needs root")
	}
}

// state is the State: line of a process.
func state(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "State:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "State:"))
		}
	}
	return ""
}

// checkLifted writes the lifted profile of pid and diffs the process
// against it: nothing may differ. It returns the profile.
func checkLifted(t *testing.T, pid int, diffFlags ...string) string {
	t.Helper()
	lifted := filepath.Join(t.TempDir(), "lifted.json")
	r := sysfence(t, "dump", strconv.Itoa(pid), "--format", "profile", "-o", lifted)
	if r.code != 0 {
		t.Fatalf("dump --format profile: %v", r)
	}
	data, err := os.ReadFile(lifted)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("{\n\t\"defaultAction\"")) {
		t.Fatalf("not a Docker profile:\n%s\n%s", data, r.stderr)
	}
	if r := sysfence(t, append([]string{"diff", strconv.Itoa(pid), lifted}, diffFlags...)...); r.code != 0 || r.stdout != "" {
		t.Fatalf("the process and its lifted profile differ: %v", r)
	}
	return string(data)
}

// What `diff` finds between Docker's default and the filter `sysfence
// run` installs for it: the terminal rules (TIOCSTI and TIOCLINUX refused
// on the low 32 bits of ioctl's request, on every ABI; see
// sandbox/added_linux.go). Findings come ABI by ABI: a profile's ABIs in
// its order, else libseccomp's (x86 first).
const (
	addsX8664 = "x86_64 ioctl((arg1 & 0xffffffff) == 0x5412 || (arg1 & 0xffffffff) == 0x541c): A ERRNO(EPERM), B ALLOW — e.g. ioctl(0, TIOCSTI, NULL)\n"
	addsX86   = "x86 ioctl(arg1 ∈ {0x5412, 0x541c}): A ERRNO(EPERM), B ALLOW — e.g. ioctl(0, TIOCSTI, NULL)\n"
	addsX32   = "x32 ioctl(arg1 ∈ {0x5412, 0x541c}): A ERRNO(EPERM), B ALLOW — e.g. ioctl(0, TIOCSTI, NULL)\n"
)

// TestDumpRun: a command under `sysfence run --quiet` is under exactly
// Docker's default plus run's terminal rules (its raw filter and the
// process differ from what `compile` writes in those calls only; the
// lifted profile decides alike); in reporting mode sysfence traces the
// command, and dump says so.
func TestDumpRun(t *testing.T) {
	requireDump(t)
	bin := sysfenceBin(t)
	mark := newMark()
	background(t, mark, []string{bin, "run", "--quiet", "--", "/bin/sleep", "60"})
	pid := findMarked(t, mark, "sleep")
	ps := strconv.Itoa(pid)

	r := sysfence(t, "dump", ps)
	head := fmt.Sprintf("# process %d (sleep), thread %d: 1 filter (", pid, pid)
	if r.code != 0 || !strings.HasPrefix(r.stdout, head) || !strings.Contains(r.stdout, "A = arch") {
		t.Fatalf("dump: %v", r)
	}
	dir := t.TempDir()
	raw, want := filepath.Join(dir, "dumped.bpf"), filepath.Join(dir, "compiled.bpf")
	if r := sysfence(t, "dump", ps, "--format", "raw", "-o", raw); r.code != 0 {
		t.Fatalf("dump --format raw: %v", r)
	}
	if r := sysfence(t, "compile", "docker-default", "-o", want); r.code != 0 {
		t.Fatal(r)
	}
	for _, b := range []string{raw, ps} {
		if r := sysfence(t, "diff", b, want); r.code != 1 || r.stdout != addsX86+addsX8664+addsX32 {
			t.Errorf("diff %s compiled docker-default: %v\nwant %q", b, r, addsX86+addsX8664+addsX32)
		}
	}
	checkLifted(t, pid)
	if st := state(pid); !strings.HasPrefix(st, "S") {
		t.Errorf("the command is %s after the dumps", st)
	}

	// Reporting mode: sysfence traces the command.
	mark2 := newMark()
	runner := background(t, mark2, []string{bin, "run", "--", "/bin/sleep", "60"})
	pid2 := findMarked(t, mark2, "sleep")
	r = sysfence(t, "dump", strconv.Itoa(pid2))
	wantErr := fmt.Sprintf("sysfence: seccomp: process %d (sleep) is traced by process %d (sysfence), and the kernel hands a thread's filters only to its tracer (Seccomp: 2, filter; Seccomp_filters: 1); a command that 'sysfence run' started as its child is traced by sysfence for its lifetime (with --quiet and a filter that allows execve, sysfence execs it in place, untraced)\n", pid2, runner.Process.Pid)
	if r.code != 2 || r.stdout != "" || r.stderr != wantErr {
		t.Errorf("dump of a traced command: %v\nwant stderr %q", r, wantErr)
	}
}

// TestDumpLibseccomp: a C program's own libseccomp filter reads back as
// the profile with the same rules (no difference on any input), and its
// lifted profile decides alike. With a thread started before the filter
// (loaded without TSYNC), dump reports that the threads differ.
func TestDumpLibseccomp(t *testing.T) {
	requireDump(t)
	prog := libseccompProg(t)
	mark := newMark()
	background(t, mark, []string{prog, "sleep"})
	pid := findMarked(t, mark, "selffilter")
	r := sysfence(t, "diff", strconv.Itoa(pid), "testdata/selffilter.json")
	if r.code != 0 || r.stdout != "" {
		t.Errorf("the C program's filter and selffilter.json differ: %v", r)
	}
	lifted := checkLifted(t, pid)
	for _, want := range []string{`"SCMP_ACT_KILL_PROCESS"`, `"SCMP_CMP_MASKED_EQ"`, `"errnoRet": 97`, `"SCMP_ARCH_X86_64"`} {
		if !strings.Contains(lifted, want) {
			t.Errorf("the lifted profile has no %s:\n%s", want, lifted)
		}
	}

	// A hand-written filter that never looks at the architecture: no
	// policy can say that; dump writes the exact table and says why.
	mark3 := newMark()
	background(t, mark3, []string{prog, "noarch", "sleep"})
	pid3 := findMarked(t, mark3, "selffilter")
	r = sysfence(t, "dump", strconv.Itoa(pid3), "--format", "profile")
	wantOut := "x86_64 (arch 0xc000003e, numbers without the x32 bit):\n  nr 0-0x3e (read, write, open, …): ALLOW\n  uname: ERRNO(EPERM)\n"
	wantNote := "sysfence: note: no policy (and no profile) can hold what this filter decides, so here is the decision itself, ABI by ABI (exact): the filter never looks at the architecture (seccomp_data.arch)"
	if r.code != 0 || !strings.HasPrefix(r.stdout, wantOut) || !strings.Contains(r.stdout, "other architectures (arch != 0xc000003e), by number:\n  nr 0-0x3e: ALLOW\n  nr 0x3f: ERRNO(EPERM)\n") ||
		!strings.HasPrefix(r.stderr, wantNote) {
		t.Errorf("dump --format profile of a filter without an arch check: %v", r)
	}

	mark2 := newMark()
	background(t, mark2, []string{prog, "thread", "sleep"})
	pid2 := findMarked(t, mark2, "selffilter")
	r = sysfence(t, "dump", strconv.Itoa(pid2))
	finding := regexp.MustCompile(fmt.Sprintf(`^sysfence: finding: process %d \(selffilter\): threads are under different filter stacks \(a filter loaded without TSYNC\?\): thread %d 1 filter \(\d+ instructions\); thread \d+ no filter \(Seccomp: 0\)\n$`, pid2, pid2))
	if r.code != 0 || !finding.MatchString(r.stderr) {
		t.Errorf("dump of a process whose threads differ: %v", r)
	}
}

// libseccompProg builds testdata/selffilter.c against libseccomp.
func libseccompProg(t *testing.T) string {
	t.Helper()
	return libseccompC(t, "testdata/selffilter.c", "selffilter")
}

// libseccompC builds a C program that links libseccomp.
func libseccompC(t testing.TB, src, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	testenv.BuildC(t, src, out, false, "seccomp")
	return out
}

// TestDumpBwrap: bwrap --seccomp FD loads the raw filter it is given;
// dump reads the same bytes back.
func TestDumpBwrap(t *testing.T) {
	requireDump(t)
	bwrap := testenv.LookPath(t, "bwrap", "bubblewrap")
	dir := t.TempDir()
	filter := filepath.Join(dir, "docker.bpf")
	if r := sysfence(t, "compile", "docker-default", "-o", filter); r.code != 0 {
		t.Fatal(r)
	}
	f, err := os.Open(filter)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mark := newMark()
	background(t, mark, []string{bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--seccomp", "3", "/bin/sleep", "60"}, f)
	t.Cleanup(func() { killMarked(mark) })
	pid := findMarked(t, mark, "sleep")
	dumped := filepath.Join(dir, "dumped.bpf")
	if r := sysfence(t, "dump", strconv.Itoa(pid), "--format", "raw", "-o", dumped); r.code != 0 {
		t.Fatalf("dump: %v", r)
	}
	a, _ := os.ReadFile(filter)
	b, _ := os.ReadFile(dumped)
	if !bytes.Equal(a, b) {
		t.Errorf("bwrap's filter (%d bytes) is not the file it loaded (%d bytes)", len(b), len(a))
	}
	if r := sysfence(t, "diff", strconv.Itoa(pid), "docker-default"); r.code != 0 || r.stdout != "" {
		t.Errorf("diff: %v", r)
	}
	checkLifted(t, pid)
}

// TestDumpRunc: a container's process under runc with Docker's default
// (built by Debian's libseccomp, with runc's ENOSYS stub in front)
// decides every input as sysfence's compile of the same profile, except
// for syscalls that libseccomp does not know (scmp_sys_resolver says so):
// runc leaves them to the default action or its ENOSYS answer. Its
// filter lifts to an exact policy; a Docker profile cannot hold it where
// libseccomp knows a syscall on one ABI and not on another.
func TestDumpRunc(t *testing.T) {
	requireDump(t)
	resolver := testenv.LookPath(t, "scmp_sys_resolver", "seccomp")
	b := runctest.NewT(t, runctest.Config{})
	mark := newMark()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Run(ctx, runctest.Run{Args: []string{"sleep", "60"}, Env: []string{markEnv + "=" + mark},
			Seccomp: runctest.ResolvedOCI(t, writeProfile(t, dockerDefault(t), "default.json")), Timeout: 90 * time.Second})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	pid := findMarked(t, mark, "sleep")
	ps := strconv.Itoa(pid)
	r := sysfence(t, "dump", ps)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("# process %d (sleep)", pid)) {
		t.Fatalf("dump: %v", r)
	}
	t.Logf("runc's stack: %s", strings.SplitN(r.stdout, "\n", 2)[0])

	r = sysfence(t, "diff", ps, "docker-default", "--json")
	var out struct {
		Findings []struct {
			ABI     string `json:"abi"`
			Numbers string `json:"numbers"`
			Lo      uint32 `json:"lo"`
			Hi      uint32 `json:"hi"`
			A       string `json:"a"`
			B       string `json:"b"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || (r.code != 0 && r.code != 1) {
		t.Fatalf("diff: %v (%v)", r, err)
	}
	for _, f := range out.Findings {
		abi, err := syscalls.ArchByName(f.ABI)
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		for nr := f.Lo; nr <= f.Hi; nr++ {
			name, ok := abi.SyscallName(nr)
			if !ok {
				t.Errorf("%s nr %d differs and has no name: %+v", f.ABI, nr, f)
				continue
			}
			res := run(t, "", resolver, "-a", f.ABI, name)
			if n, err := strconv.Atoi(strings.TrimSpace(res.stdout)); err != nil || n >= 0 {
				t.Errorf("%s %s differs (runc %s, sysfence %s), yet libseccomp knows it as %s", f.ABI, name, f.A, f.B, res.stdout)
			}
		}
		if f.A != "ERRNO(EPERM)" && f.A != "ERRNO(ENOSYS)" {
			t.Errorf("runc answers %s for %s %s", f.A, f.ABI, f.Numbers)
		}
	}
	t.Logf("runc's filter and sysfence's docker-default differ in %d places, each a syscall this libseccomp does not know:\n%s",
		len(out.Findings), sysfence(t, "diff", ps, "docker-default").stdout)

	r = sysfence(t, "dump", ps, "--format", "profile")
	switch {
	case r.code != 0:
		t.Errorf("dump --format profile: %v", r)
	case strings.HasPrefix(r.stdout, "{"):
		checkLifted(t, pid)
	case !strings.HasPrefix(r.stdout, "default ERRNO(EPERM); other architectures KILL; ") ||
		!strings.HasPrefix(r.stderr, "sysfence: note: a Docker profile cannot hold what this filter decides, so here is sysfence's policy listing (exact): "):
		t.Errorf("dump --format profile: %v", r)
	}

	// dump --json names the container's command and cgroup.
	r = sysfence(t, "dump", ps, "--json")
	var d struct {
		Command string `json:"command"`
		Cgroup  string `json:"cgroup"`
		Stacks  []struct {
			Filters []struct{ Instructions int } `json:"filters"`
			Policy  string                       `json:"policy"`
		} `json:"stacks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil || d.Command != "sleep 60" || len(d.Stacks) != 1 || len(d.Stacks[0].Filters) == 0 || !strings.HasPrefix(d.Stacks[0].Policy, "default ERRNO(EPERM)") {
		t.Errorf("dump --json: %v (%v)", r, err)
	}
	t.Logf("container cgroup %q", d.Cgroup)
}

// TestDumpStacked: a command under two filters (sysfence run inside
// sysfence run): dump lists both in installation order; the stack
// decides as the stricter inner profile, and differs from Docker's
// default exactly in the syscall the inner profile removed.
func TestDumpStacked(t *testing.T) {
	requireDump(t)
	bin := sysfenceBin(t)
	inner := writeProfile(t, without(dockerDefault(t), "uname"), "no-uname.json")
	mark := newMark()
	background(t, mark, []string{bin, "run", "--quiet", "--", bin, "run", "--quiet", "-p", inner, "--", "/bin/sleep", "60"})
	pid := findMarked(t, mark, "sleep")
	ps := strconv.Itoa(pid)
	for i := 0; i < 100; i++ {
		if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); bytes.Contains(st, []byte("Seccomp_filters:\t2")) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := sysfence(t, "dump", ps)
	if r.code != 0 || !strings.HasPrefix(r.stdout, fmt.Sprintf("# process %d (sleep), thread %d: 2 filters (", pid, pid)) ||
		!strings.Contains(r.stdout, "# filter 1 of 2 (installed first, runs last)") || !strings.Contains(r.stdout, "# filter 2 of 2 (installed last, runs first)") {
		t.Fatalf("dump: %v", r)
	}
	if r := sysfence(t, "diff", ps, inner); r.code != 1 || r.stdout != addsX8664+addsX86+addsX32 {
		t.Errorf("the stack and the inner profile differ beyond run's terminal rules: %v", r)
	}
	r = sysfence(t, "diff", ps, "docker-default")
	want := addsX8664 + "x86_64 uname: A ERRNO(EPERM), B ALLOW — e.g. uname(NULL)\n" +
		addsX86 + "x86 uname: A ERRNO(EPERM), B ALLOW — e.g. uname(NULL)\n" +
		"x32 uname: A ERRNO(EPERM), B ALLOW — e.g. uname(NULL)\n" + addsX32
	if r.code != 1 || r.stdout != want {
		t.Errorf("diff against docker-default: %v\nwant %q", r, want)
	}
	if r := sysfence(t, "diff", "--subset", ps, "docker-default"); r.code != 0 || r.stdout != "" {
		t.Errorf("the stack is not a subset of docker-default: %v", r)
	}
	checkLifted(t, pid)
	if r := sysfence(t, "dump", ps, "--format", "raw", "-o", filepath.Join(t.TempDir(), "x.bpf")); r.code != 2 ||
		r.stderr != "sysfence: the stack has 2 filters and a raw file holds one: pick it with --filter 1..2 (1 is the first installed)\n" {
		t.Errorf("raw of a stack: %v", r)
	}
}

// TestDumpAll inventories the machine inside a PID namespace of its own
// (so that it sees only its own processes): two commands under Docker's
// default share a stack, the C program has its own.
func TestDumpAll(t *testing.T) {
	requireDump(t)
	bin := sysfenceBin(t)
	prog := libseccompProg(t)
	unshare := testenv.LookPath(t, "unshare", "util-linux")
	script := fmt.Sprintf(`%[1]s run --quiet -- /bin/sleep 30 & %[1]s run --quiet -- /bin/sleep 30 & %[2]s sleep >/dev/null &
sleep 0.5
%[1]s dump --all --json
code=$?
kill %%1 %%2 %%3
exit $code`, bin, prog)
	r := run(t, "", unshare, "--pid", "--fork", "--mount-proc", "sh", "-c", script)
	if r.code != 0 {
		t.Fatalf("dump --all: %v", r)
	}
	var inv struct {
		Groups []struct {
			Summary   string `json:"summary"`
			Processes []struct {
				Name    string `json:"name"`
				Command string `json:"command"`
			} `json:"processes"`
		} `json:"groups"`
		Unread []any `json:"unread"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &inv); err != nil {
		t.Fatal(err)
	}
	if len(inv.Groups) != 2 || len(inv.Groups[0].Processes) != 2 || inv.Groups[0].Processes[0].Command != "/bin/sleep 30" ||
		len(inv.Groups[1].Processes) != 1 || inv.Groups[1].Processes[0].Name != "selffilter" || len(inv.Unread) != 0 {
		t.Errorf("inventory:\n%s", r.stdout)
	}
	// The table.
	script = strings.Replace(script, "dump --all --json", "dump --all", 1)
	r = run(t, "", unshare, "--pid", "--fork", "--mount-proc", "sh", "-c", script)
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	var heads []string
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "stack ") {
			heads = append(heads, sc.Text())
		}
	}
	if r.code != 0 || len(heads) != 2 || !strings.HasSuffix(heads[0], "1 filter (338 instructions), 2 processes") {
		t.Errorf("dump --all: %v", r)
	}
}

// TestDiffInputs: a profile against its own compiled filter, exit codes,
// bad input.
func TestDiffInputs(t *testing.T) {
	dir := t.TempDir()
	prof := writeProfile(t, without(dockerDefault(t), "mkdir"), "p.json")
	filter := filepath.Join(dir, "p.bpf")
	if r := sysfence(t, "compile", prof, "-o", filter); r.code != 0 {
		t.Fatal(r)
	}
	r := sysfence(t, "diff", "docker-default", prof, "--json")
	var out struct {
		Findings []struct {
			ABI     string `json:"abi"`
			Numbers string `json:"numbers"`
			A       string `json:"a"`
			BRet    uint32 `json:"b_ret"`
			Witness struct {
				Call string `json:"call"`
				Nr   uint32 `json:"nr"`
			} `json:"witness"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != 1 || len(out.Findings) != 3 ||
		out.Findings[0].ABI != "x86_64" || out.Findings[0].Numbers != "mkdir" || out.Findings[0].A != "ALLOW" ||
		out.Findings[0].BRet != 0x50001 || out.Findings[0].Witness.Call != "mkdir(NULL, 0)" || out.Findings[0].Witness.Nr != 83 {
		t.Errorf("diff --json: %v (%v)", r, err)
	}
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"diff", prof, filter}, 0, "", ""},
		{[]string{"diff", filter, prof, "--json"}, 0, "{\n  \"subset\": false,\n  \"findings\": []\n}\n", ""},
		{[]string{"diff", "docker-default", prof}, 1, "x86_64 mkdir: A ALLOW, B ERRNO(EPERM) — e.g. mkdir(NULL, 0)\nx86 mkdir: A ALLOW, B ERRNO(EPERM) — e.g. mkdir(NULL, 0)\nx32 mkdir: A ALLOW, B ERRNO(EPERM) — e.g. mkdir(NULL, 0)\n", ""},
		{[]string{"diff", "--subset", prof, "docker-default"}, 0, "", ""},
		{[]string{"diff", "--subset", "docker-default", filter}, 1, "x86_64 mkdir: A ALLOW, B ERRNO(EPERM) — e.g. mkdir(NULL, 0)\nx86 mkdir: A ALLOW, B ERRNO(EPERM) — e.g. mkdir(NULL, 0)\nx32 mkdir: A ALLOW, B ERRNO(EPERM) — e.g. mkdir(NULL, 0)\n", ""},
		{[]string{"diff", "docker-default", filepath.Join(dir, "missing.json")}, 2, "", "sysfence: " + filepath.Join(dir, "missing.json") + ": cannot read it: no such file or directory\n"},
		{[]string{"diff", "docker-defualt", prof}, 2, "", "sysfence: unknown profile \"docker-defualt\": no such file, and not a built-in profile (did you mean docker-default?); built-in profiles: docker-default\n"},
		{[]string{"diff", "-", "-"}, 2, "", "sysfence: only one of A and B can be standard input\n"},
		{[]string{"dump", "notapid"}, 2, "", "sysfence: \"notapid\" is not a process id\n"},
		{[]string{"dump", "--all", "1"}, 2, "", "sysfence: sysfence dump needs 0 argument(s), got 1 (see 'sysfence dump --help')\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := sysfence(t, tc.args...)
			if r.code != tc.code || r.stdout != tc.stdout || r.messages() != tc.stderr {
				t.Errorf("%v\nwant exit %d, stdout %q, stderr %q", r, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}
