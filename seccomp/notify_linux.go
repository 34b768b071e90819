package seccomp

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
)

// rawNotif is struct seccomp_notif.
type rawNotif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Nr    int32
	Arch  uint32
	IP    uint64
	Args  [6]uint64
}

// rawResp is struct seccomp_notif_resp.
type rawResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// rawAddFD is struct seccomp_notif_addfd.
type rawAddFD struct {
	ID         uint64
	Flags      uint32
	SrcFD      uint32
	NewFD      uint32
	NewFDFlags uint32
}

// Listener is the supervisor's end of a filter with user notification.
// Receive may run in one goroutine while others Respond.
type Listener struct {
	fd   int
	wake int // eventfd that Shutdown signals to end a blocked Receive

	mu     sync.Mutex
	closed bool
}

// NewListener adopts fd, a seccomp listener (the result of LoadFilter with
// FlagNewListener, or a copy obtained with pidfd_getfd).
func NewListener(fd int) (*Listener, error) {
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("seccomp: eventfd: %w", err)
	}
	return &Listener{fd: fd, wake: wake}, nil
}

// Fd returns the listener's file descriptor.
func (l *Listener) Fd() int { return l.fd }

// Shutdown makes a blocked or later Receive return ErrListenerClosed
// without closing the descriptor.
func (l *Listener) Shutdown() {
	var one = [8]byte{1}
	unix.Write(l.wake, one[:])
}

// Close shuts the listener down and closes it. Tasks still using the
// filter then see ENOSYS for every notified syscall.
func (l *Listener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	l.Shutdown()
	unix.Close(l.wake)
	return unix.Close(l.fd)
}

// SetSyncWakeUp asks the kernel to wake the supervisor and the target on
// the current CPU when a notification is sent and answered
// (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, Linux 6.6): a supervisor that
// answers at once then costs the target far less per notified call.
func (l *Listener) SetSyncWakeUp() error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(l.fd), unix.SECCOMP_IOCTL_NOTIF_SET_FLAGS, unix.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)
	switch e {
	case 0:
		return nil
	case unix.EINVAL, unix.ENOTTY:
		return fmt.Errorf("seccomp: synchronous wake-up of notifications (Linux 6.6 or later is needed): %w", ErrNotSupported)
	}
	return fmt.Errorf("seccomp: SECCOMP_IOCTL_NOTIF_SET_FLAGS: %w", e)
}

// Receive waits for the next notification (SECCOMP_IOCTL_NOTIF_RECV). It
// returns ErrListenerClosed after Shutdown or Close, and when no task
// uses the filter any more.
func (l *Listener) Receive() (*Notif, error) {
	for {
		fds := []unix.PollFd{{Fd: int32(l.fd), Events: unix.POLLIN}, {Fd: int32(l.wake), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return nil, fmt.Errorf("seccomp: poll on listener: %w", err)
		}
		if fds[1].Revents != 0 {
			return nil, ErrListenerClosed
		}
		if fds[0].Revents&unix.POLLIN == 0 {
			if fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
				return nil, ErrListenerClosed
			}
			continue
		}
		var r rawNotif // RECV insists on a zeroed buffer
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(l.fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&r)))
		switch e {
		case 0:
			return &Notif{ID: r.ID, Pid: r.Pid, Flags: r.Flags, Data: bpf.Data{
				Nr: uint32(r.Nr), Arch: r.Arch, InstructionPointer: r.IP, Args: r.Args}}, nil
		case unix.EINTR, unix.ENOENT: // interrupted, or the target died before we got it
			continue
		}
		return nil, fmt.Errorf("seccomp: SECCOMP_IOCTL_NOTIF_RECV: %w", e)
	}
}

// Respond answers a notification (SECCOMP_IOCTL_NOTIF_SEND).
func (l *Listener) Respond(resp Response) error {
	r := rawResp{ID: resp.ID, Val: resp.Val, Error: resp.Error}
	if resp.Continue {
		if resp.Val != 0 || resp.Error != 0 {
			return errors.New("seccomp: a Continue response carries no value or error")
		}
		r.Flags = unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE
	}
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(l.fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&r)))
	switch e {
	case 0:
		return nil
	case unix.ENOENT:
		return ErrNotifGone
	}
	return fmt.Errorf("seccomp: SECCOMP_IOCTL_NOTIF_SEND: %w", e)
}

