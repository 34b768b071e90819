package seccomp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/policy"
)

func init() {
	children["stacked"] = childStacked
	children["idle"] = childIdle
	children["signals"] = childSignals
}

// childSignals counts the SIGUSR1s it gets and answers each line on
// stdin with the count.
func childSignals() {
	got := make(chan os.Signal, 16)
	signal.Notify(got, syscall.SIGUSR1)
	fmt.Println("ready", 0)
	n := 0
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		time.Sleep(50 * time.Millisecond)
		for len(got) > 0 {
			<-got
			n++
		}
		fmt.Println("count", n)
	}
}

// The filters of childStacked: every thread gets first and second (TSYNC),
// one locked thread a third of its own.
var (
	dumpFirst  = sortedFilter(map[uint32]uint32{unix.SYS_UNAME: uint32(policy.Errno(1))})
	dumpSecond = sortedFilter(map[uint32]uint32{unix.SYS_GETPPID: uint32(policy.Errno(2)), unix.SYS_SETHOSTNAME: uint32(policy.ActLog)})
	dumpThird  = sortedFilter(map[uint32]uint32{unix.SYS_SYNC: uint32(policy.ActTrap)})
)

// sortedFilter is filterFor with its rules in number order, so that the
// test and its child build the same program.
func sortedFilter(rules map[uint32]uint32) bpf.Program {
	p := filterFor(nil)
	p = p[:len(p)-1]
	nrs := slices.Sorted(maps.Keys(rules))
	for _, nr := range nrs {
		p = append(p, bpf.Jump(bpf.JmpJEQ, nr, 0, 1), bpf.Ret(rules[nr]))
	}
	return append(p, bpf.Ret(uint32(policy.ActAllow)))
}

// childStacked stacks filters, says "ready TID" (the thread with three
// filters) and answers each line on stdin with "pong" until EOF.
func childStacked() {
	if _, err := Load(dumpFirst, 0); err != nil {
		fmt.Println("load:", err)
		return
	}
	if _, err := LoadFilter(dumpSecond, FlagTSync|FlagLog); err != nil {
		fmt.Println("load:", err)
		return
	}
	tid := make(chan int)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with its filter
		if _, err := LoadFilter(dumpThird, 0); err != nil {
			fmt.Println("load:", err)
			os.Exit(1)
		}
		tid <- unix.Gettid()
		select {}
	}()
	fmt.Println("ready", <-tid)
	serve()
}

// childIdle has no filter.
func childIdle() {
	fmt.Println("ready", 0)
	serve()
}

func serve() {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		fmt.Println("pong")
	}
}

// child runs a child function that stays until its stdin closes.
type child struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	info string // what it said when ready
}

func startChild(t *testing.T, name string, wrap ...string) *child {
	t.Helper()
	args := append(wrap, os.Args[0], "-test.run=^$")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), childEnv+"="+name)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	t.Cleanup(func() {
		in.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	if !c.out.Scan() || !strings.HasPrefix(c.out.Text(), "ready") {
		t.Fatalf("child %s: %q", name, c.out.Text())
	}
	c.info = c.out.Text()
	return c
}

// ping checks that the child still runs (and is not left stopped).
func (c *child) ping(t *testing.T) {
	t.Helper()
	done := make(chan bool, 1)
	go func() {
		fmt.Fprintln(c.in, "ping")
		done <- c.out.Scan() && c.out.Text() == "pong"
	}()
	select {
	case ok := <-done:
		if !ok {
			t.Fatal("the child did not answer")
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the child does not answer: state %s", procState(c.cmd.Process.Pid))
	}
}

// procState is the State line of /proc/PID/status.
func procState(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "State:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "State:"))
		}
	}
	return "?"
}

func requireDump(t *testing.T) {
	t.Helper()
	requireSeccomp(t)
	if os.Geteuid() != 0 {
		testenv.Skip(t, "reading filters needs root (CAP_SYS_ADMIN)")
	}
}

