package ptrace

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/sandbox"
	"github.com/sysfence/sysfence/seccomp"
	"github.com/sysfence/sysfence/syscalls"
)

// traceFilter sends every syscall to the tracer: RET_TRACE with no data.
var traceFilter = bpf.Program{bpf.Ret(uint32(policy.ActTrace))}

const (
	baseOptions = unix.PTRACE_O_TRACESECCOMP | unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK |
		unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACEEXEC | unix.PTRACE_O_TRACEEXIT | unix.PTRACE_O_EXITKILL
	// syscallStop is the stop signal of a syscall-stop with
	// PTRACE_O_TRACESYSGOOD.
	syscallStop = unix.SIGTRAP | 0x80
)

// Recorder records the syscalls of one command and its descendants.
type Recorder struct {
	opts   Options
	native *syscalls.Arch

	// Shared with other goroutines (Progress, Kill).
	processes atomic.Uint64
	distinct  atomic.Int64
	rootDone  atomic.Bool
	mu        sync.Mutex
	live      map[int]bool // thread ids known alive, for Kill
	killing   bool
	ran       bool
}

// New checks that ptrace recording can work here: Linux 5.3 or later
// (PTRACE_GET_SYSCALL_INFO) with seccomp filters. Whether this process may
// ptrace its children (Yama's ptrace_scope 3, a seccomp profile around
// sysfence) shows when Run starts the command.
func New(opts Options) (*Recorder, error) {
	if err := seccomp.CheckFilter(); err != nil {
		return nil, &record.NotSupportedError{Backend: "ptrace", Missing: "seccomp filters", Err: err}
	}
	if !kernelAtLeast(5, 3) {
		return nil, &record.NotSupportedError{Backend: "ptrace", Missing: "Linux 5.3 or later (PTRACE_GET_SYSCALL_INFO)"}
	}
	native, err := syscalls.Native()
	if err != nil {
		return nil, &record.NotSupportedError{Backend: "ptrace", Missing: "a known architecture", Err: err}
	}
	return &Recorder{opts: opts, native: native, live: map[int]bool{}}, nil
}

func kernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	var ma, mi int
	fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &ma, &mi)
	return ma > major || ma == major && mi >= minor
}

// Run starts cmd (sandbox.Trace: the command's stdio, process group and
// exit status are as under `sysfence run`), records it and every thread
// and process it creates until all have exited, and returns what was
// recorded and how the command ended. A command that cannot be started
// is an *sandbox.ExecError and nothing is recorded. A Recorder runs once.
func (r *Recorder) Run(cmd *sandbox.Command) (*record.Observations, *sandbox.Result, error) {
	r.mu.Lock()
	if r.ran {
		r.mu.Unlock()
		return nil, nil, errors.New("ptrace: Run called twice")
	}
	r.ran = true
	r.mu.Unlock()
	l := &loop{r: r, counters: map[uint64]*counter{}, pending: map[int]*counter{}}
	options := baseOptions
	if r.opts.Errors {
		options |= unix.PTRACE_O_TRACESYSGOOD
	}
	res, err := sandbox.Trace(cmd, &sandbox.TraceOptions{
		Filter:         traceFilter,
		Loop:           l.run,
		PtraceOptions:  options,
		ForwardSignals: r.opts.ForwardSignals,
	})
	if err != nil {
		return nil, nil, err
	}
	return l.observations(), res, nil
}

// Progress returns what has been seen so far; it may be called from any
// goroutine while Run runs.
func (r *Recorder) Progress() record.Progress {
	return record.Progress{Processes: r.processes.Load(), Syscalls: int(r.distinct.Load())}
}

// CommandExited reports whether the command itself has exited (its
// descendants may still run and be recorded).
func (r *Recorder) CommandExited() bool { return r.rootDone.Load() }

// Kill ends the recording early: every traced process is killed, and Run
// returns what was recorded until then. It may be called from any
// goroutine.
func (r *Recorder) Kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.killing = true
	for tid := range r.live {
		unix.Kill(tid, unix.SIGKILL)
	}
}

