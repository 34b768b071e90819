package sysfence

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/seccomp"
)

// The tests that load filters run the test binary again as a child
// (childEnv names what it does) and look at what it printed and how it
// ended: a filter is never installed in the test process itself.
const childEnv = "SYSFENCE_API_CHILD"

func TestMain(m *testing.M) {
	if c := os.Getenv(childEnv); c != "" {
		os.Exit(runChild(c, os.Getenv(childEnv+"_ARG")))
	}
	os.Exit(m.Run())
}

func requireSeccomp(t *testing.T) {
	t.Helper()
	if err := seccomp.CheckFilter(); err != nil {
		testenv.Skip(t, err.Error())
	}
	if err := seccomp.CheckAction(policy.ActKillProcess); err != nil {
		testenv.Skip(t, err.Error())
	}
}

// child returns the command that runs child mode c.
func child(c, arg string, argv ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$"}, argv...)...)
	cmd.Env = append(os.Environ(), childEnv+"="+c, childEnv+"_ARG="+arg)
	return cmd
}

type outcome struct {
	stdout, stderr string
	err            error
}

func runIt(t *testing.T, cmd *exec.Cmd) outcome {
	t.Helper()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if err != nil && !errors.As(err, new(*exec.ExitError)) {
		t.Fatal(err)
	}
	return outcome{o.String(), e.String(), err}
}

func signaled(err error) syscall.Signal {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return ws.Signal()
		}
	}
	return 0
}

// lastCallBeforeDeath reruns a child under strace and returns the call it
// was killed in, to make a failure say which syscall was missing.
func lastCallBeforeDeath(bin, c, arg string) string {
	path, err := exec.LookPath("strace")
	if err != nil {
		return "(strace is not installed to tell which)"
	}
	log, err := os.CreateTemp("", "strace-")
	if err != nil {
		return err.Error()
	}
	defer os.Remove(log.Name())
	log.Close()
	cmd := child(c, arg)
	cmd.Path = path
	cmd.Args = append([]string{"strace", "-f", "-o", log.Name(), bin}, cmd.Args[1:]...)
	cmd.Run()
	data, _ := os.ReadFile(log.Name())
	lines := strings.Split(string(data), "\n")
	var last []string
	for i, l := range lines {
		if strings.Contains(l, "killed by SIGSYS") {
			pid := strings.Fields(l)[0]
			for j := i - 1; j >= 0; j-- {
				if strings.HasPrefix(lines[j], pid+" ") && !strings.Contains(lines[j], "+++") {
					last = append(last, lines[j])
					break
				}
			}
		}
	}
	return strings.Join(last, "\n")
}

// TestGoRuntimeSuffices proves GoRuntime: a Go program that allows
// exactly GoRuntime() (write is in it) under a KILL_PROCESS default runs
// for a few seconds of goroutines, allocation, forced GCs, returning
// memory to the OS, asynchronous preemption of tight loops, thread
// creation and exit, timers, channels, mutexes, and a pipe on the network
// poller, and then prints. Any runtime syscall missing from the list kills
// it with SIGSYS. It runs both as a pure Go program and linked with cgo
// (whose threads come from pthread_create): the test binary as it was
// built, and its twin built the other way.
func TestGoRuntimeSuffices(t *testing.T) {
	requireSeccomp(t)
	d := "2500ms"
	if testing.Short() {
		d = "1200ms"
	}
	cgo := runtime.NumCgoCall() > 0
	t.Run(fmt.Sprintf("cgo=%v", cgo), func(t *testing.T) { runtimeSurvives(t, os.Args[0], d, cgo) })
	t.Run(fmt.Sprintf("cgo=%v", !cgo), func(t *testing.T) {
		if testing.Short() {
			t.Skip("builds the test binary again")
		}
		goTool := testenv.LookPath(t, "go", "golang-go")
		if !cgo {
			testenv.LookPath(t, "cc", "gcc")
		}
		twin := filepath.Join(t.TempDir(), "twin.test")
		build := exec.Command(goTool, "test", "-c", "-o", twin, ".")
		build.Env = append(os.Environ(), fmt.Sprintf("CGO_ENABLED=%d", map[bool]int{true: 0, false: 1}[cgo]))
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go test -c: %v\n%s", err, out)
		}
		runtimeSurvives(t, twin, d, !cgo)
	})
}

