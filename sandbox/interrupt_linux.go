package sandbox

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/seccomp"
)

// Calls the supervisor performs for the command and that may block (the
// open of a FIFO or of a device without O_NONBLOCK) run on a thread of
// their own, which the supervisor interrupts when the command stops
// waiting for them.
//
// The command's side needs nothing special: with supervised paths the
// filter is loaded without SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, so a
// signal ends the command's wait for the supervisor exactly as it ends a
// FIFO open in the kernel (the call returns -ERESTARTSYS: the handler
// runs and the call restarts or fails with EINTR as SA_RESTART says, and
// a fatal signal kills). With the flag the wait would be killable only,
// and a traced command (sysfence's observer) is not killed by a fatal
// signal before it dequeues it: SIGTERM would stay pending for good.
//
// The supervisor's side is the blocked open, which must not outlive the
// command's wait: it would hold a thread, and stand as a reader or
// writer of the FIFO that nobody uses. A watcher checks the notification
// every interruptPoll (SECCOMP_IOCTL_NOTIF_ID_VALID), and at once when
// the same thread of the command makes its next call (a restarted open,
// after a signal handler ran); once the notification is gone the watcher
// signals the blocked thread with interruptSignal, whose handler (the Go
// runtime's own) is installed without SA_RESTART, so that the open
// returns EINTR instead of being restarted, and nothing of it is left
// (the kernel undoes an interrupted FIFO open).
//
// What remains is a short window: between the command's interruption and
// the supervisor's, the supervisor's open still counts as the FIFO's
// reader (or writer). A writer that arrives just then pairs with it, and
// what it writes before the command's restarted open comes is lost with
// the supervisor's descriptor, where the kernel would have made the
// writer wait. The window is the signal handler's run time (restarted
// opens) or at most interruptPoll.

// interruptSignal is a real-time signal that the Go runtime handles and
// ignores unless the program asks for it with os/signal (a program that
// embeds sandbox and wants every signal sees it). sandbox clears its
// SA_RESTART flag once, on first use.
const (
	interruptSigNum = 63
	interruptSignal = unix.Signal(interruptSigNum)
)

// interruptPoll is how often a watcher checks that the command still
// waits for a blocked call: the time a blocked open may outlive it.
const interruptPoll = 20 * time.Millisecond

const saRestart = 0x10000000 // SA_RESTART

var interruptSetup struct {
	once sync.Once
	err  error
}

// sigaction is the kernel's struct sigaction on x86_64 (rt_sigaction
// with an 8-byte mask), the one architecture Run supervises.
type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// setUpInterrupt makes interruptSignal interrupt system calls: the
// handler the Go runtime installed stays, without SA_RESTART.
func setUpInterrupt() error {
	interruptSetup.once.Do(func() {
		var sa sigaction
		if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(interruptSignal), 0, uintptr(unsafe.Pointer(&sa)), 8, 0, 0); e != 0 {
			interruptSetup.err = fmt.Errorf("sandbox: rt_sigaction: %w", e)
			return
		}
		if sa.handler == 0 || sa.handler == 1 { // SIG_DFL, SIG_IGN: not the runtime's handler
			interruptSetup.err = fmt.Errorf("sandbox: signal %d has no handler of the Go runtime", interruptSignal)
			return
		}
		sa.flags &^= saRestart
		if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(interruptSignal), uintptr(unsafe.Pointer(&sa)), 0, 8, 0, 0); e != 0 {
			interruptSetup.err = fmt.Errorf("sandbox: rt_sigaction: %w", e)
		}
	})
	return interruptSetup.err
}

// blockedCalls are the calls running on threads of their own, by the
// command's thread that waits for each.
type blockedCalls struct {
	mu    sync.Mutex
	byTid map[uint32]*blockedCall
}

type blockedCall struct {
	id   uint64
	kick chan struct{} // closed: check now whether the command still waits
}

// superseded is called for every notification, before it is answered: a
// thread makes one call at a time, so a new call of a thread whose
// earlier call runs blocked means that the earlier one is no longer
// awaited (a signal interrupted it and the call was restarted, say). It
// is given up now rather than at the next poll.
func (b *blockedCalls) superseded(n *seccomp.Notif) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.byTid[n.Pid]; c != nil && c.id != n.ID {
		close(c.kick)
		delete(b.byTid, n.Pid)
	}
}

func (b *blockedCalls) add(n *seccomp.Notif) *blockedCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.byTid == nil {
		b.byTid = map[uint32]*blockedCall{}
	}
	c := &blockedCall{id: n.ID, kick: make(chan struct{})}
	b.byTid[n.Pid] = c
	return c
}

func (b *blockedCalls) remove(n *seccomp.Notif, c *blockedCall) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.byTid[n.Pid] == c {
		delete(b.byTid, n.Pid)
	}
}

// run runs call for the command's notification n on a thread of its
// own, and interrupts it (call then sees EINTR) once n is no longer
// pending. gone reports whether that happened: no answer is awaited.
// run returns when call has returned.
func (b *blockedCalls) run(l *seccomp.Listener, n *seccomp.Notif, call func(gone func() bool)) {
	// The thread is never unlocked: it ends with this goroutine, and
	// with it any interruption still on its way. Until the watcher has
	// stopped, the thread id names this thread and no other.
	runtime.LockOSThread()
	var set unix.Sigset_t
	const bits = 8 * unsafe.Sizeof(set.Val[0])
	set.Val[(interruptSigNum-1)/bits] |= 1 << ((interruptSigNum - 1) % bits)
	unix.PthreadSigmask(unix.SIG_UNBLOCK, &set, nil) // sysfence may have been started with it blocked
	tid := unix.Gettid()
	c := b.add(n)
	defer b.remove(n, c)
	var interrupted atomic.Bool
	done, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		tick := time.NewTicker(interruptPoll)
		defer tick.Stop()
		kick := c.kick
		for {
			select {
			case <-done:
				return
			case <-kick:
				kick = nil
			case <-tick.C:
			}
			if l.IDValid(n.ID) == nil {
				continue
			}
			interrupted.Store(true)
			// Again and again: the signal may land before the thread
			// enters the call, where it interrupts nothing.
			for {
				unix.Tgkill(unix.Getpid(), tid, interruptSignal)
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
		}
	}()
	call(interrupted.Load)
	close(done)
	<-watched
}
