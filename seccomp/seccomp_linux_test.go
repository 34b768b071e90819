package seccomp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/testenv"
)

// Filters are never installed in the test process: each test that needs
// one re-executes the test binary with childEnv naming a child function,
// which installs the filter, prints what it observed and exits.
const childEnv = "SYSFENCE_SECCOMP_TEST_CHILD"

var children = map[string]func(){
	"tsync":  childTSync,
	"strict": childStrict,
	"notify": childNotify,
	"badbpf": childBadBPF,
}

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		f, ok := children[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown child %q\n", name)
			os.Exit(3)
		}
		f()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func requireSeccomp(t *testing.T) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		testenv.Skip(t, "the hand-built test filters are for x86_64")
	}
	if err := CheckFilter(); err != nil {
		testenv.Skip(t, err.Error())
	}
}

// runChild runs a child function in a fresh copy of the test binary.
func runChild(t *testing.T, name string) (stdout, stderr string, st *os.ProcessState) {
	t.Helper()
	// A child that hangs (a runtime deadlocked by a killed thread) fails
	// the test instead of holding it until the suite's timeout.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+name)
	if name == "strict" {
		// No preemption signal in the moment between prctl and the
		// write: its handling could make a call strict mode kills for.
		cmd.Env = append(cmd.Env, "GODEBUG=asyncpreemptoff=1")
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("child %s still running after a minute: stdout %q, stderr %q", name, o.String(), e.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("child %s: %v", name, err)
	}
	return o.String(), e.String(), cmd.ProcessState
}

const auditArchX86_64 = 0xc000003e

// errnoFor builds: on x86_64, nr -> ret, anything else ALLOW; other
// architectures KILL_PROCESS.
func filterFor(rules map[uint32]uint32) bpf.Program {
	p := bpf.Program{
		bpf.LoadAbs(bpf.OffArch),
		bpf.Jump(bpf.JmpJEQ, auditArchX86_64, 1, 0),
		bpf.Ret(uint32(bpf.ActKillProcess)),
		bpf.LoadAbs(bpf.OffNr),
	}
	for nr, ret := range rules {
		p = append(p, bpf.Jump(bpf.JmpJEQ, nr, 0, 1), bpf.Ret(ret))
	}
	return append(p, bpf.Ret(uint32(bpf.ActAllow)))
}

func TestProbes(t *testing.T) {
	requireSeccomp(t)
	if err := CheckStrict(); err != nil {
		t.Errorf("CheckStrict: %v", err)
	}
	// Kernel 6.18 (the CI kernel) knows every flag and action.
	all := FlagTSync | FlagLog | FlagSpecAllow | FlagNewListener | FlagTSyncESRCH | FlagWaitKillableRecv
	for bit := FilterFlag(1); bit <= all; bit <<= 1 {
		t.Run("flag="+bit.String(), func(t *testing.T) {
			f := bit | companion(bit)
			if err := CheckFlags(f); err != nil {
				t.Errorf("CheckFlags(%v): %v", f, err)
			}
		})
	}
	unknown := FilterFlag(1 << 20)
	if err := CheckFlags(unknown); !errors.Is(err, ErrNotSupported) {
		t.Errorf("CheckFlags(%v) = %v, want ErrNotSupported", unknown, err)
	}
	for _, a := range []bpf.Action{bpf.ActKillProcess, bpf.ActKillThread, bpf.ActTrap, bpf.Errno(1),
		bpf.ActUserNotif, bpf.ActTrace, bpf.ActLog, bpf.ActAllow} {
		t.Run("action="+a.String(), func(t *testing.T) {
			if err := CheckAction(a); err != nil {
				t.Errorf("CheckAction(%v): %v", a, err)
			}
		})
	}
	if err := CheckAction(bpf.Action(0x7ff80000)); !errors.Is(err, ErrNotSupported) {
		t.Errorf("CheckAction(unknown) = %v, want ErrNotSupported", err)
	}
	s, err := NotifSizes()
	if err != nil {
		t.Fatal(err)
	}
	if s.Notif != 80 || s.NotifResp != 24 || s.Data != 64 {
		t.Errorf("NotifSizes = %+v, want 80/24/64", s)
	}
	if err := CheckNotify(); err != nil {
		t.Errorf("CheckNotify: %v", err)
	}
}

func TestLoadFilterRefusesBadLength(t *testing.T) {
	if _, err := LoadFilter(nil, 0); !errors.Is(err, bpf.ErrInvalid) {
		t.Errorf("empty program: %v, want bpf.ErrInvalid", err)
	}
	long := make(bpf.Program, bpf.MaxInstructions+1)
	if _, err := LoadFilter(long, 0); !errors.Is(err, bpf.ErrTooLong) {
		t.Errorf("long program: %v, want bpf.ErrTooLong", err)
	}
	if _, err := LoadFilter(bpf.Program{bpf.Ret(0)}, FlagTSync|FlagNewListener); err == nil {
		t.Error("TSYNC|NEW_LISTENER without TSYNC_ESRCH was accepted")
	}
}

// childTSync loads a filter answering getppid with EPERM and checks it on
// several OS threads, including ones that existed before the load.
func childTSync() {
	const eperm = uint32(bpf.ActErrno) | uint32(unix.EPERM)
	ready := make(chan struct{})
	probe := make(chan chan string)
	for range 3 {
		go func() {
			runtime.LockOSThread() // a thread that exists before Load
			ready <- struct{}{}
			for reply := range probe {
				_, _, e := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
				reply <- e.Error()
			}
		}()
		<-ready
	}
	if _, err := Load(filterFor(map[uint32]uint32{unix.SYS_GETPPID: eperm}), 0); err != nil {
		fmt.Println("load:", err)
		return
	}
	for range 3 {
		reply := make(chan string)
		probe <- reply
		fmt.Println("thread:", <-reply)
	}
	nnp, _ := NoNewPrivs()
	mode, _ := CurrentMode()
	fmt.Println("nnp:", nnp, "mode:", mode)
	_, _, e := unix.RawSyscall(unix.SYS_GETPID, 0, 0, 0)
	fmt.Println("getpid errno:", int(e))
}

func TestLoadCoversEveryThread(t *testing.T) {
	requireSeccomp(t)
	out, errOut, st := runChild(t, "tsync")
	if !st.Success() {
		t.Fatalf("child failed: %v\n%s%s", st, out, errOut)
	}
	want := "thread: operation not permitted\nthread: operation not permitted\nthread: operation not permitted\nnnp: true mode: filter\ngetpid errno: 0\n"
	if out != want {
		t.Errorf("child said\n%s\nwant\n%s", out, want)
	}
}

// childStrict enters strict mode on a locked thread, writes with the raw
// syscall, then calls getpid, which strict mode answers by killing that
// thread (SIGKILL; the process dies only when it was its last thread).
func childStrict() {
	// The killed thread takes its P with it, and a garbage collection
	// would then wait for it for ever (see SetStrict).
	debug.SetGCPercent(-1)
	tid := make(chan int)
	go func() {
		runtime.LockOSThread()
		in, survived := []byte("in strict mode\n"), []byte("survived getpid\n")
		tid <- unix.Gettid()
		if err := SetStrict(); err != nil {
			fmt.Println("strict:", err)
			return
		}
		unix.RawSyscall(unix.SYS_WRITE, 1, uintptr(unsafe.Pointer(&in[0])), uintptr(len(in)))
		unix.RawSyscall(unix.SYS_GETPID, 0, 0, 0)
		unix.RawSyscall(unix.SYS_WRITE, 1, uintptr(unsafe.Pointer(&survived[0])), uintptr(len(survived)))
	}()
	t := <-tid
	for range 200 {
		// Gone, or a zombie when it happened to be the main thread.
		st, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", t))
		if err != nil || strings.Contains(string(st), ") Z ") {
			fmt.Println("strict thread gone")
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("strict thread still alive")
}

func TestStrictKillsOnFirstForbiddenSyscall(t *testing.T) {
	requireSeccomp(t)
	out, errOut, st := runChild(t, "strict")
	if !st.Success() {
		t.Fatalf("child ended with %v\n%s%s", st, out, errOut)
	}
	if out != "in strict mode\nstrict thread gone\n" {
		t.Errorf("child said %q, want its strict-mode write and then the thread gone", out)
	}
}

// childNotify exercises the notification protocol inside one process: a
// supervisor goroutine answers the filtered calls of the main goroutine.
func childNotify() {
	notif := uint32(bpf.ActUserNotif)
	l, err := Load(filterFor(map[uint32]uint32{
		unix.SYS_GETPPID: notif, // Continue
		unix.SYS_UNAME:   notif, // Return(42)
		unix.SYS_MKNODAT: notif, // read the path, Fail(EACCES)
		unix.SYS_DUP:     notif, // AddFD with Send
	}), FlagNewListener|FlagWaitKillableRecv)
	if err != nil {
		fmt.Println("load:", err)
		return
	}
	if err := l.SetSyncWakeUp(); err != nil {
		fmt.Println("sync wake-up:", err)
	}
	pr, pw, _ := os.Pipe()
	pw.WriteString("through addfd\n")
	pw.Close()

	var wg sync.WaitGroup
	wg.Add(1)
	var log []string
	go func() {
		defer wg.Done()
		for {
			n, err := l.Receive()
			if err != nil {
				log = append(log, "receive: "+err.Error())
				return
			}
			switch n.Data.Nr {
			case unix.SYS_GETPPID:
				err = l.Continue(n.ID)
			case unix.SYS_UNAME:
				err = l.Return(n.ID, 42)
			case unix.SYS_MKNODAT:
				buf := make([]byte, 64)
				k, rerr := l.ReadMemory(n, n.Data.Args[1], buf)
				if rerr != nil {
					log = append(log, "read: "+rerr.Error())
				} else {
					log = append(log, "path: "+string(buf[:bytes.IndexByte(buf[:k], 0)]))
				}
				err = l.Fail(n.ID, unix.EACCES)
			case unix.SYS_DUP:
				_, err = l.AddFD(AddFD{ID: n.ID, SrcFD: int(pr.Fd()), CloExec: true, Send: true})
				if err == nil {
					// Answered already: the id is no longer valid.
					log = append(log, fmt.Sprintf("id valid after send: %v", l.IDValid(n.ID)))
				}
			}
			if err != nil {
				log = append(log, "respond: "+err.Error())
			}
		}
	}()

	ppid, _, _ := unix.Syscall(unix.SYS_GETPPID, 0, 0, 0)
	fmt.Println("getppid real:", int(ppid) == os.Getppid())
	var uts unix.Utsname
	r, _, _ := unix.Syscall(unix.SYS_UNAME, uintptr(unsafe.Pointer(&uts)), 0, 0)
	fmt.Println("uname:", r)
	err = unix.Mknodat(unix.AT_FDCWD, "/nonexistent/sysfence-marker", unix.S_IFIFO|0o600, 0)
	fmt.Println("mknodat:", err)
	fd, _, e := unix.Syscall(unix.SYS_DUP, 9999, 0, 0)
	if e != 0 {
		fmt.Println("dup:", e)
	} else {
		buf := make([]byte, 64)
		k, _ := unix.Read(int(fd), buf)
		flags, _ := unix.FcntlInt(fd, unix.F_GETFD, 0)
		fmt.Printf("dup: %q cloexec=%v\n", buf[:k], flags&unix.FD_CLOEXEC != 0)
	}
	l.Shutdown()
	wg.Wait()
	fmt.Println(strings.Join(log, "\n"))
}

func TestNotify(t *testing.T) {
	requireSeccomp(t)
	if err := CheckNotify(); err != nil {
		testenv.Skip(t, err.Error())
	}
	out, errOut, st := runChild(t, "notify")
	if !st.Success() {
		t.Fatalf("child failed: %v\n%s%s", st, out, errOut)
	}
	want := `getppid real: true
uname: 42
mknodat: permission denied
dup: "through addfd\n" cloexec=true
path: /nonexistent/sysfence-marker
id valid after send: seccomp notification no longer valid
receive: seccomp listener closed
`
	if out != want {
		t.Errorf("child said\n%s\nwant\n%s", out, want)
	}
}

// childBadBPF loads a program the kernel's checker refuses.
func childBadBPF() {
	runtime.LockOSThread()
	SetNoNewPrivs()
	_, err := LoadFilter(bpf.Program{bpf.LoadAbs(bpf.OffNr)}, 0) // falls off the end
	var le *LoadError
	fmt.Println(errors.As(err, &le), errors.Is(err, unix.EINVAL))
}

func TestLoadFilterReportsKernelRefusal(t *testing.T) {
	requireSeccomp(t)
	out, errOut, st := runChild(t, "badbpf")
	if !st.Success() || out != "true true\n" {
		t.Fatalf("child: %v %q %s", st, out, errOut)
	}
}
