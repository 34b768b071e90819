package sandbox

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/internal/execdeps"
	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/landlock"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/seccomp"
)

func requireNotify(t *testing.T) {
	t.Helper()
	requireSandbox(t)
	if err := seccomp.CheckNotify(); err != nil {
		testenv.Skip(t, err.Error())
	}
}

// supervisedPlan allows reading paths and what bin needs to start.
func supervisedPlan(t testing.TB, bin string, paths ...string) *landlock.Plan {
	t.Helper()
	res, err := execdeps.Resolve(bin, execdeps.Options{})
	if err != nil {
		t.Fatal(err)
	}
	read, exec := res.Split()
	plan, err := landlock.NewPlan(landlock.Rules{Read: append(paths, read...), Exec: exec}, landlock.MaxABI, landlock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// naiveOpen is the supervisor sysfence must not be: it reads the path,
// checks it against the rules (by opening it, exactly as the real
// supervisor does) and then answers CONTINUE, so that the kernel opens
// whatever the buffer holds by then.
func naiveOpen(s *session, n *seccomp.Notif) {
	req, errno := readOpenRequest(n, notifMemory{s.listener, n})
	var real string
	if errno == 0 {
		real, errno = s.resolveFor(n, req)
	}
	if errno == 0 {
		var fd int
		if fd, errno = s.paths.open(real, req.flags); errno == 0 {
			unix.Close(fd)
		}
	}
	if errno != 0 {
		s.listener.Fail(n.ID, errno)
		return
	}
	s.listener.Continue(n.ID)
}

// Why the supervisor opens files itself: a second thread rewriting the
// path buffer between /etc/hostname and /etc/passwd fools a supervisor
// that checks the path and answers CONTINUE (the kernel reads the buffer
// again after the check), and never fools the one that opens the path it
// checked and hands the descriptor over with SECCOMP_IOCTL_NOTIF_ADDFD.
func TestSupervisedOpenRace(t *testing.T) {
	requireNotify(t)
	bin := cprog(t, "race", false)
	allowAll, _ := filter(t, policy.ActAllow)
	plan := supervisedPlan(t, bin, "/etc/hostname")
	for _, tc := range []struct {
		name    string
		hooks   *testHooks
		seconds string
		wantBad bool
	}{
		{"addfd", nil, "3", false},
		{"naive-continue", &testHooks{openHandler: naiveOpen}, "30", true},
	} {
		t.Run("supervisor="+tc.name, func(t *testing.T) {
			o := runCmd(t, Options{Filter: allowAll, SupervisedPaths: plan, hooks: tc.hooks}, true, bin, "/etc/hostname", "/etc/passwd", tc.seconds)
			o.wantExit(t, 0, 0)
			var reads, bad int
			if _, err := fmt.Sscanf(o.stdout, "reads %d bad %d", &reads, &bad); err != nil {
				t.Fatalf("race printed %q (stderr %q)", o.stdout, o.stderr)
			}
			t.Logf("%d reads, %d of /etc/passwd", reads, bad)
			if (bad > 0) != tc.wantBad || reads == 0 {
				t.Errorf("%d reads, %d of /etc/passwd; want passwd read: %v", reads, bad, tc.wantBad)
			}
		})
	}
}

// Audit mode counts a call once even when a signal interrupts it while
// the supervisor holds it and SA_RESTART makes the kernel notify it again
// (same thread, number, arguments and instruction pointer). With
// WAIT_KILLABLE_RECV (sysfence's default) a received call is not
// interrupted at all; without it (kernels before 5.19, here a test hook)
// every other answer is slowed down past the 100 µs timer so that the
// restarts happen.
func TestAuditCountsRestartedCallOnce(t *testing.T) {
	requireNotify(t)
	bin := cprog(t, "restart", false)
	prog, _ := filter(t, policy.ActAllow, rule{name: "getppid", action: policy.Errno(1)})
	for _, killable := range []bool{true, false} {
		t.Run(fmt.Sprintf("wait_killable_recv=%v", killable), func(t *testing.T) {
			var notified atomic.Int64
			hooks := &testHooks{noWaitKillable: !killable, beforeAnswer: func(n *seccomp.Notif) {
				if notified.Add(1)%2 == 1 {
					time.Sleep(time.Millisecond)
				}
			}}
			o := runCmd(t, Options{Filter: prog, Audit: true, hooks: hooks}, true, bin, "20")
			o.wantExit(t, 0, 0)
			var rec *AuditRecord
			for i := range o.res.Audit {
				if o.res.Audit[i].Name == "getppid" {
					rec = &o.res.Audit[i]
				}
			}
			// Without WAIT_KILLABLE_RECV the kernel has one race left: a
			// signal that lands as the answer arrives makes it restart an
			// answered call (the answer is dropped), which nothing on the
			// supervisor's side can tell from a new call. So a rare extra
			// count is the kernel's; a restart counted each time is not.
			maxCalls := uint64(20)
			if !killable {
				maxCalls = 22
			}
			if rec == nil || rec.Calls < 20 || rec.Calls > maxCalls {
				t.Fatalf("audit records %+v, want 20 getppid calls (%d notifications; %s)", o.res.Audit, notified.Load(), strings.TrimSpace(o.stdout))
			}
			if st := o.res.Observed; st == nil || len(st.Entries()) == 0 {
				t.Errorf("no observations")
			}
			t.Logf("%d notifications for 20 calls; %s", notified.Load(), strings.TrimSpace(o.stdout))
			if !killable && notified.Load() <= 20 {
				t.Errorf("no call was restarted (%d notifications): the test did not test anything", notified.Load())
			}
			if killable && notified.Load() != 20 {
				t.Errorf("%d notifications for 20 calls under WAIT_KILLABLE_RECV", notified.Load())
			}
			if len(o.events) != 1 || !strings.HasPrefix(o.events[0], "audit: "+bin+"[") || !strings.HasSuffix(o.events[0], "]: getppid() would be denied: EPERM (the filter returns ERRNO(1))") {
				t.Errorf("events %q", o.events)
			}
		})
	}
}

// resolvePath against a tree of symlinks, with openat2's flags.
func TestResolvePath(t *testing.T) {
	base := t.TempDir()
	base, _ = filepath.EvalSymlinks(base)
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Join(base, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mk("a/b")
	os.WriteFile(filepath.Join(base, "a/b/file"), []byte("x"), 0o644)
	for link, target := range map[string]string{
		"abs":   "/etc/passwd",
		"rel":   "a/b/file",
		"up":    "a/b/../..",
		"loop1": "loop2", "loop2": "loop1",
		"dirl":   "a",
		"inroot": "/a/b/file",
	} {
		if err := os.Symlink(target, filepath.Join(base, link)); err != nil {
			t.Fatal(err)
		}
	}
	self := os.Getpid()
	cwd, _ := os.Readlink("/proc/self/cwd")
	o := resolveOpts{followLast: true, tgid: self, tid: self}
	with := func(f func(*resolveOpts)) resolveOpts { c := o; f(&c); return c }
	for _, tc := range []struct {
		name, path string
		opts       resolveOpts
		want       string
		errno      unix.Errno
	}{
		{"file", "a/b/file", o, base + "/a/b/file", 0},
		{"absolute", base + "/a/b/file", o, base + "/a/b/file", 0},
		{"dot-dotdot", "./a/b/../b/./file", o, base + "/a/b/file", 0},
		{"dotdot-above-root", "/../../etc/passwd", o, "/etc/passwd", 0},
		{"abs-symlink", "abs", o, "/etc/passwd", 0},
		{"rel-symlink", "rel", o, base + "/a/b/file", 0},
		{"symlink-then-dotdot", "dirl/b/../b/file", o, base + "/a/b/file", 0},
		{"dotdot-after-symlink", "up/a", o, base + "/a", 0},
		{"loop", "loop1", o, "", unix.ELOOP},
		{"missing", "a/nope", o, "", unix.ENOENT},
		{"not-dir", "a/b/file/x", o, "", unix.ENOTDIR},
		{"trailing-slash-file", "a/b/file/", o, "", unix.ENOTDIR},
		{"trailing-slash-dir", "a/b/", o, base + "/a/b", 0},
		{"empty", "", o, "", unix.ENOENT},
		{"nofollow-last", "rel", with(func(o *resolveOpts) { o.followLast = false }), "", unix.ELOOP},
		{"nofollow-not-last", "dirl/b/file", with(func(o *resolveOpts) { o.followLast = false }), base + "/a/b/file", 0},
		{"no-symlinks", "dirl/b/file", with(func(o *resolveOpts) { o.noSymlinks = true }), "", unix.ELOOP},
		{"beneath-abs", base + "/a", with(func(o *resolveOpts) { o.beneath = true }), "", unix.EXDEV},
		{"beneath-dotdot", "a/../..", with(func(o *resolveOpts) { o.beneath = true }), "", unix.EXDEV},
		{"beneath-abs-symlink", "abs", with(func(o *resolveOpts) { o.beneath = true }), "", unix.EXDEV},
		{"beneath-inside", "a/../a/b/file", with(func(o *resolveOpts) { o.beneath = true }), base + "/a/b/file", 0},
		{"in-root-abs", "/a/b/file", with(func(o *resolveOpts) { o.inRoot = true }), base + "/a/b/file", 0},
		{"in-root-dotdot", "../../a/b/file", with(func(o *resolveOpts) { o.inRoot = true }), base + "/a/b/file", 0},
		{"in-root-abs-symlink", "inroot", with(func(o *resolveOpts) { o.inRoot = true }), base + "/a/b/file", 0},
		{"proc-self", "/proc/self/cwd", o, cwd, 0},
		{"proc-self-nomagic", "/proc/self/cwd", with(func(o *resolveOpts) { o.noMagic = true }), "", unix.ELOOP},
		{"proc-thread-self", "/proc/thread-self/cwd", o, cwd, 0},
	} {
		t.Run("path="+tc.name, func(t *testing.T) {
			got, errno := resolvePath(base, tc.path, tc.opts)
			if got != tc.want || errno != tc.errno {
				t.Errorf("resolvePath(%q) = %q, %v; want %q, %v", tc.path, got, errno, tc.want, tc.errno)
			}
		})
	}
}

// waitFifoThreads waits up to a second for fifoThreads to be n, and
// returns it.
func waitFifoThreads(n int) int {
	got := fifoThreads()
	for deadline := time.Now().Add(time.Second); got != n && time.Now().Before(deadline); got = fifoThreads() {
		time.Sleep(5 * time.Millisecond)
	}
	return got
}

// fifoThreads counts this process's threads waiting in a FIFO open.
func fifoThreads() int {
	ents, _ := os.ReadDir("/proc/self/task")
	n := 0
	for _, e := range ents {
		if w, _ := os.ReadFile("/proc/self/task/" + e.Name() + "/wchan"); string(w) == "wait_for_partner" {
			n++
		}
	}
	return n
}

// A supervised open of a FIFO waits for a writer; the supervisor waits in
// CMD's place, and must not wait longer than CMD does. A signal ends
// CMD's wait as it ends a FIFO open outside the sandbox (here a SIGTERM
// kills it), and the supervisor then gives up its own open: no thread of
// sysfence is left waiting for a writer that may never come.
func TestSupervisedFIFOSignal(t *testing.T) {
	requireNotify(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := exec.LookPath("cat")
	if err != nil {
		t.Fatal(err)
	}
	allowAll, _ := filter(t, policy.ActAllow)
	plan := supervisedPlan(t, cat, dir)
	if n := waitFifoThreads(0); n != 0 {
		t.Fatalf("%d threads open a FIFO before the test", n)
	}
	done := make(chan outcome, 1)
	go func() { done <- runCmd(t, Options{Filter: allowAll, SupervisedPaths: plan}, false, cat, fifo) }()
	pid := 0
	for deadline := time.Now().Add(5 * time.Second); pid == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, c := range childrenOf(os.Getpid()) {
			if w, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", c)); strings.HasPrefix(string(w), "seccomp_do_user_notif") {
				pid = c
			}
		}
	}
	if pid == 0 {
		t.Fatal("cat never waited for the supervisor")
	}
	if n := waitFifoThreads(1); n != 1 {
		t.Errorf("%d threads of the supervisor open the FIFO, want 1", n)
	}
	unix.Kill(pid, unix.SIGTERM)
	var o outcome
	select {
	case o = <-done:
	case <-time.After(time.Second):
		unix.Kill(pid, unix.SIGKILL)
		<-done
		t.Fatal("SIGTERM did not end cat's FIFO open within 1s (only SIGKILL did)")
	}
	o.wantExit(t, 128+int(unix.SIGTERM), unix.SIGTERM)
	if left := waitFifoThreads(0); left != 0 {
		t.Errorf("%d threads of the supervisor still open the FIFO after cat died", left)
	}
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			n, _ := strconv.Atoi(e.Name())
			out = append(out, n)
		}
	}
	return out
}

