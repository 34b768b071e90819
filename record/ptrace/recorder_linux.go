package ptrace

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/kversion"
	"github.com/sysfence/sysfence/internal/procfs"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/sandbox"
	"github.com/sysfence/sysfence/seccomp"
	"github.com/sysfence/sysfence/syscalls"
)

const (
	// PTRACE_O_TRACESYSGOOD costs nothing by itself: it marks the
	// syscall-exit-stops that the loop asks for with PTRACE_SYSCALL
	// (Options.Errors, and the clones it follows to their end).
	baseOptions = unix.PTRACE_O_TRACESECCOMP | unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK |
		unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACEEXEC | unix.PTRACE_O_TRACEEXIT | unix.PTRACE_O_EXITKILL |
		unix.PTRACE_O_TRACESYSGOOD
	// syscallStop is the stop signal of a syscall-stop with
	// PTRACE_O_TRACESYSGOOD.
	syscallStop = unix.SIGTRAP | 0x80
	// cloneUntraced is CLONE_UNTRACED: the kernel does not attach the
	// child to its parent's tracer.
	cloneUntraced = 0x00800000
)

var errUnknownABI = errors.New("no register access for this ABI")

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

	// keepUntraced leaves CLONE_UNTRACED as the program passed it (tests
	// of what the recorder says of a child that escapes).
	keepUntraced bool
}

// New checks that ptrace recording can work here: Linux 5.3 or later
// (PTRACE_GET_SYSCALL_INFO) with seccomp filters. Whether this process may
// ptrace its children (Yama's ptrace_scope 3, a seccomp profile around
// sysfence) shows when Run starts the command.
func New(opts Options) (*Recorder, error) {
	if err := seccomp.CheckFilter(); err != nil {
		return nil, &record.NotSupportedError{Backend: "ptrace", Missing: "seccomp filters", Err: err}
	}
	if !kversion.AtLeast(5, 3) {
		return nil, &record.NotSupportedError{Backend: "ptrace", Missing: "Linux 5.3 or later (PTRACE_GET_SYSCALL_INFO)"}
	}
	native, err := syscalls.Native()
	if err != nil {
		return nil, &record.NotSupportedError{Backend: "ptrace", Missing: "a known architecture", Err: err}
	}
	return &Recorder{opts: opts, native: native, live: map[int]bool{}}, nil
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
	l := &loop{r: r, counters: map[uint64]*counter{}, pending: map[int]*counter{},
		clones: map[int]*cloneCall{}, held: map[int]unix.WaitStatus{}, fixChild: map[int]func(int){}}
	res, err := sandbox.Trace(cmd, &sandbox.TraceOptions{
		Filter:         bpf.Program{bpf.Ret(uint32(policy.ActTrace))}, // every syscall to the tracer
		Loop:           l.run,
		PtraceOptions:  baseOptions,
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
	clone    cloneKind // clone or clone3: its children are checked
	escaped  uint64    // children that escaped the recorder
}

// cloneKind tells where a clone call keeps its flags.
type cloneKind uint8

const (
	notClone    cloneKind = iota
	cloneInReg            // clone: the flags are the first argument
	cloneInArgs           // clone3: in struct clone_args, which the first argument points to
)

// cloneCall is a clone or clone3 call that the loop follows to its
// syscall-exit-stop: one whose CLONE_UNTRACED it cleared, and every
// clone3 (another thread can set the flag in memory after the recorder
// read it).
type cloneCall struct {
	c *counter
	// restore puts the program's flags back in a thread (the caller at
	// the exit stop, the child at its first stop); nil when the recorder
	// changed nothing.
	restore func(tid int)
	// why the child may escape (clearing the flag failed), for the
	// warning.
	why   string
	child int // the child the kernel attached, 0 until its event
}

// loop is the tracer's state; it lives on the tracer thread.
type loop struct {
	r        *Recorder
	counters map[uint64]*counter // key: arch token << 32 | nr
	pending  map[int]*counter    // Errors: the call each thread is in
	clones   map[int]*cloneCall  // clone calls followed to their exit stop
	// While some call's flags are to be restored (restoring > 0), a new
	// child's first stop is held until its parent's fork event tells
	// which call made it (fixChild), so that its copy of the flags is
	// restored before it runs.
	held      map[int]unix.WaitStatus
	fixChild  map[int]func(tid int)
	restoring int
	known     map[int]bool // threads seen
	threads   uint64
	execs     map[string]bool // Options.Files: programs executed
	mapped    map[string]bool // Options.Files: files mapped executable
	warnings  []string
	info      syscallInfo
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
	l.execs, l.mapped = map[string]bool{}, map[string]bool{}
	l.noteExe(root)
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
			if l.restoring > 0 {
				l.held[tid] = ws
				continue
			}
		}
		l.stopped(tid, ws)
	}
}

