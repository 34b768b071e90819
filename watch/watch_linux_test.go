//go:build linux && amd64

package watch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/policy"
)

// buildSeccompC compiles a test program that links libseccomp.
func buildSeccompC(t testing.TB, src string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(src), ".c"))
	testenv.BuildC(t, src, out, false, "seccomp")
	return out
}

// watched is what a watch of one command saw.
type watched struct {
	reports []Report
	summary Summary
	output  string
	exit    int
}

// groups returns the reported groups, each once, in order.
func (w *watched) groups() []*Group {
	var out []*Group
	seen := map[*Group]bool{}
	for _, r := range w.reports {
		if !seen[r.Group] {
			seen[r.Group] = true
			out = append(out, r.Group)
		}
	}
	return out
}

// watchCommand watches the process tree of argv (selected by --pid: a
// shell that waits to be let go, then execs argv) until it has exited.
func watchCommand(t testing.TB, opts Options, argv ...string) *watched {
	t.Helper()
	cmd := exec.Command("/bin/sh", append([]string{"-c", `read go; exec "$@"`, "sh"}, argv...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if opts.Pid == 0 && opts.Cgroup == nil {
		opts.Pid = cmd.Process.Pid
	}
	w := newWatcher(t, opts)
	res := &watched{}
	var mu sync.Mutex
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- w.Run(ctx, 50*time.Millisecond, func(r Report) {
			mu.Lock()
			res.reports = append(res.reports, r)
			mu.Unlock()
		})
	}()
	io.WriteString(stdin, "go\n")
	stdin.Close()
	cmd.Wait()
	res.exit = cmd.ProcessState.ExitCode()
	if ws := cmd.ProcessState.Sys(); ws != nil {
		if st, ok := ws.(interface{ Signaled() bool }); ok && st.Signaled() {
			res.exit = -1
		}
	}
	res.output = out.String()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	res.summary = w.Summary()
	for _, l := range res.summary.Text() {
		t.Log(l)
	}
	return res
}

func TestEveryAction(t *testing.T) {
	prog := buildSeccompC(t, "testdata/actions.c")
	const n = 6
	for _, tc := range []struct {
		action  string
		output  string
		call    string
		verdict string
		kind    policy.Action
		count   uint64
		why     string
	}{
		{"errno", "errno: 6 failed (Permission denied), 0 succeeded\n", `mkdirat(AT_FDCWD, "/nonexistent/watch-errno", 0750)`, "was denied: EACCES", policy.ActErrno, n, "its filter returns ERRNO(13)"},
		{"nested", "nested: 6 failed (Operation not permitted), 0 succeeded\n", `mkdirat(AT_FDCWD, "/nonexistent/watch-errno", 0750)`, "was denied: EPERM", policy.ActErrno, n, "filter 2 of 2 returns ERRNO(1)"},
		{"kill", "kill: calling getppid\n", "getppid()", "killed the process (KILL_PROCESS)", policy.ActKillProcess, 1, "its filter returns KILL_PROCESS"},
		{"killthread", "killthread: the process goes on\n", "getppid()", "killed the thread (KILL_THREAD)", policy.ActKillThread, 1, "a filter returns KILL_THREAD (the thread's filters are released"},
		{"trap", "trap: 6 traps\n", "getppid()", "was trapped: SIGSYS (TRAP)", policy.ActTrap, n, "its filter returns TRAP"},
		{"log", "log: 6 ran, 0 failed\n", "getppid()", "was logged and ran (LOG)", policy.ActLog, n, "its filter returns LOG"},
		{"trace", "trace: 0 ran, 6 failed\n", "getppid()", "was denied: ENOSYS (TRACE with no tracer)", policy.ActTrace, n, "its filter returns TRACE(7)"},
		{"strict", "strict: entering strict mode\n", "getpid()", "killed the thread (strict mode)", policy.ActKillThread, 1, "strict mode allows only read, write, _exit and sigreturn"},
	} {
		t.Run("action="+tc.action, func(t *testing.T) {
			w := watchCommand(t, Options{}, prog, tc.action, fmt.Sprint(n))
			if w.output != tc.output {
				t.Errorf("the program wrote %q, want %q", w.output, tc.output)
			}
			gs := w.groups()
			if len(gs) != 1 {
				for _, g := range gs {
					t.Log(g.Line())
				}
				t.Fatalf("%d groups reported, want 1", len(gs))
			}
			g := gs[0]
			if g.Call != tc.call || g.Verdict() != tc.verdict || g.Action.Kind() != tc.kind || g.Count != tc.count || !g.Known {
				t.Errorf("reported %q ×%d (action %v, from filter %v), want %q %q ×%d", g.Line(), g.Count, g.Action, g.Known, tc.call, tc.verdict, tc.count)
			}
			if !strings.HasPrefix(g.Why, tc.why) {
				t.Errorf("why = %q, want %q", g.Why, tc.why)
			}
			if g.Comm != "actions" || !strings.HasSuffix(g.Cmdline[0], "/actions") || g.Cmdline[1] != tc.action {
				t.Errorf("process %s %q", g.Comm, g.Cmdline)
			}
			if w.summary.Calls != tc.count || len(w.summary.Losses()) != 0 {
				t.Errorf("summary: %d calls, losses %q", w.summary.Calls, w.summary.Losses())
			}
		})
	}
}

// TestUserNotif: a process's own supervisor thread lets half of the
// notified calls run and answers the others EPERM: the first half are
// seen at sys_enter (the filters may answer USER_NOTIF there), the others
// at sys_exit.
func TestUserNotif(t *testing.T) {
	prog := buildSeccompC(t, "testdata/actions.c")
	w := watchCommand(t, Options{}, prog, "notify", "8")
	if w.output != "notify: 4 ran, 4 failed\n" {
		t.Fatalf("the program wrote %q", w.output)
	}
	want := map[string]uint64{
		"getppid() went to the supervisor, which let it run (USER_NOTIF)": 4,
		"getppid() was answered by the supervisor: EPERM (USER_NOTIF)":    4,
	}
	got := map[string]uint64{}
	for _, g := range w.groups() {
		got[g.Call+" "+g.Verdict()] += g.Count
		if g.Action != policy.ActUserNotif || !g.Known {
			t.Errorf("%s: action %v (from filter %v)", g.Line(), g.Action, g.Known)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("reported %v, want %v", got, want)
	}
}

// stormCount parses storm's line: "N denied calls in ...".
func stormCount(t *testing.T, out string) uint64 {
	t.Helper()
	var n uint64
	if _, err := fmt.Sscanf(out, "%d denied calls", &n); err != nil {
		t.Fatalf("storm wrote %q", out)
	}
	return n
}

// TestStormNothingLost: processes deny calls at 100,000 a second; the
// watch reports exactly as many (a short storm: the 10 s one is
// BenchmarkStorm). With more distinct calls than the kernel's table
// holds, the rest come one by one through the ring buffer; whatever the
// ring buffer could not take is counted as undelivered: the total still
// matches.
func TestStormNothingLost(t *testing.T) {
	prog := buildSeccompC(t, "testdata/storm.c")
	for _, tc := range []struct {
		name                     string
		procs, rate, secs, disct int
	}{
		{"identical", 4, 100000, 1, 1},
		{"distinct-beyond-table", 2, 20000, 1, maxKeys + 4000},
	} {
		t.Run("storm="+tc.name, func(t *testing.T) {
			w := watchCommand(t, Options{}, prog, fmt.Sprint(tc.procs), fmt.Sprint(tc.rate), fmt.Sprint(tc.secs), fmt.Sprint(tc.disct))
			made := stormCount(t, w.output)
			t.Logf("storm: %s", strings.TrimSpace(w.output))
			if w.summary.Calls != made {
				t.Errorf("watch counted %d decisions, the storm made %d", w.summary.Calls, made)
			}
			var reported uint64
			for _, r := range w.reports {
				reported += r.Calls
			}
			if reported != made-w.summary.Undelivered {
				t.Errorf("reports add up to %d calls, want %d (%d undelivered)", reported, made-w.summary.Undelivered, w.summary.Undelivered)
			}
			if tc.disct == 1 && len(w.summary.Losses()) > 0 {
				t.Errorf("losses: %q", w.summary.Losses())
			}
		})
	}
}

// TestTraceWithTracer: strace --seccomp-bpf puts a filter answering
// TRACE for the calls it traces and stays attached as the tracer: each
// such call is a TRACE decision the tracer lets run, seen at sys_enter.
func TestTraceWithTracer(t *testing.T) {
	strace := testenv.LookPath(t, "strace", "strace")
	log := filepath.Join(t.TempDir(), "strace.log")
	w := watchCommand(t, Options{}, strace, "-f", "--seccomp-bpf", "-e", "trace=uname", "-o", log, "/bin/sh", "-c", "uname; uname -r >/dev/null")
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	traced := uint64(strings.Count(string(b), "uname("))
	var seen uint64
	// (strace's filter also traces execve, and a gettid of its own.)
	for _, g := range w.groups() {
		if g.Action.Kind() != policy.ActTrace || g.Outcome != Ran ||
			!strings.HasPrefix(g.Verdict(), "went to the tracer, which let it run (TRACE(") {
			t.Errorf("reported %s", g.Line())
		}
		if strings.HasPrefix(g.Call, "uname(") {
			seen += g.Count
		}
	}
	if traced == 0 || seen != traced {
		t.Errorf("strace saw %d uname calls, the watch %d:\n%s", traced, seen, b)
	}
}