// naiveListen is the listen supervisor sysfence must not be: it checks
// the socket the descriptor names (on its own copy, exactly as the real
// one does) and answers CONTINUE, so that the kernel looks the number up
// again and listens on whatever it names by then.
func naiveListen(s *session, n *seccomp.Notif) {
	fd, _, errno := s.readListen(n)
	var sock int
	if errno == 0 {
		sock, errno = s.takeFd(n, fd)
	}
	if errno == 0 {
		if !boundOrNotTCP(sock) {
			errno = unix.EACCES
		}
		unix.Close(sock)
	}
	if errno != 0 {
		s.listener.Fail(n.ID, errno)
		return
	}
	s.listener.Continue(n.ID)
}

// Why the supervisor listens on its own copy of the socket: a second
// thread that keeps dup2-ing an unbound socket and a bound one onto the
// number listen was given fools a supervisor that checks the socket and
// answers CONTINUE (an unbound socket ends up listening on a port the
// kernel picked), and never fools the one that listens on the socket it
// checked.
func TestSupervisedListenRace(t *testing.T) {
	requireNotify(t)
	if abi, err := landlock.KernelABI(); err != nil || abi < 4 {
		testenv.Skip(t, fmt.Sprintf("Landlock ABI 4 needed (%d, %v)", abi, err))
	}
	bin := cprog(t, "listenprobe", false)
	allowAll, _ := filter(t, policy.ActAllow)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	abi, _ := landlock.KernelABI()
	plan, err := landlock.NewPlan(landlock.Rules{Bind: []uint16{uint16(port)}}, abi, landlock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		hooks   *testHooks
		seconds string
		wantBad bool
	}{
		{"listen-own-copy", nil, "3", false},
		{"naive-continue", &testHooks{listenHandler: naiveListen}, "3", true},
	} {
		t.Run("supervisor="+tc.name, func(t *testing.T) {
			o := runCmd(t, Options{Filter: allowAll, Landlock: plan, hooks: tc.hooks}, false, bin, "race", strconv.Itoa(port), tc.seconds)
			o.wantExit(t, 0, 0)
			var listens, bad int
			if _, err := fmt.Sscanf(o.stdout, "listens %d bad %d", &listens, &bad); err != nil {
				t.Fatalf("listenprobe printed %q (stderr %q)", o.stdout, o.stderr)
			}
			t.Logf("%d listens, %d on an unbound socket", listens, bad)
			if (bad > 0) != tc.wantBad || listens == 0 {
				t.Errorf("%d listens, %d on an unbound socket; want one: %v", listens, bad, tc.wantBad)
			}
		})
	}
}

