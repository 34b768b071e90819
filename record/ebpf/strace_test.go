//go:build linux && amd64

package ebpf

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/record"
)

// launcherCalls are the calls the test launcher (a Go program) may make
// between strace attaching and its execve: the end of its read(2) on the
// go pipe, execve's preparation in Go's syscall.Exec (prlimit64 restores
// RLIMIT_NOFILE), and the Go runtime on its other threads. strace sees
// them because it attaches to the launcher; the recorder rightly does
// not. restart_syscall is how strace shows a call interrupted by its
// attach.
var launcherCalls = map[string]bool{
	"read": true, "prlimit64": true, "restart_syscall": true, "futex": true, "nanosleep": true,
	"epoll_pwait": true, "sched_yield": true, "rt_sigreturn": true, "getpid": true, "tgkill": true,
	"rt_sigprocmask": true, "sigaltstack": true, "madvise": true, "mmap": true, "munmap": true,
	"clone": true, "gettid": true, "exit": true, "waitid": true,
}

// parseStraceC reads `strace -c` output: one table per personality,
// "System call usage summary for 32 bit mode:" (or x32) before the
// others.
func parseStraceC(t testing.TB, path string) map[string]map[string]uint64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string]uint64{}
	abi := "x86_64"
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.Contains(line, "for 32 bit mode"):
			abi = "x86"
			continue
		case strings.Contains(line, "for x32 mode"):
			abi = "x32"
			continue
		case strings.Contains(line, "for 64 bit mode"):
			abi = "x86_64"
			continue
		case line == "" || strings.HasPrefix(line, "%") || strings.HasPrefix(line, "-"):
			continue
		}
		fields := strings.Fields(line)
		name := fields[len(fields)-1]
		if name == "total" || len(fields) < 5 {
			continue
		}
		// % time, seconds, usecs/call, calls, [errors,] name
		var calls uint64
		for _, c := range fields[3] {
			calls = calls*10 + uint64(c-'0')
		}
		if out[abi] == nil {
			out[abi] = map[string]uint64{}
		}
		out[abi][name] += calls
	}
	return out
}

// compareWithStrace records argv with the recorder while strace -f -c
// traces the same run (attached to the launcher before it execs), and
// checks that both saw the same syscall names per ABI, up to the
// launcher's own calls.
func compareWithStrace(t *testing.T, args bool, argv ...string) *record.Observations {
	strace := testenv.LookPath(t, "strace", "strace")
	r := newRecorder(t, Options{Args: args})
	summary := filepath.Join(t.TempDir(), "strace.txt")
	var st *exec.Cmd
	o, _, _ := recordRunWith(t, r, func(pid int) func() {
		waitBlockedInRead(t, pid)
		st = exec.Command(strace, "-f", "-qq", "-c", "-o", summary, "-p", itoa(pid))
		st.Stderr = os.Stderr
		if err := st.Start(); err != nil {
			t.Fatal(err)
		}
		waitTraced(t, pid)
		return func() {
			if err := st.Wait(); err != nil {
				t.Errorf("strace: %v", err)
			}
		}
	}, argv...)
	seen := parseStraceC(t, summary)
	for _, abi := range []string{"x86_64", "x86", "x32"} {
		ours, theirs := names(o, abi), seen[abi]
		var onlyOurs, onlyStrace []string
		for n := range ours {
			if _, ok := theirs[n]; !ok {
				onlyOurs = append(onlyOurs, n)
			}
		}
		for n := range theirs {
			if _, ok := ours[n]; !ok {
				onlyStrace = append(onlyStrace, n)
			}
		}
		sort.Strings(onlyOurs)
		sort.Strings(onlyStrace)
		for _, n := range onlyOurs {
			// strace -c counts a call when it returns, so exit and
			// exit_group never appear, and it leaves out numbers it has
			// no name for (the recorder keeps them as #N).
			if n != "exit" && n != "exit_group" && !strings.HasPrefix(n, "#") {
				t.Errorf("abi=%s: recorded %s, strace did not see it", abi, n)
			}
		}
		if len(onlyOurs) > 0 {
			t.Logf("abi=%s: recorded only (strace -c does not count calls that never return, nor unnamed numbers): %v", abi, onlyOurs)
		}
		for _, n := range onlyStrace {
			if abi != "x86_64" || !launcherCalls[n] {
				t.Errorf("abi=%s: strace saw %s, the recorder did not", abi, n)
			}
		}
		if len(onlyStrace) > 0 {
			t.Logf("abi=%s: seen by strace only (the launcher's calls before execve): %v", abi, onlyStrace)
		}
		t.Logf("abi=%s: %d syscalls recorded, %d seen by strace", abi, len(ours), len(theirs))
	}
	return o
}

func itoa(n int) string { return strconv.Itoa(n) }

// waitBlockedInRead waits until a thread of the launcher sits in read(3,
// ...) on the go pipe, so that strace sees nothing of its start-up.
func waitBlockedInRead(t testing.TB, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tasks, _ := filepath.Glob("/proc/" + itoa(pid) + "/task/*/syscall")
		for _, f := range tasks {
			if b, _ := os.ReadFile(f); strings.HasPrefix(string(b), "0 0x3 ") {
				return
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("the launcher never blocked on its go pipe")
}

// waitTraced waits until every thread of pid has a tracer.
func waitTraced(t testing.TB, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		tasks, _ := filepath.Glob("/proc/" + itoa(pid) + "/task/*/status")
		all := len(tasks) > 0
		for _, s := range tasks {
			b, _ := os.ReadFile(s)
			if !strings.Contains(string(b), "TracerPid:\t") || strings.Contains(string(b), "TracerPid:\t0\n") {
				all = false
			}
		}
		if all {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("strace did not attach")
}

func TestMatchesStrace(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("amd64 only")
	}
	t.Run("workload=c", func(t *testing.T) {
		bin := buildC(t, "workload", "-pthread")
		if !testenv.Int80Works(t) {
			compareWithStrace(t, true, bin) // no i386 call: strace sees none either
			return
		}
		o := compareWithStrace(t, true, bin, "int80")
		if names(o, "x86")["getuid32"] != 1 {
			t.Error("int 0x80 getuid32 missing")
		}
	})
	t.Run("workload=go-threads", func(t *testing.T) {
		gobin := testenv.LookPath(t, "go", "golang")
		bin := filepath.Join(t.TempDir(), "gothreads")
		cmd := exec.Command(gobin, "build", "-o", bin, "testdata/gothreads.go")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		o := compareWithStrace(t, false, bin)
		if o.Threads < 4 {
			t.Errorf("only %d threads followed", o.Threads)
		}
	})
	t.Run("workload=tar-pipeline", func(t *testing.T) {
		testenv.LookPath(t, "tar", "tar")
		o := compareWithStrace(t, false, "sh", "-c", "tar -C /usr -cf - share/doc | wc -c")
		if o.Processes < 3 {
			t.Errorf("processes = %d, want sh, tar and wc at least", o.Processes)
		}
	})
}
