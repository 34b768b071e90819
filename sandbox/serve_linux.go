package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/sysdecode"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/seccomp"
	"github.com/sysfence/sysfence/syscalls"
)

// serve answers the notifications of the installed filter, one at a
// time, in the order they come. A call is notified for one of these
// reasons, and the supervisor tells them apart by running the caller's
// program and sysfence's added rules on the notification's seccomp_data
// (the answers are pure functions of it):
//
//   - reporting mode: the caller's program denies it with an errno. The
//     answer is exactly that errno; the call never runs. The first time a
//     syscall is denied with a given errno, the call is reported.
//   - audit mode: the caller's program would deny it in any way. It is
//     counted and reported, and then allowed to run (CONTINUE, see
//     below); sysfence's own added rules still apply to it.
//   - an added rule denies it with an errno (reporting mode), or sends it
//     to the supervisor: an open under supervised path rules, or a listen
//     under port rules, which the supervisor performs itself
//     (paths_linux.go, listen_linux.go).
//   - the caller's program itself answers USER_NOTIF: with no agent of
//     the caller's, the kernel would fail the call with ENOSYS, and so
//     does sysfence.
//
// CONTINUE is used in exactly one place, audit mode, where the supervisor
// decides nothing: the call would run under a filter that allows
// everything, and what the report shows of its pointer arguments may
// differ from what the kernel then reads (another thread may rewrite
// them). It is never the answer to a decision made on memory or
// descriptors the target can change: path rules without Landlock are
// enforced by opening the file in the supervisor, and listen under port
// rules by listening on the supervisor's copy of the socket.
func (s *session) serve() {
	for {
		n, err := s.listener.Receive()
		if err != nil {
			return
		}
		s.answer(n)
	}
}

// allowish reports whether an action lets the call run.
func allowish(a policy.Action) bool {
	return a.Kind() == policy.ActAllow || a.Kind() == policy.ActLog
}

func (s *session) answer(n *seccomp.Notif) {
	if h := s.opts.hooks; h != nil && h.beforeAnswer != nil {
		h.beforeAnswer(n)
	}
	if s.paths != nil {
		s.paths.blocked.superseded(n)
	}
	d := n.Data
	res, err := bpf.Run(s.profile, &d, s.native.BigEndian, false)
	if err != nil { // cannot happen: the program ran in the kernel
		s.listener.Fail(n.ID, unix.EPERM)
		return
	}
	action := policy.Action(res.Ret)
	counted := false
	if s.audit != nil && !allowish(action) {
		counted = s.auditCall(n, action)
		action = policy.ActAllow
	}
	why, added := "", false
	if allowish(action) && s.added != nil {
		if a, reason := s.added.decide(&d); !allowish(a) {
			action, why, added = a, reason, true
		}
	}
	switch action.Kind() {
	case policy.ActAllow, policy.ActLog:
		// Audit mode: the call the profile would deny runs.
		if err := s.listener.Continue(n.ID); errors.Is(err, seccomp.ErrNotifGone) && counted {
			s.audit.vanished(n.Pid, &d)
		}
	case policy.ActErrno:
		// Reported first: the memory is read while the call waits. The
		// kernel clamps a filter's errno to MAX_ERRNO.
		s.reportDenied(n, action, why)
		s.listener.Respond(seccomp.Response{ID: n.ID, Error: -int32(min(action.Data(), 4095))})
	case policy.ActUserNotif:
		if added && isListen(n) {
			s.mediateListen(n)
			return
		}
		if added && s.paths != nil && s.paths.acquire() {
			s.mediateOpen(n)
			return
		}
		s.listener.Fail(n.ID, unix.ENOSYS)
	case policy.ActTrace:
		// Only the added rules' answer to an audited call comes here (the
		// caller's TRACE is never notified): what the kernel answers a
		// tracee whose tracer, sysfence, asked for no seccomp stops.
		s.listener.Fail(n.ID, unix.ENOSYS)
	default:
		// KILL and TRAP answers are not notified.
		s.listener.Fail(n.ID, unix.EPERM)
	}
}

// reportDenied reports the first call of each syscall and errno (the
// others are counted, see reportRepeats). why, when set, explains an
// answer of sysfence's added rules.
func (s *session) reportDenied(n *seccomp.Notif, action policy.Action, why string) {
	key := deniedKey{n.Data.Arch, n.Data.Nr, action}
	s.mu.Lock()
	s.reported[key]++
	seen := s.reported[key] > 1
	if s.reported[key] == 2 {
		s.repeats = append(s.repeats, key)
	}
	s.mu.Unlock()
	if seen {
		return
	}
	call := Syscall{Arch: syscalls.ForCall(n.Data.Arch, n.Data.Nr), Nr: n.Data.Nr, Args: n.Data.Args, IP: n.Data.InstructionPointer}
	e := s.event(Denied, int(n.Pid), call, action, notifMemory{s.listener, n})
	if why != "" {
		e.Why = why
	}
	if s.listener.IDValid(n.ID) != nil {
		return // the thread is gone; what was read may not be its
	}
	s.emit(e)
}