// stopped handles one ptrace-stop and resumes the thread. Errors from
// the resuming request mean the thread is gone (killed meanwhile): its
// exit is reported by wait4.
func (l *loop) stopped(tid int, ws unix.WaitStatus) {
	if fix := l.fixChild[tid]; fix != nil {
		// A child of a call whose flags the recorder changed: its copy
		// (the registers, or clone_args without CLONE_VM) gets the
		// program's back before it runs.
		delete(l.fixChild, tid)
		fix(tid)
	}
	// A thread whose syscall-exit-stop is awaited is resumed with
	// PTRACE_SYSCALL from every stop until then: PTRACE_CONT would
	// cancel it.
	resume := unix.PTRACE_CONT
	if l.pending[tid] != nil || l.clones[tid] != nil {
		resume = unix.PTRACE_SYSCALL
	}
	sig := ws.StopSignal()
	switch event := (uint32(ws) >> 16) & 0xff; event {
	case unix.PTRACE_EVENT_SECCOMP:
		c := l.syscallEntry(tid)
		delete(l.pending, tid)
		if l.r.opts.Errors && c != nil {
			l.pending[tid] = c
		}
		l.dropClone(tid, false) // its exit stop was missed
		if c != nil && c.clone != notClone {
			l.cloneEntry(tid, c)
		}
		resume = unix.PTRACE_CONT
		if l.pending[tid] != nil || l.clones[tid] != nil {
			resume = unix.PTRACE_SYSCALL
		}
		cont(resume, tid, 0)
	case 0:
		if sig == syscallStop { // a syscall-exit-stop
			l.syscallExit(tid)
			cont(unix.PTRACE_CONT, tid, 0)
			return
		}
		// A signal-delivery-stop: deliver the signal.
		cont(resume, tid, int(sig))
	case unix.PTRACE_EVENT_STOP:
		switch sig {
		case unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
			// A group-stop: stay stopped until SIGCONT.
			cont(unix.PTRACE_LISTEN, tid, 0)
		default:
			cont(resume, tid, 0)
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
			if cc := l.clones[tid]; cc != nil {
				cc.child = child
				if cc.restore != nil {
					l.fixChild[child] = cc.restore
				}
			}
			if cws, ok := l.held[child]; ok {
				delete(l.held, child)
				l.stopped(child, cws)
			}
		}
		cont(resume, tid, 0)
	case unix.PTRACE_EVENT_EXEC:
		// An exec from a non-leader thread: that thread now has the
		// leader's id, and its former id is gone without an exit report.
		if msg, err := unix.PtraceGetEventMsg(tid); err == nil && int(msg) != tid {
			l.gone(int(msg))
		}
		l.noteExe(tid)
		cont(resume, tid, 0)
	case unix.PTRACE_EVENT_EXIT:
		// The thread's memory is still mapped here: what it loaded
		// with dlopen is listed.
		l.noteMaps(tid)
		cont(resume, tid, 0)
	default: // PTRACE_EVENT_VFORK_DONE
		cont(resume, tid, 0)
	}
}

func (l *loop) gone(tid int) {
	delete(l.known, tid)
	delete(l.pending, tid)
	delete(l.held, tid)
	delete(l.fixChild, tid)
	l.dropClone(tid, false)
	l.r.removeLive(tid)
}

// cloneEntry, at the seccomp stop of a clone or clone3 call, clears
// CLONE_UNTRACED so that the kernel attaches the child as any other (the
// program's value is put back once the call has read it), and follows
// clone3 calls to their exit, where a child that escaped anyway is
// reported.
func (l *loop) cloneEntry(tid int, c *counter) {
	cc := &cloneCall{c: c}
	flags := l.info.Args[0]
	switch {
	case l.r.keepUntraced:
		cc.why = " (the recorder was told to leave the flag)"
	case c.clone == cloneInReg:
		// Registers are per thread: once cleared, nothing can set the
		// flag again before the kernel reads it.
		if flags&cloneUntraced == 0 {
			return
		}
		old, err := setArg0(tid, c.arch, func(v uint64) uint64 { return v &^ cloneUntraced })
		switch {
		case err == unix.ESRCH:
			return // killed in the stop: the call never runs
		case err != nil:
			cc.why = fmt.Sprintf(" (the recorder could not clear the flag: %v)", err)
		default:
			cc.restore = func(t int) { setArg0(t, c.arch, func(uint64) uint64 { return old }) }
		}
	case c.clone == cloneInArgs:
		// The flags are the first word of struct clone_args, in the
		// program's memory. Another thread can set CLONE_UNTRACED again
		// between this write and the kernel's read of it: this is
		// recording, not enforcement, so that race only costs
		// accuracy, and the exit stop reports the child that escaped.
		if l.info.Args[1] < 64 { // CLONE_ARGS_SIZE_VER0: the call fails with EINVAL
			return
		}
		addr := uintptr(flags)
		v, err := readWord(tid, uint64(addr))
		switch {
		case err != nil:
			cc.why = fmt.Sprintf(" (the recorder could not read its flags: %v)", err)
		case v&cloneUntraced != 0:
			cleared := v &^ cloneUntraced
			if err := pokeWord(tid, addr, cleared); err != nil {
				cc.why = fmt.Sprintf(" (the recorder could not clear the flag: %v)", err)
				break
			}
			cc.restore = func(t int) {
				// Only if nothing else wrote the word meanwhile.
				if now, err := readWord(t, uint64(addr)); err == nil && now == cleared {
					pokeWord(t, addr, v)
				}
			}
		}
	}
	l.clones[tid] = cc
	if cc.restore != nil {
		l.restoring++
	}
}

