package sandbox

import (
	"encoding/binary"
	"errors"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/seccomp"
	"github.com/sysfence/sysfence/syscalls"
)

// Port rules and listen(2).
//
// Landlock checks the port at bind(2) and connect(2). listen(2) on a TCP
// socket that is not bound binds it first, to a port the kernel picks
// (autobind), and Landlock does not check that: a command could listen on
// a random port and accept connections from outside, past its bind
// rules. So with port rules the filter sends listen (and socketcall's
// SYS_LISTEN) to the supervisor, which
//
//  1. takes the socket with pidfd_getfd: its copy is the same open file
//     description as the command's descriptor, so another thread that
//     closes the number or dup2s another socket onto it meanwhile changes
//     nothing about what is checked and listened on;
//  2. checks it: a TCP (or MPTCP) socket of AF_INET or AF_INET6 must be
//     bound to a port (Landlock checked that bind; a socket once bound
//     stays bound, so the answer cannot be raced); an unbound one fails
//     with EACCES, Landlock's answer to a refused bind. Any other
//     descriptor (UNIX, SCTP, not a socket) is the kernel's to judge;
//  3. calls listen(backlog) on its copy and answers with the result.
//
// Answering CONTINUE after the check would let the kernel look the
// number up again, maybe finding an unbound socket there (a test shows a
// CONTINUE supervisor losing this race). The cost is a notification round
// trip per listen, a call servers make once per socket; every other call
// is untouched.

// needsListenSupervisor reports whether the options' port rules need the
// supervisor for listen: it then stays attached even in quiet mode, as
// for supervised paths.
func needsListenSupervisor(opts *Options) bool {
	return !opts.Strict && opts.Landlock != nil && opts.Landlock.HandledNet != 0
}

const (
	sysListenCall = 4 // SYS_LISTEN, socketcall's call number for listen(2)
	ipprotoTCP    = 6
)

// reasonListen explains a refused listen.
const reasonListen = "port rules: the socket is not bound, and listen(2) would bind it to a port the kernel picks, " +
	"which Landlock does not check; bind it to an allowed port first"

// isListen reports whether a notified call is listen(2), directly or
// through socketcall(2).
func isListen(n *seccomp.Notif) bool {
	arch := syscalls.ForCall(n.Data.Arch, n.Data.Nr)
	if arch == nil {
		return false
	}
	switch name, _ := arch.SyscallName(n.Data.Nr); name {
	case "listen":
		return true
	case "socketcall":
		return uint32(n.Data.Args[0]) == sysListenCall
	}
	return false
}

// mediateListen answers a listen the filter sent to the supervisor.
func (s *session) mediateListen(n *seccomp.Notif) {
	if h := s.opts.hooks; h != nil && h.listenHandler != nil {
		h.listenHandler(s, n)
		return
	}
	fd, backlog, errno := s.readListen(n)
	if errno == 0 {
		var sock int
		if sock, errno = s.takeFd(n, fd); errno == 0 {
			errno = s.listenOn(n, sock, backlog)
			unix.Close(sock)
		}
	}
	if errno != 0 {
		s.listener.Fail(n.ID, errno)
		return
	}
	s.listener.Return(n.ID, 0)
}

// listenOn checks the socket the command asked to listen on (sock, the
// supervisor's copy) and listens on it.
func (s *session) listenOn(n *seccomp.Notif, sock, backlog int) unix.Errno {
	if !boundOrNotTCP(sock) {
		s.reportDenied(n, policy.Errno(uint16(unix.EACCES)), reasonListen)
		return unix.EACCES
	}
	if err := unix.Listen(sock, backlog); err != nil {
		return errnoOf(err)
	}
	return 0
}

// boundOrNotTCP reports whether listen may go ahead on sock: it is bound
// to a port, or it is not an IPv4 or IPv6 TCP or MPTCP socket (which
// Landlock's port rules do not cover, or nothing listen can bind).
func boundOrNotTCP(sock int) bool {
	domain, err := unix.GetsockoptInt(sock, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil || domain != unix.AF_INET && domain != unix.AF_INET6 {
		return true // not a socket (listen says ENOTSOCK), or not IP
	}
	typ, err := unix.GetsockoptInt(sock, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil || typ != unix.SOCK_STREAM {
		return err == nil
	}
	proto, err := unix.GetsockoptInt(sock, unix.SOL_SOCKET, unix.SO_PROTOCOL)
	if err != nil || proto != ipprotoTCP && proto != ipprotoMPTCP {
		return err == nil
	}
	sa, err := unix.Getsockname(sock)
	if err != nil {
		return false
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return a.Port != 0
	case *unix.SockaddrInet6:
		return a.Port != 0
	}
	return false
}

// readListen reads listen's descriptor and backlog (from memory for
// socketcall, whose arguments are an array of longs: 32-bit on the ABIs
// that have it here).
func (s *session) readListen(n *seccomp.Notif) (fd, backlog int, errno unix.Errno) {
	a := n.Data.Args
	arch := syscalls.ForCall(n.Data.Arch, n.Data.Nr)
	if arch == nil {
		return 0, 0, unix.ENOSYS
	}
	if name, _ := arch.SyscallName(n.Data.Nr); name != "socketcall" {
		return int(int32(a[0])), int(int32(a[1])), 0
	}
	if arch.Bits != 32 {
		return 0, 0, unix.ENOSYS
	}
	var buf [8]byte
	if _, err := (notifMemory{s.listener, n}).ReadAt(buf[:], int64(uint32(a[1]))); err != nil {
		if errors.Is(err, seccomp.ErrNotifGone) {
			return 0, 0, unix.EINTR // nobody will see the answer
		}
		return 0, 0, unix.EFAULT
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if arch.BigEndian {
		order = binary.BigEndian
	}
	return int(int32(order.Uint32(buf[0:]))), int(int32(order.Uint32(buf[4:]))), 0
}

// takeFd returns a copy of descriptor fd of the notifying thread's
// process (pidfd_getfd: the same open file description).
func (s *session) takeFd(n *seccomp.Notif, fd int) (int, unix.Errno) {
	if fd < 0 {
		return -1, unix.EBADF
	}
	tid := int(n.Pid)
	// A thread's pidfd (Linux 6.9) needs no lookup of its process.
	pidfd, err := unix.PidfdOpen(tid, unix.PIDFD_THREAD)
	if err != nil {
		pidfd, err = unix.PidfdOpen(s.procs.tgid(tid), 0)
	}
	// The notification still pending means the thread is alive and
	// blocked in the call: the pid was not reused by another process.
	if s.listener.IDValid(n.ID) != nil {
		if err == nil {
			unix.Close(pidfd)
		}
		return -1, unix.EINTR
	}
	if err != nil {
		return -1, errnoOf(err)
	}
	defer unix.Close(pidfd)
	sock, err := unix.PidfdGetfd(pidfd, fd, 0)
	if err != nil {
		return -1, errnoOf(err)
	}
	return sock, 0
}