func runtimeSurvives(t *testing.T, bin, d string, cgo bool) {
	cmd := child("runtime", d)
	cmd.Path, cmd.Args[0] = bin, bin
	o := runIt(t, cmd)
	if o.err != nil {
		msg := fmt.Sprintf("child: %v\nstdout: %s\nstderr: %s", o.err, o.stdout, o.stderr)
		if signaled(o.err) == syscall.SIGSYS {
			msg += "\nkilled in:\n" + lastCallBeforeDeath(bin, "runtime", d)
		}
		t.Fatal(msg)
	}
	if !strings.HasPrefix(o.stdout, "survived") || !strings.Contains(o.stdout, fmt.Sprintf("cgo %v", cgo)) {
		t.Fatalf("stdout %q", o.stdout)
	}
	t.Log(strings.TrimSpace(o.stdout))
}

// TestSelfFilterHello is scenario 2 of the issue in Go: a hello world that
// allows only what it needs after setup (the runtime's calls, write among
// them) under a KILL_PROCESS default prints its greeting; the same
// program opening /etc/shadow dies with SIGSYS, which the shell reports as
// "Bad system call".
func TestSelfFilterHello(t *testing.T) {
	requireSeccomp(t)
	o := runIt(t, child("hello", ""))
	if o.err != nil || o.stdout != "Hello, world!\n" {
		t.Fatalf("hello: %v, stdout %q, stderr %q", o.err, o.stdout, o.stderr)
	}
	// Through a shell that stays (it is not the last command), as a user
	// would see it.
	sh := exec.Command("/bin/sh", "-c", `"$@"; echo "exit status $?"`, "sh", os.Args[0], "-test.run=^$")
	sh.Env = append(os.Environ(), childEnv+"=hello", childEnv+"_ARG=/etc/shadow")
	o = runIt(t, sh)
	if o.stdout != "Hello, world!\nexit status 159\n" || !strings.Contains(o.stderr, "Bad system call") {
		t.Fatalf("shadow: stdout %q, stderr %q", o.stdout, o.stderr)
	}
	o = runIt(t, child("hello", "/etc/shadow"))
	if signaled(o.err) != syscall.SIGSYS {
		t.Fatalf("shadow: %v", o.err)
	}
}

// TestSelfFilterWriteStdoutOnly is scenario 3 in Go: write allowed only to
// file descriptor 1; a write to stderr fails with EPERM.
func TestSelfFilterWriteStdoutOnly(t *testing.T) {
	requireSeccomp(t)
	o := runIt(t, child("stdout-only", ""))
	want := "to stdout\nstderr: write /dev/stderr: operation not permitted\n"
	if o.err != nil || o.stdout != want || o.stderr != "" {
		t.Fatalf("%v, stdout %q (want %q), stderr %q", o.err, o.stdout, want, o.stderr)
	}
}