// dropClone forgets the clone call a thread was in (it has returned, or
// the thread is gone), putting the program's flags back in the thread
// when restore is set (at its exit stop), and lets held children run
// once no call has flags to restore.
func (l *loop) dropClone(tid int, restore bool) {
	cc := l.clones[tid]
	if cc == nil {
		return
	}
	delete(l.clones, tid)
	if cc.restore == nil {
		return
	}
	if restore {
		cc.restore(tid)
	}
	if l.restoring--; l.restoring > 0 {
		return
	}
	// Children whose parent's event never came (the parent was killed
	// in between) are not children of a changed call.
	for child, ws := range l.held {
		delete(l.held, child)
		l.stopped(child, ws)
	}
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
	c := &counter{token: token, nr: nr, arch: syscalls.ForCall(token, nr)}
	if c.arch == nil {
		return c
	}
	switch name, _ := c.arch.SyscallName(nr); name {
	case "clone":
		c.clone = cloneInReg
	case "clone3":
		c.clone = cloneInArgs
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

// syscallExit notes whether the call a thread was in failed, and
// whether a clone it followed made a child that escaped the recorder.
func (l *loop) syscallExit(tid int) {
	c, cc := l.pending[tid], l.clones[tid]
	if c == nil && cc == nil {
		return
	}
	delete(l.pending, tid)
	info := &l.info
	err := getSyscallInfo(tid, info)
	ok := err == nil && info.Op == unix.PTRACE_SYSCALL_INFO_EXIT
	failed := uint8(info.Args[0]) != 0 // is_error
	if c != nil && ok && failed {
		c.errors++
	}
	if cc == nil {
		return
	}
	// A clone that made a child (rval > 0 in the caller) without an
	// event made it untraced: it runs under the RET_TRACE filter with no
	// tracer, where every call fails with ENOSYS.
	if ok && !failed && int64(info.Nr) > 0 && cc.child == 0 {
		cc.c.escaped++
		name := "clone"
		if cc.c.clone == cloneInArgs {
			name = "clone3"
		}
		l.warnings = append(l.warnings, fmt.Sprintf("child %d, created by %s with CLONE_UNTRACED, escaped the recorder%s: "+
			"its syscalls fail with ENOSYS and none is recorded: the profile is incomplete", int64(info.Nr), name, cc.why))
	}
	l.dropClone(tid, true)
}

func (l *loop) warnOnce(w string) {
	for _, x := range l.warnings {
		if x == w {
			return
		}
	}
	l.warnings = append(l.warnings, w)
}

// noteExe records the program thread tid runs (Options.Files).
func (l *loop) noteExe(tid int) {
	if !l.r.opts.Files {
		return
	}
	if p, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", tid)); err == nil {
		l.execs[strings.TrimSuffix(p, " (deleted)")] = true
	}
}

// noteMaps records the files mapped executable in thread tid's process
// (Options.Files).
func (l *loop) noteMaps(tid int) {
	if !l.r.opts.Files {
		return
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", tid))
	if err != nil {
		return
	}
	for _, p := range record.ExecutableMappings(data) {
		l.mapped[p] = true
	}
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
	for p := range l.execs {
		o.Execs = append(o.Execs, p)
	}
	for p := range l.mapped {
		o.Mapped = append(o.Mapped, p)
	}
	sort.Strings(o.Execs)
	sort.Strings(o.Mapped)
	for _, c := range l.counters {
		if c.arch == nil {
			o.Warnings = append(o.Warnings, fmt.Sprintf("%d calls of syscall %d on an unknown ABI (AUDIT_ARCH %#x) are not in the profile", c.calls, c.nr, c.token))
			continue
		}
		o.Add(c.arch, c.nr, c.calls, errs(c))
		o.AddEscaped(c.arch, c.nr, c.escaped)
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

// pokeWord writes a 64-bit word of a stopped tracee's memory, as a
// debugger does (PTRACE_POKEDATA writes where the tracee may only read).
func pokeWord(tid int, addr uintptr, w uint64) error {
	var b [8]byte
	*(*uint64)(unsafe.Pointer(&b)) = w
	_, err := unix.PtracePokeData(tid, addr, b[:])
	return err
}

// sameProcess tells whether child is a thread of parent's process (a
// PTRACE_EVENT_CLONE is also reported for processes made by clone with
// an exit signal other than SIGCHLD).
func sameProcess(parent, child int) bool {
	return tgid(child) == tgid(parent)
}

func tgid(tid int) int {
	if n, ok := procfs.StatusInt(tid, "Tgid"); ok {
		return n
	}
	return -tid
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
