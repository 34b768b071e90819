package sandbox

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/launch"
	"github.com/sysfence/sysfence/internal/sysdecode"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// Reporting mode keeps sysfence attached to the command and its
// descendants as a ptrace observer: no syscall stops (the command's
// syscalls cost nothing extra), only the events that say how a thread
// ends (PTRACE_EVENT_EXIT), forks and execs (to follow children) and the
// signals the command receives, which are passed on unchanged. A filter
// kill shows at the dying thread's exit stop, where the kernel has rolled
// its registers back to the syscall; a strict-mode kill likewise. The
// call is confirmed by running the installed program on it.

// traceOptions: the observer follows every descendant (launch.Follow).
const traceOptions = launch.FollowOptions

func ptrace(req int, pid int, addr, data uintptr) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(pid), addr, data, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// tracer is the observer's state (a launch.Observer).
type tracer struct {
	s      *session
	root   int
	traps  map[int]trapNote // thread -> the confirmed TRAP whose SIGSYS it was last given
	killed map[int]bool     // processes whose kill was reported
}

// trace follows the command until it ends (launch.Follow: the
// descendants it left are killed), observing how its threads end.
func (s *session) trace(proc *launch.Process) (*unix.WaitStatus, error) {
	t := &tracer{s: s, root: proc.Pid, traps: map[int]trapNote{}, killed: map[int]bool{}}
	s.relay.Observed()
	return proc.Follow(t)
}

// Signal notes a SIGSYS (for a TRAP report) and tells the relay which
// signals reached the command.
func (t *tracer) Signal(tid int, sig unix.Signal) {
	if sig == unix.SIGSYS {
		t.noteTrap(tid)
	}
	// A thread whose id is the command's pid is its main thread: no /proc
	// read (~0.1 ms) for the SIGCONT that seize sends.
	if tid == t.root || t.s.procs.tgid(tid) == t.root {
		t.s.relay.Saw(sig)
	}
}

// Exiting looks at how a thread ends (see exiting).
func (t *tracer) Exiting(tid int) { t.exiting(tid) }

// Execed notes a new program: the process has a new name, which the
// cache forgets before the new program runs (it is stopped here).
func (t *tracer) Execed(tid int) {
	if tid == t.root {
		t.s.rootExeced.Store(true)
	}
	t.s.procs.execed(tid)
}

// noteTrap looks at a SIGSYS about to be delivered to thread tid and
// remembers the call when it is a TRAP answer of the installed filter, in
// case the signal kills the process.
//
// The siginfo alone proves nothing: a thread may send itself a SIGSYS
// with any siginfo (rt_tgsigqueueinfo to its own thread and
// rt_sigqueueinfo to its own process accept a positive si_code such as
// SYS_SECCOMP), naming any call. So the thread's state must show the
// trap: the kernel rolls a trapped call's registers back (the number is
// in rax again) and delivers the SIGSYS on the return from that call, so
// the thread is right after a syscall instruction (si_call_addr is that
// PC) in the call the siginfo names (number and ABI), and the installed
// program, run on that call, answers TRAP with the siginfo's data. A call
// that ran cannot be one the program traps, so neither a forgery nor a
// TRAP of a filter the command installed itself passes. Any other SIGSYS
// forgets what an earlier one noted.
func (t *tracer) noteTrap(tid int) {
	delete(t.traps, tid)
	if !t.s.filterKills() {
		return
	}
	var si [128]byte
	if ptrace(unix.PTRACE_GETSIGINFO, tid, 0, uintptr(unsafe.Pointer(&si[0]))) != nil {
		return
	}
	const sysSECCOMP = 1 // si_code of a seccomp SIGSYS
	if int32(binary.NativeEndian.Uint32(si[8:])) != sysSECCOMP {
		return
	}
	// struct siginfo: signo, errno, code (ints), then on 64-bit ABIs the
	// union at offset 16: _sigsys { void *call_addr; int syscall; u32 arch }.
	data := binary.NativeEndian.Uint32(si[4:])
	callAddr := binary.NativeEndian.Uint64(si[16:])
	nr := binary.NativeEndian.Uint32(si[24:])
	arch := binary.NativeEndian.Uint32(si[28:])
	r, err := getRegs(tid)
	if err != nil || !killedByFilter(&r) {
		return
	}
	before := t.insnBefore(tid, &r)
	if !afterSyscallInsn(before) {
		return
	}
	call, ok := t.callAt(tid, &r)
	if !ok || call.Arch == nil || call.Arch.AuditArch != arch || call.Nr != nr || call.IP != callAddr {
		return
	}
	d := call.Data()
	res, err := bpf.Run(t.s.orig, &d, t.s.native.BigEndian, false)
	action := policy.Action(res.Ret)
	if err != nil || action.Kind() != policy.ActTrap || uint32(action.Data()) != data {
		return
	}
	t.traps[tid] = trapNote{call: call, action: action}
}