// Continue lets the notified syscall run as if the filter had allowed it.
func (l *Listener) Continue(id uint64) error { return l.Respond(Response{ID: id, Continue: true}) }

// Fail makes the notified syscall fail with errno (a positive number).
func (l *Listener) Fail(id uint64, errno syscall.Errno) error {
	return l.Respond(Response{ID: id, Error: -int32(errno)})
}

// Return makes the notified syscall return val without running it.
func (l *Listener) Return(id uint64, val int64) error { return l.Respond(Response{ID: id, Val: val}) }

// IDValid reports whether the notification is still pending
// (SECCOMP_IOCTL_NOTIF_ID_VALID): ErrNotifGone if not.
func (l *Listener) IDValid(id uint64) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(l.fd), unix.SECCOMP_IOCTL_NOTIF_ID_VALID, uintptr(unsafe.Pointer(&id)))
	switch e {
	case 0:
		return nil
	case unix.ENOENT:
		return ErrNotifGone
	}
	return fmt.Errorf("seccomp: SECCOMP_IOCTL_NOTIF_ID_VALID: %w", e)
}

// AddFD installs a supervisor fd in the target (SECCOMP_IOCTL_NOTIF_ADDFD)
// and returns its number there. With Send it also answers the
// notification with that number (Linux 5.14).
func (l *Listener) AddFD(a AddFD) (int, error) {
	r := rawAddFD{ID: a.ID, SrcFD: uint32(a.SrcFD)}
	if a.SetFD {
		r.Flags |= unix.SECCOMP_ADDFD_FLAG_SETFD
		r.NewFD = uint32(a.NewFD)
	}
	if a.Send {
		r.Flags |= unix.SECCOMP_ADDFD_FLAG_SEND
	}
	if a.CloExec {
		r.NewFDFlags = unix.O_CLOEXEC
	}
	n, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(l.fd), unix.SECCOMP_IOCTL_NOTIF_ADDFD, uintptr(unsafe.Pointer(&r)))
	switch e {
	case 0:
		return int(n), nil
	case unix.ENOENT:
		return -1, ErrNotifGone
	case unix.EINVAL:
		if a.Send {
			return -1, fmt.Errorf("seccomp: SECCOMP_IOCTL_NOTIF_ADDFD with SEND (Linux 5.14 or later is needed): %w", e)
		}
	}
	return -1, fmt.Errorf("seccomp: SECCOMP_IOCTL_NOTIF_ADDFD: %w", e)
}

// ReadMemory reads the target's memory at addr into buf through
// /proc/PID/mem. The notification is checked after opening the file (so
// that the pid was not reused by another process) and again after the
// read (so that the data belongs to the syscall still waiting): a target
// that is gone yields ErrNotifGone, never data of another process.
//
// What is read may still be changed by the target's other threads the
// moment after: use it to describe a call, never to decide whether to let
// it run (answer with Continue).
func (l *Listener) ReadMemory(n *Notif, addr uint64, buf []byte) (int, error) {
	f, err := os.Open("/proc/" + strconv.FormatUint(uint64(n.Pid), 10) + "/mem")
	if err != nil {
		if l.IDValid(n.ID) != nil {
			return 0, ErrNotifGone
		}
		return 0, fmt.Errorf("seccomp: reading the target's memory: %w", err)
	}
	defer f.Close()
	if err := l.IDValid(n.ID); err != nil {
		return 0, err
	}
	got, rerr := f.ReadAt(buf, int64(addr))
	if err := l.IDValid(n.ID); err != nil {
		return 0, err
	}
	if got > 0 {
		return got, nil
	}
	return 0, fmt.Errorf("seccomp: reading the target's memory at %#x: %w", addr, rerr)
}
