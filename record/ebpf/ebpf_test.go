//go:build linux && amd64

package ebpf

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/syscalls"
)

// shimEnv makes the test binary act as a minimal launcher: wait for one
// byte on fd 3, then exec its arguments: the launcher that Follow is
// made for (sysfence record uses sandbox.Trace and Track instead, see
// track_test.go).
const shimEnv = "SYSFENCE_EBPF_TEST_SHIM"

func TestMain(m *testing.M) {
	if os.Getenv(shimEnv) == "1" {
		shim()
	}
	os.Exit(m.Run())
}

func shim() {
	path, err := exec.LookPath(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "shim:", err)
		os.Exit(127)
	}
	os.Unsetenv(shimEnv)
	env := os.Environ()
	// Raw read and exec: as few calls as possible between the go signal
	// and execve (strace sees them, the recorder must not).
	b := make([]byte, 1)
	if _, err := syscall.Read(3, b); err != nil {
		os.Exit(126)
	}
	err = syscall.Exec(path, os.Args[1:], env)
	fmt.Fprintln(os.Stderr, "shim:", err)
	os.Exit(126)
}

// newRecorder returns a recorder or skips (fails in CI) when eBPF
// recording is not possible here.
func newRecorder(t testing.TB, opts Options) *Recorder {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("eBPF recorder is linux/amd64 only")
	}
	testenv.RequireRoot(t)
	r, err := New(opts)
	if errors.Is(err, ErrNotSupported) {
		testenv.Skip(t, err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// record runs argv through the shim under r and returns the observations
// and the command's output.
func recordRun(t testing.TB, r *Recorder, argv ...string) (*record.Observations, string) {
	t.Helper()
	o, out, _ := recordRunWith(t, r, nil, argv...)
	return o, out
}

// recordRunWith is recordRun; beforeGo runs with the launcher's pid after
// Follow and before the launcher may exec.
func recordRunWith(t testing.TB, r *Recorder, beforeGo func(pid int) func(), argv ...string) (*record.Observations, string, error) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], argv...)
	cmd.Env = append(os.Environ(), shimEnv+"=1")
	cmd.ExtraFiles = []*os.File{pr}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	if err := r.Follow(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	after := func() {}
	if beforeGo != nil {
		after = beforeGo(cmd.Process.Pid)
	}
	pw.Write([]byte{1})
	pw.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %v\n%s", argv, err, out.String())
	}
	after()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.Wait(ctx); err != nil {
		t.Fatalf("waiting for the tree: %v", err)
	}
	o, err := r.Stop()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range o.Warnings {
		t.Errorf("warning: %s", w)
	}
	return o, out.String(), nil
}

// buildC compiles testdata/NAME.c.
func buildC(t testing.TB, name string, flags ...string) string {
	t.Helper()
	cc := testenv.LookPath(t, "cc", "gcc")
	bin := filepath.Join(t.TempDir(), name)
	args := append([]string{"-O1", "-o", bin, filepath.Join("testdata", name+".c")}, flags...)
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	return bin
}

func names(o *record.Observations, arch string) map[string]uint64 {
	out := map[string]uint64{}
	for _, e := range o.Entries() {
		if e.Arch.Name != arch {
			continue
		}
		n := e.Name
		if n == "" {
			n = fmt.Sprintf("#%d", e.Nr)
		}
		out[n] += e.Calls
	}
	return out
}

func TestRecordsKnownWorkload(t *testing.T) {
	bin := buildC(t, "workload", "-pthread")
	r := newRecorder(t, Options{Args: true})
	argv, wantX86 := []string{bin}, map[string]uint64{}
	if testenv.Int80Works(t) {
		argv, wantX86 = append(argv, "int80"), map[string]uint64{"getuid32": 1}
	}
	o, _ := recordRun(t, r, argv...)
	logObservations(t, o)

	x64 := names(o, "x86_64")
	for _, n := range []string{"execve", "sysinfo", "getpriority", "getsid", "socket", "personality", "prctl", "ioctl", "mmap", "exit_group", "wait4", "clone3"} {
		if x64[n] == 0 {
			t.Errorf("x86_64/%s not recorded", n)
		}
	}
	if x64["#999"] != 1 {
		t.Errorf("x86_64 syscall 999 recorded %d times, want 1 (by number)", x64["#999"])
	}
	if x64["execve"] != 1 {
		t.Errorf("execve recorded %d times, want 1 (the command's own exec)", x64["execve"])
	}
	if x86 := names(o, "x86"); !maps.Equal(x86, wantX86) {
		t.Errorf("x86 = %v, want %v (int 0x80)", x86, wantX86)
	}
	if x64["getuid32"] != 0 || x64["getuid"] != 0 {
		t.Error("the int 0x80 call leaked into x86_64")
	}
	if o.Processes != 3 || o.Threads != 1 {
		t.Errorf("processes %d threads %d, want 3 and 1", o.Processes, o.Threads)
	}

	// Arguments.
	x86_64, _ := syscalls.ArchByName("x86_64")
	sock, _ := x86_64.Number("socket")
	s := o.Lookup(x86_64, sock)
	if s == nil || s.Args == nil || !s.Args.Complete {
		t.Fatalf("socket args: %+v", s)
	}
	want := map[record.ArgValues]bool{{2, 2 | syscall.SOCK_CLOEXEC}: true, {1, 1}: true}
	for v := range s.Args.Values {
		if !want[v] {
			t.Errorf("unexpected socket args %#x", v)
		}
		delete(want, v)
	}
	if len(want) != 0 {
		t.Errorf("socket args missing: %v", want)
	}
	pers, _ := x86_64.Number("personality")
	if s := o.Lookup(x86_64, pers); s == nil || s.Args.Values[record.ArgValues{0xffffffff}] != 1 {
		t.Errorf("personality args: %+v", s.Args)
	}
	clone3, _ := x86_64.Number("clone3")
	if s := o.Lookup(x86_64, clone3); s == nil || s.Args == nil || len(s.Args.Values) == 0 {
		t.Errorf("clone3 flags not read from user memory: %+v", s)
	} else {
		for v := range s.Args.Values {
			if v[0]&syscall.CLONE_THREAD == 0 {
				t.Errorf("clone3 flags %#x lack CLONE_THREAD (pthread_create)", v[0])
			}
		}
	}
}