// TestSelfFilterSockets is scenario 4 in Go: Docker's default profile
// without socket, bind and listen refuses to listen with EPERM; the
// unmodified profile listens and receives a line sent from outside.
func TestSelfFilterSockets(t *testing.T) {
	requireSeccomp(t)
	o := runIt(t, child("listen", "socket,bind,listen"))
	if o.err != nil || !strings.Contains(o.stdout, "socket: operation not permitted") {
		t.Fatalf("without socket: %v, stdout %q, stderr %q", o.err, o.stdout, o.stderr)
	}
	cmd := child("listen", "")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	r := bufio.NewReader(out)
	first, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(first, "listening on ") {
		t.Fatalf("%q %v; stderr %s", first, err, stderr.String())
	}
	conn, err := net.DialTimeout("tcp", strings.TrimSpace(strings.TrimPrefix(first, "listening on ")), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(conn, "a line from outside")
	conn.Close()
	rest, _ := r.ReadString('\n')
	if err := cmd.Wait(); err != nil || rest != "received: a line from outside\n" {
		t.Fatalf("%v, %q; stderr %s", err, rest, stderr.String())
	}
}

// TestSelfFilterNoExec is scenario 5 in Go: Docker's default profile
// without execve and execveat; the program runs, and cannot exec.
func TestSelfFilterNoExec(t *testing.T) {
	requireSeccomp(t)
	o := runIt(t, child("noexec", ""))
	want := "exec: fork/exec /bin/echo: operation not permitted\n"
	if o.err != nil || o.stdout != want {
		t.Fatalf("%v, stdout %q (want %q), stderr %q", o.err, o.stdout, want, o.stderr)
	}
}

// TestLoadStrict is scenario 1 in Go: a thread in strict mode writes, and
// dies at its first other call; the rest of the program goes on.
func TestLoadStrict(t *testing.T) {
	if err := seccomp.CheckStrict(); err != nil {
		testenv.Skip(t, err.Error())
	}
	o := runIt(t, child("strict", ""))
	want := "strict thread wrote: hello from strict mode\nstrict thread killed at getpid: true\n"
	if o.err != nil || o.stdout != want {
		t.Fatalf("%v, stdout %q (want %q), stderr %q", o.err, o.stdout, want, o.stderr)
	}
}

// TestLoadNotSupported fakes a kernel without seccomp filters (and one
// without KILL_PROCESS, and one without seccomp at all): Load and
// LoadStrict fail with ErrNotSupported and never reach the kernel.
func TestLoadNotSupported(t *testing.T) {
	saved := []any{probeFilter, probeStrict, probeAction, loadFilter, enterStrict}
	t.Cleanup(func() {
		probeFilter = saved[0].(func() error)
		probeStrict = saved[1].(func() error)
		probeAction = saved[2].(func(policy.Action) error)
		loadFilter = saved[3].(func(bpf.Program, seccomp.FilterFlag) (*seccomp.Listener, error))
		enterStrict = saved[4].(func() error)
	})
	loadFilter = func(bpf.Program, seccomp.FilterFlag) (*seccomp.Listener, error) {
		t.Fatal("Load reached the kernel")
		return nil, nil
	}
	enterStrict = func() error { t.Fatal("LoadStrict reached the kernel"); return nil }
	probeAction = func(policy.Action) error { return nil }
	f := NewFilter(Allow)
	noFilters := fmt.Errorf("seccomp: the kernel was built without seccomp filter support (CONFIG_SECCOMP_FILTER): %w", ErrNotSupported)
	probeFilter = func() error { return noFilters }
	err := f.Load()
	if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "CONFIG_SECCOMP_FILTER") {
		t.Errorf("no filters: %v", err)
	}
	probeFilter = func() error { return nil }
	probeAction = func(a policy.Action) error {
		if a.Kind() == policy.ActKillProcess {
			return fmt.Errorf("seccomp: the kernel does not support the action KILL_PROCESS: %w", ErrNotSupported)
		}
		return nil
	}
	if err := f.Load(); !errors.Is(err, ErrNotSupported) {
		t.Errorf("no KILL_PROCESS (the bad-arch action): %v", err)
	}
	probeStrict = func() error { return fmt.Errorf("seccomp: kernel built without CONFIG_SECCOMP: %w", ErrNotSupported) }
	if err := LoadStrict(); !errors.Is(err, ErrNotSupported) {
		t.Errorf("strict: %v", err)
	}
}

// TestLoadOnKernelWithoutSeccomp is TestLoadNotSupported on a real
// kernel playing one without seccomp: the child first loads a filter that
// makes seccomp(2) and prctl's seccomp options fail as they fail there
// (EINVAL, or ENOSYS for no seccomp(2) at all), then tries the API.
func TestLoadOnKernelWithoutSeccomp(t *testing.T) {
	requireSeccomp(t)
	for _, tc := range []struct{ mode, want string }{
		{"einval", "Load: sysfence: cannot load the filter: seccomp: the kernel was built without seccomp filter support (CONFIG_SECCOMP_FILTER): not supported (ErrNotSupported true)\n" +
			"LoadStrict: sysfence: cannot enter strict mode: seccomp: kernel built without CONFIG_SECCOMP: not supported (ErrNotSupported true)\n"},
		{"enosys", "Load: sysfence: cannot load the filter: seccomp: the kernel has no seccomp(2) system call (Linux 3.17 or later is needed): not supported (ErrNotSupported true)\n" +
			"LoadStrict: sysfence: cannot enter strict mode: seccomp: kernel built without CONFIG_SECCOMP: not supported (ErrNotSupported true)\n"},
	} {
		t.Run("kernel="+tc.mode, func(t *testing.T) {
			o := runIt(t, child("fake-kernel", tc.mode))
			if o.err != nil || o.stdout != tc.want {
				t.Errorf("%v\nstdout %q\nwant   %q\nstderr %q", o.err, o.stdout, tc.want, o.stderr)
			}
		})
	}
}