// addLive notes a thread; it is killed at once if Kill was called.
func (r *Recorder) addLive(tid int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.live[tid] = true
	if r.killing {
		unix.Kill(tid, unix.SIGKILL)
	}
}

func (r *Recorder) removeLive(tid int) {
	r.mu.Lock()
	delete(r.live, tid)
	r.mu.Unlock()
}

// counter is one syscall on one ABI.
type counter struct {
	arch     *syscalls.Arch // nil: an AUDIT_ARCH token sysfence does not know
	token    uint32
	nr       uint32
	calls    uint64
	errors   uint64
	spec     *record.ArgSpec // deciding arguments, with --args
	args     map[record.ArgValues]uint64
	argsLost bool
}

// loop is the tracer's state; it lives on the tracer thread.
type loop struct {
	r        *Recorder
	counters map[uint64]*counter // key: arch token << 32 | nr
	pending  map[int]*counter    // Errors: the call each thread is in
	known    map[int]bool        // threads seen
	threads  uint64
	warnings []string
	info     syscallInfo
}

// syscallInfo is struct ptrace_syscall_info (linux/ptrace.h).
type syscallInfo struct {
	Op   uint8
	_    [3]uint8
	Arch uint32
	IP   uint64
	SP   uint64
	// Entry and seccomp stops: Nr and Args. Exit stops: Nr holds rval
	// and the low byte of Args[0] is_error.
	Nr      uint64
	Args    [6]uint64
	RetData uint32
	_       uint32
}

// run is the tracer loop (sandbox.TraceOptions.Loop).
func (l *loop) run(root int) (syscall.WaitStatus, error) {
	restore := quietSIGCHLD()
	defer restore()
	l.known = map[int]bool{root: true}
	l.r.processes.Add(1)
	l.r.addLive(root)
	var rootStatus unix.WaitStatus
	rootDone := false
	if err := cont(unix.PTRACE_CONT, root, 0); err != nil {
		return 0, fmt.Errorf("ptrace: starting the command: %w", err)
	}
	for {
		var ws unix.WaitStatus
		tid, err := unix.Wait4(-1, &ws, unix.WALL, nil)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.ECHILD:
			if !rootDone {
				return 0, errors.New("ptrace: the command vanished without an exit status")
			}
			return syscall.WaitStatus(rootStatus), nil
		case err != nil:
			return 0, fmt.Errorf("ptrace: wait4: %w", err)
		}
		if ws.Exited() || ws.Signaled() {
			l.gone(tid)
			if tid == root {
				rootStatus, rootDone = ws, true
				l.r.rootDone.Store(true)
			}
			continue
		}
		if !ws.Stopped() {
			continue
		}
		if !l.known[tid] {
			// A new child can report its first stop before its parent
			// reports the event that created it.
			l.known[tid] = true
			l.r.addLive(tid)
		}
		l.stopped(tid, ws)
	}
}

// stopped handles one ptrace-stop and resumes the thread. Errors from
// the resuming request mean the thread is gone (killed meanwhile): its
// exit is reported by wait4.
func (l *loop) stopped(tid int, ws unix.WaitStatus) {
	sig := ws.StopSignal()
	switch event := (uint32(ws) >> 16) & 0xff; event {
	case unix.PTRACE_EVENT_SECCOMP:
		c := l.syscallEntry(tid)
		if l.r.opts.Errors && c != nil {
			l.pending[tid] = c
			cont(unix.PTRACE_SYSCALL, tid, 0)
			return
		}
		cont(unix.PTRACE_CONT, tid, 0)
	case 0:
		if sig == syscallStop { // Errors: a syscall-exit-stop
			l.syscallExit(tid)
			cont(unix.PTRACE_CONT, tid, 0)
			return
		}
		// A signal-delivery-stop: deliver the signal.
		cont(unix.PTRACE_CONT, tid, int(sig))
	case unix.PTRACE_EVENT_STOP:
		switch sig {
		case unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
			// A group-stop: stay stopped until SIGCONT.
			cont(unix.PTRACE_LISTEN, tid, 0)
		default:
			cont(unix.PTRACE_CONT, tid, 0)
		}
	case unix.PTRACE_EVENT_FORK, unix.PTRACE_EVENT_VFORK, unix.PTRACE_EVENT_CLONE:
		if msg, err := unix.PtraceGetEventMsg(tid); err == nil {
			child := int(msg)
			if event == unix.PTRACE_EVENT_CLONE && sameProcess(tid, child) {
				l.threads++
			} else {
				l.r.processes.Add(1)
			}
			if !l.known[child] {
				l.known[child] = true
				l.r.addLive(child)
			}
		}
		cont(unix.PTRACE_CONT, tid, 0)
	case unix.PTRACE_EVENT_EXEC:
		// An exec from a non-leader thread: that thread now has the
		// leader's id, and its former id is gone without an exit report.
		if msg, err := unix.PtraceGetEventMsg(tid); err == nil && int(msg) != tid {
			l.gone(int(msg))
		}
		cont(unix.PTRACE_CONT, tid, 0)
	default: // PTRACE_EVENT_EXIT, PTRACE_EVENT_VFORK_DONE
		cont(unix.PTRACE_CONT, tid, 0)
	}
}