func logObservations(t testing.TB, o *record.Observations) {
	t.Helper()
	var b strings.Builder
	for _, e := range o.Entries() {
		fmt.Fprintf(&b, "%s=%d ", e, e.Calls)
	}
	t.Logf("processes %d threads %d: %s", o.Processes, o.Threads, b.String())
}

func TestLauncherCallsAreNotRecorded(t *testing.T) {
	bin := buildC(t, "tiny", "-nostdlib", "-static", "-O1")
	r := newRecorder(t, Options{})
	o, _ := recordRun(t, r, bin)
	logObservations(t, o)
	got := names(o, "x86_64")
	if len(o.ABIs) != 1 || len(got) != 2 || got["execve"] != 1 || got["exit"] != 1 {
		t.Errorf("recorded %v, want exactly execve and exit once", got)
	}
	if o.Processes != 1 || o.Threads != 0 {
		t.Errorf("processes %d threads %d, want 1 and 0", o.Processes, o.Threads)
	}
}

func TestX32CallRecordedUnderX32(t *testing.T) {
	bin := buildC(t, "x32")
	r := newRecorder(t, Options{})
	o, _ := recordRun(t, r, bin)
	if got := names(o, "x32"); len(got) != 1 || got["getpid"] != 1 {
		t.Errorf("x32 = %v, want getpid once", got)
	}
	if names(o, "x86_64")["getpid"] != 0 {
		t.Error("the x32 call leaked into x86_64")
	}
}

func TestNotRootIsNotSupported(t *testing.T) {
	if os.Getenv("SYSFENCE_EBPF_TEST_NEW") == "1" {
		_, err := New(Options{})
		fmt.Printf("is=%v err=%v\n", errors.Is(err, ErrNotSupported), err)
		return
	}
	testenv.RequireRoot(t)
	// The test binary's own directory is private to root: copy it.
	dir, err := os.MkdirTemp("", "sysfence-ebpf")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "ebpf.test")
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestNotRootIsNotSupported$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SYSFENCE_EBPF_TEST_NEW=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "is=true") || !strings.Contains(string(out), "CAP_BPF and CAP_PERFMON") {
		t.Errorf("unprivileged New: %s", out)
	}
}

func TestRecorderCleansUp(t *testing.T) {
	r := newRecorder(t, Options{Args: true})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// No BPF program, map or link fd stays open.
	entries, _ := os.ReadDir("/proc/self/fd")
	for _, e := range entries {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); strings.HasPrefix(l, "anon_inode:bpf") {
			t.Errorf("fd %s still open: %s", e.Name(), l)
		}
	}
}

func TestLayoutCache(t *testing.T) {
	newRecorder(t, Options{}).Close()
	id, err := kernelBuildID()
	if err != nil {
		testenv.Skip(t, "kernel build ID: "+err.Error())
	}
	if len(id) < 16 {
		t.Fatalf("build id %q", id)
	}
	fresh, err := loadKernelLayout()
	if err != nil {
		t.Fatal(err)
	}
	cached, ok := loadCachedLayout()
	if !ok || *cached != *fresh {
		t.Fatalf("cache after New: %+v %v, want %+v", cached, ok, fresh)
	}
	// A damaged cache (status offset pointing into the middle of a field)
	// is rejected by the verifier, dropped and rebuilt.
	bad := *fresh
	bad.Status++
	storeCachedLayout(&bad)
	if c, _ := loadCachedLayout(); c.Status != bad.Status {
		t.Fatal("could not plant a damaged cache")
	}
	r := newRecorder(t, Options{})
	o, _ := recordRun(t, r, "/bin/true")
	if names(o, "x86_64")["execve"] != 1 {
		t.Errorf("recording after cache repair: %v", names(o, "x86_64"))
	}
	if c, ok := loadCachedLayout(); !ok || *c != *fresh {
		t.Errorf("cache not repaired: %+v", c)
	}
}

func TestExecFromThread(t *testing.T) {
	tiny := buildC(t, "tiny", "-nostdlib", "-static", "-O1")
	bin := buildC(t, "threadexec", "-pthread")
	r := newRecorder(t, Options{})
	o, _ := recordRun(t, r, bin, tiny)
	logObservations(t, o)
	got := names(o, "x86_64")
	if got["execve"] != 2 || got["exit"] != 1 {
		t.Errorf("execve %d exit %d, want 2 and 1: the program exec'd from a thread was not followed", got["execve"], got["exit"])
	}
	if live, _ := r.Live(); live != 0 {
		t.Errorf("live = %d after the tree exited", live)
	}
}

func TestStopWhileRunning(t *testing.T) {
	r := newRecorder(t, Options{})
	cmd, pw := launch(t, "sleep", "10")
	if err := r.Follow(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	pw.Write([]byte{1})
	pw.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n, _ := r.Live(); n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("sleep never started")
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait with a live tree: %v", err)
	}
	o, err := r.Stop() // as on Ctrl-C: partial, drained
	cmd.Process.Kill()
	cmd.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got := names(o, "x86_64"); got["execve"] != 1 {
		t.Errorf("partial recording %v lacks execve", got)
	}
	if _, err := r.Stop(); err == nil {
		t.Error("second Stop succeeded")
	}
}