// runChild is the child side; it returns the exit status.
func runChild(mode, arg string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	switch mode {
	case "runtime":
		return runtimeChild(arg)
	case "hello":
		f := NewFilter(KillProcess)
		if err := f.Allow(GoRuntime()...); err != nil {
			return fail(err)
		}
		if err := f.Load(); err != nil {
			return fail(err)
		}
		fmt.Println("Hello, world!")
		if arg != "" {
			if _, err := os.Open(arg); err != nil {
				fmt.Println(err)
			}
		}
		return 0
	case "stdout-only":
		f := NewFilter(KillProcess)
		if err := f.Allow(GoRuntime()...); err != nil {
			return fail(err)
		}
		if err := f.Remove("write"); err != nil {
			return fail(err)
		}
		if err := f.Add(Allow, "write", Arg(0).Eq(1)); err != nil {
			return fail(err)
		}
		if err := f.Add(Errno(syscall.EPERM), "write", Arg(0).Ne(1)); err != nil {
			return fail(err)
		}
		if err := f.Load(); err != nil {
			return fail(err)
		}
		fmt.Println("to stdout")
		if _, err := fmt.Fprintln(os.Stderr, "to stderr"); err != nil {
			fmt.Println("stderr:", err)
		}
		return 0
	case "listen":
		f, err := FromProfile("docker-default", nil)
		if err != nil {
			return fail(err)
		}
		if arg != "" {
			if err := f.Remove(strings.Split(arg, ",")...); err != nil {
				return fail(err)
			}
		}
		if err := f.Load(); err != nil {
			return fail(err)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Println(err)
			return 0
		}
		fmt.Println("listening on", l.Addr())
		c, err := l.Accept()
		if err != nil {
			return fail(err)
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return fail(err)
		}
		fmt.Print("received: ", line)
		return 0
	case "noexec":
		f, err := FromProfile("docker-default", nil)
		if err != nil {
			return fail(err)
		}
		if err := f.Remove("execve", "execveat"); err != nil {
			return fail(err)
		}
		if err := f.Load(); err != nil {
			return fail(err)
		}
		if err := exec.Command("/bin/echo", "hi").Run(); err != nil {
			fmt.Println("exec:", err)
		}
		return 0
	case "strict":
		return strictChild()
	case "fake-kernel":
		outer := NewFilter(Allow)
		errno := syscall.EINVAL
		if arg == "enosys" {
			errno = syscall.ENOSYS
		}
		err := outer.Add(Errno(errno), "seccomp")
		for _, opt := range []uint64{syscall.PR_GET_SECCOMP, syscall.PR_SET_SECCOMP} {
			if err == nil {
				err = outer.Add(Errno(syscall.EINVAL), "prctl", Arg(0).Eq(opt))
			}
		}
		if err == nil {
			err = outer.Load()
		}
		if err == nil {
			// A fresh process: the probes of this one ran before the
			// outer filter and are cached.
			env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, childEnv+"=") })
			env = append(env, childEnv+"=fake-kernel-inner")
			err = syscall.Exec(os.Args[0], os.Args, env)
		}
		return fail(err)
	case "fake-kernel-inner":
		f := NewFilter(KillProcess)
		if err := f.Allow(GoRuntime()...); err != nil {
			return fail(err)
		}
		err := f.Load()
		fmt.Printf("Load: %v (ErrNotSupported %v)\n", err, errors.Is(err, ErrNotSupported))
		err = LoadStrict()
		fmt.Printf("LoadStrict: %v (ErrNotSupported %v)\n", err, errors.Is(err, ErrNotSupported))
		return 0
	}
	return fail(fmt.Errorf("unknown child mode %q", mode))
}