func (l *loop) gone(tid int) {
	delete(l.known, tid)
	delete(l.pending, tid)
	l.r.removeLive(tid)
}

// syscallEntry counts the call a seccomp stop is in.
func (l *loop) syscallEntry(tid int) *counter {
	info := &l.info
	err := getSyscallInfo(tid, info)
	switch {
	case err == unix.ESRCH:
		// Killed in the stop (another thread's exit_group): the call
		// never runs, and the eBPF backend, whose sys_enter comes after
		// seccomp, would not count it either.
		return nil
	case err != nil || info.Op != unix.PTRACE_SYSCALL_INFO_SECCOMP:
		l.warnOnce(fmt.Sprintf("could not read a syscall of thread %d (op %d): %v", tid, info.Op, err))
		return nil
	}
	nr := uint32(info.Nr)
	key := uint64(info.Arch)<<32 | uint64(nr)
	c := l.counters[key]
	if c == nil {
		c = l.newCounter(info.Arch, nr)
		l.counters[key] = c
		l.r.distinct.Store(int64(len(l.counters)))
	}
	c.calls++
	if c.spec != nil {
		l.addArgs(tid, c, &info.Args)
	}
	return c
}

func (l *loop) newCounter(token, nr uint32) *counter {
	c := &counter{token: token, nr: nr, arch: archOf(token, nr)}
	if c.arch == nil {
		return c
	}
	if l.r.opts.Args {
		if spec, ok := record.ArgSpecFor(c.arch, nr); ok {
			c.spec = &spec
			c.args = map[record.ArgValues]uint64{}
		}
	}
	return c
}

// addArgs records the deciding argument values of a call: the registers,
// or for clone3 the flags word its first argument points to.
func (l *loop) addArgs(tid int, c *counter, args *[6]uint64) {
	var v record.ArgValues
	for i, f := range c.spec.Fields {
		x := args[f.Index]
		if f.Deref {
			var err error
			if x, err = readWord(tid, x); err != nil {
				c.argsLost = true
				return
			}
		}
		v[i] = x
	}
	c.args[v]++
}

// syscallExit notes whether the call a thread was in failed.
func (l *loop) syscallExit(tid int) {
	c := l.pending[tid]
	if c == nil {
		return
	}
	delete(l.pending, tid)
	info := &l.info
	if err := getSyscallInfo(tid, info); err != nil || info.Op != unix.PTRACE_SYSCALL_INFO_EXIT {
		return
	}
	if uint8(info.Args[0]) != 0 { // is_error
		c.errors++
	}
}

func (l *loop) warnOnce(w string) {
	for _, x := range l.warnings {
		if x == w {
			return
		}
	}
	l.warnings = append(l.warnings, w)
}