type deniedKey struct {
	arch, nr uint32
	action   policy.Action
}

// auditCall counts a call audit mode lets through, and reports it the
// first time it is seen (as decoded). It returns whether the call is
// counted (now, or before it was restarted): a call whose notification
// vanished before it could be read is counted when it comes back.
func (s *session) auditCall(n *seccomp.Notif, action policy.Action) bool {
	d := n.Data
	if s.audit.restarted(n.Pid, &d) {
		return true // the same call, restarted after a signal: counted already
	}
	call := Syscall{Arch: syscalls.ForCall(d.Arch, d.Nr), Nr: d.Nr, Args: d.Args, IP: d.InstructionPointer}
	mem := notifMemory{s.listener, n}
	tgid := s.procs.tgid(int(n.Pid))
	e := s.eventOf(Audited, int(n.Pid), tgid, call, action, mem)
	args, argsOK, hasArgs := argValues(call, mem)
	if s.listener.IDValid(n.ID) != nil {
		// Interrupted or killed meanwhile: what was read may not be the
		// thread's. A restarted call comes back and is counted then.
		return false
	}
	process := e.Command + "[" + strconv.Itoa(tgid) + "]"
	if s.audit.add(call, action, e.Why, process, e.Call, args, argsOK, hasArgs) {
		e.Pid = tgid
		s.emit(e)
	}
	return true
}

// argValues reads the deciding arguments record.ArgSpecs names for the
// call (clone3's flags from its struct clone_args).
func argValues(call Syscall, mem sysdecode.Memory) (v record.ArgValues, ok, has bool) {
	if call.Arch == nil {
		return v, false, false
	}
	spec, has := record.ArgSpecFor(call.Arch, call.Nr)
	if !has {
		return v, false, false
	}
	for i, f := range spec.Fields {
		val := call.Args[f.Index]
		if call.Arch.Bits == 32 {
			val = uint64(uint32(val))
		}
		if f.Deref {
			var buf [8]byte
			if val == 0 {
				return v, false, true
			}
			if _, err := mem.ReadAt(buf[:], int64(val)); err != nil {
				return v, false, true
			}
			val = binary.NativeEndian.Uint64(buf[:])
		}
		v[i] = val
	}
	return v, true, true
}

// notifMemory reads the memory of a notifying thread with
// process_vm_readv(2), and checks after every read that the notification
// is still pending (SECCOMP_IOCTL_NOTIF_ID_VALID): the thread is then
// alive and blocked in the call, so its id cannot have been reused by
// another process and the bytes are its own. No file is opened, so a read
// costs two system calls.
type notifMemory struct {
	l *seccomp.Listener
	n *seccomp.Notif
}

func (m notifMemory) ReadAt(p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	local := []unix.Iovec{{Base: &p[0], Len: uint64(len(p))}}
	remote := []unix.RemoteIovec{{Base: uintptr(off), Len: len(p)}}
	got, err := unix.ProcessVMReadv(int(m.n.Pid), local, remote, 0)
	if verr := m.l.IDValid(m.n.ID); verr != nil {
		return 0, verr
	}
	if err != nil {
		return 0, err
	}
	if got < len(p) {
		return got, errors.New("short read")
	}
	return got, nil
}

// reportRepeats says, once the command has ended, how many more calls of
// each reported kind were denied: each kind is reported once, so that a
// loop of denied calls does not flood the terminal, but none is hidden.
func (s *session) reportRepeats() {
	s.mu.Lock()
	var parts []string
	for _, k := range s.repeats {
		name := fmt.Sprintf("syscall %d", k.nr)
		if a := syscalls.ForCall(k.arch, k.nr); a != nil {
			name = sysdecode.Decoder{Arch: a, Native: s.native}.Name(k.nr)
		}
		parts = append(parts, fmt.Sprintf("%s %d more (%s)", name, s.reported[k]-1, errnoName(k.action.Data())))
	}
	s.mu.Unlock()
	if len(parts) > 0 {
		s.emit(Event{Kind: Notice, Why: "also denied, not reported again: " + strings.Join(parts, ", ")})
	}
}