// filterKills reports whether the installed filter gives the kill and
// trap answers of s.orig. In audit mode it does not (they are notified
// and the calls run), so no SIGSYS and no death is ever its doing: a
// command that dies of a SIGSYS it sent itself, right after a call the
// profile kills returned its own number (read(fd, buf, 0)), has
// registers just like those of a call the filter killed.
func (s *session) filterKills() bool {
	return !s.opts.Strict && s.audit == nil && s.orig != nil
}

// trapNote is a confirmed TRAP answer whose SIGSYS is being delivered.
type trapNote struct {
	call   Syscall
	action policy.Action
}

// exiting looks at a thread about to exit: did the filter (or strict
// mode) kill it, and in which call?
func (t *tracer) exiting(tid int) {
	msg, err := unix.PtraceGetEventMsg(tid)
	if err != nil {
		return
	}
	st := unix.WaitStatus(msg)
	if !st.Signaled() {
		delete(t.traps, tid)
		return
	}
	tgid := t.s.procs.tgid(tid)
	if t.killed[tgid] {
		return
	}
	var call Syscall
	var action policy.Action
	threadOnly := false
	switch {
	case t.s.opts.Strict && st.Signal() == unix.SIGSEGV:
		r, err := getRegs(tid)
		if err != nil {
			return
		}
		code := make([]byte, 8)
		if _, err := unix.PtracePeekText(tid, uintptr(pc(&r)), code); err != nil {
			return
		}
		insn := tscInstruction(code)
		if insn == "" {
			return
		}
		t.killed[tgid] = true
		t.s.emit(Event{Kind: Killed, Pid: tid, Command: t.s.commandName(tid), Action: policy.ActKillThread, Strict: true,
			Call: "the " + insn + " instruction", Why: "strict mode also disables the time stamp counter"})
		return
	case t.s.opts.Strict && st.Signal() == unix.SIGKILL:
		r, err := getRegs(tid)
		if err != nil || !killedByStrict(&r) {
			return
		}
		call, _ = t.callAt(tid, &r)
		action = policy.ActKillThread
	case t.s.filterKills() && st.Signal() == unix.SIGSYS:
		// A KILL answer leaves the registers rolled back to the call; a
		// TRAP answer did too, but the program may have handled earlier
		// TRAPs, so the call is checked first and the last TRAP is the
		// fallback.
		killed := false
		if r, err := getRegs(tid); err == nil && (killedByFilter(&r) || killedInCall(&r)) {
			if c, ok := t.callAt(tid, &r); ok {
				d := c.Data()
				res, err := bpf.Run(t.s.orig, &d, t.s.native.BigEndian, false)
				act := policy.Action(res.Ret)
				// Registers that were not rolled back fit a thread kill only.
				if err == nil && act.IsKill() && (killedByFilter(&r) || act.Kind() == policy.ActKillThread) {
					call, action, killed = c, act, true
					// The kernel rolls the registers back only to end the
					// process (KILL_PROCESS, or KILL_THREAD of its last
					// thread); a KILL_THREAD while other threads live ends
					// this thread alone, and the process goes on.
					threadOnly = !killedByFilter(&r)
				}
			}
		}
		if !killed {
			// A TRAP's SIGSYS kills on delivery, with the registers as
			// they were at the trap; a thread that handled its trap and
			// died of another SIGSYS later is elsewhere.
			trap, ok := t.traps[tid]
			if !ok {
				return
			}
			r, err := getRegs(tid)
			if err != nil || !killedByFilter(&r) {
				return
			}
			if c, ok := t.callAt(tid, &r); !ok || c != trap.call {
				return
			}
			call, action = trap.call, trap.action
		}
	default:
		return
	}
	if !threadOnly {
		t.killed[tgid] = true // its other threads die with it: one report
	}
	mem, err := sysdecode.OpenProcMem(tid)
	if err == nil {
		defer mem.Close()
	}
	var m sysdecode.Memory
	if mem != nil {
		m = mem
	}
	e := t.s.event(Killed, tid, call, action, m)
	e.Thread = threadOnly
	t.s.emit(e)
}

// callAt reads the syscall a stopped thread is in.
func (t *tracer) callAt(tid int, r *regs) (Syscall, bool) {
	token, nr, args, ip, ok := stoppedSyscall(r, t.insnBefore(tid, r))
	if !ok {
		return Syscall{}, false
	}
	return Syscall{Arch: syscalls.ForCall(token, nr), Nr: nr, Args: args, IP: ip}, true
}

// insnBefore reads the two bytes before a stopped thread's PC (nil if
// they cannot be read).
func (t *tracer) insnBefore(tid int, r *regs) []byte {
	ip := pc(r)
	if ip < 2 {
		return nil
	}
	word := make([]byte, 8)
	if _, err := unix.PtracePeekText(tid, uintptr(ip-2), word); err != nil {
		return nil
	}
	return word[:2]
}