// observations turns the counters into record.Observations.
func (l *loop) observations() *record.Observations {
	o := record.New()
	o.ArgsRecorded = l.r.opts.Args
	o.Processes = l.r.processes.Load()
	o.Threads = l.threads
	o.Warnings = append(o.Warnings, l.warnings...)
	errs := func(c *counter) int64 {
		if l.r.opts.Errors {
			return int64(c.errors)
		}
		return -1
	}
	// The execve that started the command ran before the filter: it is
	// the launcher's, on the native ABI, and it succeeded.
	if execve, ok := l.r.native.Number("execve"); ok && o.Processes > 0 {
		o.Add(l.r.native, execve, 1, errs(&counter{}))
	}
	for _, c := range l.counters {
		if c.arch == nil {
			o.Warnings = append(o.Warnings, fmt.Sprintf("%d calls of syscall %d on an unknown ABI (AUDIT_ARCH %#x) are not in the profile", c.calls, c.nr, c.token))
			continue
		}
		o.Add(c.arch, c.nr, c.calls, errs(c))
		if c.spec == nil {
			continue
		}
		for v, n := range c.args {
			o.AddArgs(c.arch, c.nr, v, n)
		}
		if c.argsLost {
			o.MarkArgsIncomplete(c.arch, c.nr)
			o.Warnings = append(o.Warnings, fmt.Sprintf("not every argument value of %s/%s was readable; its rule will not restrict arguments", c.arch.Name, c.spec.Name))
		}
	}
	return o
}

// archOf maps an AUDIT_ARCH token and a number (the x32 bit) to an ABI.
func archOf(token, nr uint32) *syscalls.Arch {
	for _, a := range syscalls.ByAuditArch(token) {
		if a.IsX32() == (nr&syscalls.X32SyscallBit != 0) {
			return a
		}
	}
	return nil
}

// cont resumes a stopped thread with a ptrace request (CONT, SYSCALL,
// LISTEN). It cannot block: a raw syscall, no scheduler round trip.
func cont(req, tid, sig int) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), 0, uintptr(sig), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func getSyscallInfo(tid int, info *syscallInfo) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_GET_SYSCALL_INFO, uintptr(tid),
		unsafe.Sizeof(*info), uintptr(unsafe.Pointer(info)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// readWord reads a 64-bit word of a stopped tracee's memory.
func readWord(tid int, addr uint64) (uint64, error) {
	var w uint64
	local := []unix.Iovec{{Base: (*byte)(unsafe.Pointer(&w)), Len: 8}}
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: 8}}
	n, err := unix.ProcessVMReadv(tid, local, remote, 0)
	if err != nil {
		return 0, err
	}
	if n != 8 {
		return 0, fmt.Errorf("short read at %#x", addr)
	}
	return w, nil
}

// sameProcess tells whether child is a thread of parent's process (a
// PTRACE_EVENT_CLONE is also reported for processes made by clone with
// an exit signal other than SIGCHLD).
func sameProcess(parent, child int) bool {
	return tgid(child) == tgid(parent)
}

func tgid(tid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return -tid
	}
	_, rest, ok := strings.Cut(string(b), "\nTgid:")
	if !ok {
		return -tid
	}
	line, _, _ := strings.Cut(rest, "\n")
	n, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return -tid
	}
	return n
}

// sigaction is the kernel's struct sigaction (x86_64 layout, which most
// 64-bit ABIs share: handler, flags, restorer, mask).
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// quietSIGCHLD sets SIGCHLD to SIG_DFL while the loop runs and returns a
// function that puts the previous action back. Every ptrace-stop sends
// the tracer a SIGCHLD; the Go runtime has a handler for every signal,
// so each stop would also deliver a signal to this process (a signal
// frame, the FPU state saved and restored: as much kernel time as the
// stop itself). Under SIG_DFL the kernel drops SIGCHLD when it is sent
// (its default action is to ignore it); wait4 does not need it, and
// unlike SIG_IGN, SIG_DFL keeps exit statuses for wait4. Nothing in
// sysfence asks for SIGCHLD through os/signal.
func quietSIGCHLD() (restore func()) {
	var old sigaction
	def := sigaction{handler: 0} // SIG_DFL
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGCHLD), uintptr(unsafe.Pointer(&def)),
		uintptr(unsafe.Pointer(&old)), 8, 0, 0); e != 0 {
		return func() {}
	}
	return func() {
		unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGCHLD), uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
	}
}