// strictChild runs a thread in strict mode: it writes a line to a pipe
// opened before, then calls getpid and is killed; main learns both
// through the pipe and /proc.
func strictChild() int {
	// Keep the main thread (whose death would leave a zombie thread group
	// leader) for main: the strict goroutine gets a thread of its own.
	runtime.LockOSThread()
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		fmt.Println(err)
		return 3
	}
	tids := make(chan int, 1)
	// Everything the strict thread uses exists before it enters strict
	// mode: an allocation there could need memory from the kernel.
	hello := []byte("hello from strict mode\n")
	alive := []byte("still alive after getpid\n")
	failed := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // for good: the thread dies in strict mode
		tids <- syscall.Gettid()
		if err := LoadStrict(); err != nil {
			failed <- err
			return
		}
		syscall.RawSyscall(syscall.SYS_WRITE, uintptr(p[1]), uintptr(unsafe.Pointer(&hello[0])), uintptr(len(hello)))
		syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0) // not allowed: SIGKILL for this thread
		syscall.RawSyscall(syscall.SYS_WRITE, uintptr(p[1]), uintptr(unsafe.Pointer(&alive[0])), uintptr(len(alive)))
	}()
	tid := <-tids
	select {
	case err := <-failed:
		fmt.Println(err)
		return 3
	case <-time.After(50 * time.Millisecond):
	}
	buf := make([]byte, 100)
	n, _ := syscall.Read(p[0], buf)
	fmt.Printf("strict thread wrote: %s", buf[:n])
	gone := false
	for range 200 {
		if _, err := os.Stat("/proc/self/task/" + strconv.Itoa(tid)); os.IsNotExist(err) {
			gone = true
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("strict thread killed at getpid:", gone)
	return 0
}

// runtimeChild exercises the runtime under GoRuntime() only, for d.
func runtimeChild(d string) int {
	dur, err := time.ParseDuration(d)
	if err != nil {
		fmt.Println(err)
		return 3
	}
	// Setup: a pipe on the network poller (this starts the poller: epoll,
	// eventfd), opened before the filter as a program would.
	pr, pw, err := os.Pipe()
	if err != nil {
		fmt.Println(err)
		return 3
	}
	// SYSFENCE_API_CHILD_DEFAULT=log (by hand, under strace -f) shows
	// what a new Go version calls beyond the list instead of dying.
	def := KillProcess
	if os.Getenv(childEnv+"_DEFAULT") == "log" {
		def = Log
	}
	f := NewFilter(def)
	if err := f.Allow(GoRuntime()...); err != nil {
		fmt.Println(err)
		return 3
	}
	if runtime.NumCgoCall() > 0 {
		// GoRuntime's documented remedy: glibc's occasional read of
		// /sys/devices/system/cpu/online must fail softly (a test of
		// 160 runs under load killed 3 children there without it).
		if err := f.Add(Errno(syscall.ENOENT), "openat"); err != nil {
			fmt.Println(err)
			return 3
		}
	}
	if err := f.Load(); err != nil {
		fmt.Println(err)
		return 3
	}
	deadline := time.Now().Add(dur)
	var stop atomic.Bool
	var spins, allocs, threads, ticks, piped, locked atomic.Int64
	var wg sync.WaitGroup
	// Tight loops without calls: only asynchronous preemption (SIGURG
	// through tgkill) lets the GC and the scheduler stop them.
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var x int64
			for !stop.Load() {
				x++
			}
			spins.Add(x)
		}()
	}
	// Allocation and GC, and memory given back to the OS.
	var sink atomic.Pointer[[]byte]
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				b := make([]byte, 1<<(10+(n+i)%12))
				sink.Store(&b)
				allocs.Add(1)
				if n%500 == 0 {
					runtime.GC()
				}
				if n%2000 == 0 {
					debug.FreeOSMemory()
				}
			}
		}()
	}
	// Threads that end: a goroutine that exits while locked to its thread
	// takes the thread with it, so new ones are created all the time.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			done := make(chan struct{})
			go func() {
				runtime.LockOSThread()
				threads.Add(1)
				close(done)
			}()
			<-done
			time.Sleep(time.Millisecond)
		}
	}()
	// Timers, channels, mutexes, deep stacks.
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(3 * time.Millisecond)
		defer tk.Stop()
		var mu sync.Mutex
		for !stop.Load() {
			<-tk.C
			ticks.Add(1)
			mu.Lock()
			recurse(2000)
			mu.Unlock()
			select {
			case <-time.After(time.Microsecond):
			case <-time.After(time.Hour):
			}
		}
	}()
	// The network poller: a reader parked on the pipe, woken by writes.
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 64)
		for !stop.Load() {
			if _, err := pr.Read(buf); err != nil {
				return
			}
			piped.Add(1)
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			pw.Write([]byte("x"))
			time.Sleep(2 * time.Millisecond)
		}
		pw.Write([]byte("x")) // let the reader see stop
	}()
	// LockOSThread/UnlockOSThread handing goroutines between threads.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			runtime.LockOSThread()
			locked.Add(1)
			runtime.Gosched()
			runtime.UnlockOSThread()
		}
	}()
	time.Sleep(time.Until(deadline))
	stop.Store(true)
	wg.Wait()
	fmt.Printf("survived %v (cgo %v): spins %d, allocations %d, GCs %d, threads ended %d, ticks %d, pipe reads %d, locks %d\n",
		dur, runtime.NumCgoCall() > 0, spins.Load(), allocs.Load(), gcCount(), threads.Load(), ticks.Load(), piped.Load(), locked.Load())
	return 0
}

func recurse(n int) int {
	if n == 0 {
		return 0
	}
	var pad [64]byte
	pad[n%64] = byte(n)
	return recurse(n-1) + int(pad[n%64])
}

func gcCount() uint32 {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	return s.NumGC
}