// The supervisor decides from the file's type whether an open may block,
// but the file may change between that look and the open (a process
// outside the sandbox swaps a regular file for a FIFO): the open must
// still never block the supervisor, which would then answer nothing else
// and never end. Here the test swaps the file right after the check; a
// SIGTERM then ends cat's wait for a writer, and the run, at once.
func TestSupervisedOpenTypeChange(t *testing.T) {
	requireNotify(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("regular\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := exec.LookPath("cat")
	if err != nil {
		t.Fatal(err)
	}
	allowAll, _ := filter(t, policy.ActAllow)
	plan := supervisedPlan(t, cat, dir)
	var swapped atomic.Bool
	hooks := &testHooks{afterOpenPlan: func(name string) {
		if name == "file" && !swapped.Swap(true) {
			os.Remove(file)
			unix.Mkfifo(file, 0o644)
		}
	}}
	done := make(chan outcome, 1)
	go func() {
		done <- runCmd(t, Options{Filter: allowAll, SupervisedPaths: plan, hooks: hooks}, false, cat, file)
	}()
	pid := 0
	for deadline := time.Now().Add(5 * time.Second); pid == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, c := range childrenOf(os.Getpid()) {
			if w, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", c)); swapped.Load() && strings.HasPrefix(string(w), "seccomp_do_user_notif") {
				pid = c
			}
		}
	}
	if pid == 0 {
		t.Fatal("cat never waited for the supervisor")
	}
	unix.Kill(pid, unix.SIGTERM)
	select {
	case o := <-done:
		o.wantExit(t, 128+int(unix.SIGTERM), unix.SIGTERM)
		if n := waitFifoThreads(0); n != 0 {
			t.Errorf("%d threads of the supervisor still open the FIFO after cat died", n)
		}
	case <-time.After(time.Second):
		// Unblock the supervisor's open so that the test can end.
		if w, err := os.OpenFile(file, os.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		<-done
		t.Fatal("the run did not end within 1s of SIGTERM: the supervisor was stuck in the open")
	}
}
