package sandbox

import (
	"errors"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/seccomp"
)

// serve answers the notifications of the installed filter: each is a call
// the caller's program denies with an errno (or one it sends to a
// notification agent itself). The answer is exactly the caller's
// program's, computed by running it on the notification's seccomp_data;
// the call never runs. The first time a syscall is denied with a given
// errno, the call is reported before the answer is sent.
func (s *session) serve() {
	for {
		n, err := s.listener.Receive()
		if err != nil {
			return
		}
		res, err := bpf.Run(s.orig, &n.Data, s.native.BigEndian, false)
		action := policy.Action(res.Ret)
		resp := seccomp.Response{ID: n.ID}
		switch {
		case err != nil:
			resp.Error = -int32(unix.EPERM) // cannot happen: the program ran in the kernel
		case action.Kind() == policy.ActErrno:
			// The kernel clamps a filter's errno to MAX_ERRNO.
			resp.Error = -int32(min(action.Data(), 4095))
			s.reportDenied(n, action)
		default:
			// The program's own USER_NOTIF: with no agent of the
			// caller's, the kernel would fail the call with ENOSYS.
			resp.Error = -int32(unix.ENOSYS)
		}
		s.listener.Respond(resp) // ErrNotifGone: the thread died meanwhile
	}
}

// reportDenied reports the first call of each syscall and errno.
func (s *session) reportDenied(n *seccomp.Notif, action policy.Action) {
	key := deniedKey{n.Data.Arch, n.Data.Nr, action}
	s.mu.Lock()
	seen := s.reported[key]
	s.reported[key] = true
	s.mu.Unlock()
	if seen {
		return
	}
	call := Syscall{Arch: archOf(n.Data.Arch, n.Data.Nr), Nr: n.Data.Nr, Args: n.Data.Args, IP: n.Data.InstructionPointer}
	e := s.event(Denied, int(n.Pid), call, action, notifMemory{s.listener, n})
	if s.listener.IDValid(n.ID) != nil {
		return // the thread is gone; what was read may not be its
	}
	s.emit(e)
}

type deniedKey struct {
	arch, nr uint32
	action   policy.Action
}

// notifMemory reads the memory of a notifying thread, checking after each
// read that the notification is still pending.
type notifMemory struct {
	l *seccomp.Listener
	n *seccomp.Notif
}

func (m notifMemory) ReadAt(p []byte, off int64) (int, error) {
	n, err := m.l.ReadMemory(m.n, uint64(off), p)
	if err == nil && n < len(p) {
		err = errors.New("short read")
	}
	return n, err
}