// TestReadFiltersStacked reads a child's stacked filters: every thread
// has the two TSYNC filters, in installation order, LOG's flag on the
// second; one
// thread has a third; the programs are the ones loaded; the child runs on
// afterwards.
func TestReadFiltersStacked(t *testing.T) {
	requireDump(t)
	c := startChild(t, "stacked")
	var special int
	fmt.Sscanf(c.info, "ready %d", &special)
	pid := c.cmd.Process.Pid
	threads, err := ReadFilters(pid)
	if err != nil {
		t.Fatal(err)
	}
	if len(threads) < 2 {
		t.Fatalf("%d threads", len(threads))
	}
	seen := false
	for _, th := range threads {
		want := []bpf.Program{dumpFirst, dumpSecond} // in installation order
		if th.TID == special {
			want = append(want, dumpThird)
			seen = true
		}
		if len(th.Filters) != len(want) {
			t.Errorf("thread %d: %d filters, want %d", th.TID, len(th.Filters), len(want))
			continue
		}
		for i := range want {
			if !slices.Equal(th.Filters[i].Program, want[i]) {
				t.Errorf("thread %d: filter %d is not the one loaded", th.TID, i)
			}
			wantFlags := FilterFlag(0)
			if slices.Equal(want[i], dumpSecond) {
				wantFlags = FlagLog // the only flag the kernel reports
			}
			if th.Filters[i].Flags != wantFlags {
				t.Errorf("thread %d: filter %d has flags %v, want %v", th.TID, i, th.Filters[i].Flags, wantFlags)
			}
		}
		if th.Mode != ModeFilter || th.NumFilters != len(want) {
			t.Errorf("thread %d: %+v", th.TID, th.Task)
		}
	}
	if !seen {
		t.Errorf("thread %d was not read", special)
	}
	c.ping(t)
	// One thread alone.
	one, err := ReadFilters(pid, special)
	if err != nil || len(one) != 1 || len(one[0].Filters) != 3 {
		t.Fatalf("thread %d: %v %v", special, one, err)
	}
	c.ping(t)
}

// TestReadFiltersLeavesStopped: a process that was stopped is stopped
// after the read, and runs on when continued.
func TestReadFiltersLeavesStopped(t *testing.T) {
	requireDump(t)
	c := startChild(t, "stacked")
	pid := c.cmd.Process.Pid
	syscall.Kill(pid, syscall.SIGSTOP)
	for i := 0; i < 100 && !strings.HasPrefix(procState(pid), "T"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := ReadFilters(pid); err != nil {
		t.Fatal(err)
	}
	if st := procState(pid); !strings.HasPrefix(st, "T (stopped)") {
		t.Errorf("state after the read: %s", st)
	}
	syscall.Kill(pid, syscall.SIGCONT)
	c.ping(t)
}

// TestReadFiltersErrors: no filter, a traced process, this process, a
// process that does not exist.
func TestReadFiltersErrors(t *testing.T) {
	requireDump(t)
	c := startChild(t, "idle")
	pid := c.cmd.Process.Pid
	_, err := ReadFilters(pid)
	if !errors.Is(err, ErrNoFilter) || !strings.Contains(err.Error(), "has no seccomp filter on any of its") || !strings.Contains(err.Error(), "Seccomp: 0, disabled") {
		t.Errorf("no filter: %v", err)
	}
	c.ping(t)

	_, err = ReadFilters(os.Getpid())
	if err == nil || !strings.Contains(err.Error(), "cannot attach to itself") {
		t.Errorf("this process: %v", err)
	}
	_, err = ReadFilters(1 << 30)
	if !errors.Is(err, syscall.ESRCH) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("no such process: %v", err)
	}

	strace := testenv.LookPath(t, "strace", "strace")
	tr := startChild(t, "stacked", strace, "-o", "/dev/null")
	// The traced child is strace's; find it by its parent.
	var traced int
	for _, p := range childrenOf(tr.cmd.Process.Pid) {
		traced = p
	}
	_, err = ReadFilters(traced)
	if !errors.Is(err, ErrTraced) || !strings.Contains(err.Error(), fmt.Sprintf("is traced by process %d (strace)", tr.cmd.Process.Pid)) {
		t.Errorf("traced: %v", err)
	}
	tr.ping(t)
}

// childrenOf lists the child processes of pid.
func childrenOf(pid int) []int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	var out []int
	for _, f := range strings.Fields(string(b)) {
		var n int
		fmt.Sscan(f, &n)
		out = append(out, n)
	}
	return out
}

// TestAttachPassesSignalsOn: a signal that reaches a thread while dump
// holds it (its delivery stop comes before the interrupt's) is delivered
// at the detach; detached without it, the signal would be lost.
func TestAttachPassesSignalsOn(t *testing.T) {
	requireDump(t)
	for _, pass := range []bool{true, false} {
		c := startChild(t, "signals")
		pid := c.cmd.Process.Pid
		runtime.LockOSThread()
		if err := unix.PtraceSeize(pid); err != nil {
			runtime.UnlockOSThread()
			t.Fatal(err)
		}
		unix.Tgkill(pid, pid, syscall.SIGUSR1)
		time.Sleep(20 * time.Millisecond)
		sig, err := interrupt(pid)
		if err != nil || sig != syscall.SIGUSR1 {
			t.Errorf("the first stop: signal %v, %v", sig, err)
		}
		if !pass {
			sig = 0
		}
		if err := detach(pid, sig); err != nil {
			t.Error(err)
		}
		runtime.UnlockOSThread()
		fmt.Fprintln(c.in, "ping")
		want := "count 1"
		if !pass {
			want = "count 0" // what a detach without the signal does
		}
		if !c.out.Scan() || c.out.Text() != want {
			t.Errorf("passing the signal on %v: %q, want %q", pass, c.out.Text(), want)
		}
	}
}
