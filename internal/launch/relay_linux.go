package launch

import (
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Relay passes the termination signals the launcher receives (SIGINT,
// SIGTERM, SIGHUP, SIGQUIT) on to the command, exactly once each: a
// signal sent to the whole process group (the terminal's ^C, a service
// manager's SIGTERM) already reached the command, and is not sent again.
// When an observer sees the command's signals (Saw), that is known; when
// nothing observes, SIGINT and SIGQUIT are not passed on while the
// launcher is the terminal's foreground job (the terminal sent them to
// the command too).
//
// In a fresh process signal.Notify starts the runtime's signal-receiving
// thread, which costs a few hundred microseconds; it runs alongside the
// command's fork and exec, and Ready is closed when it is done. The
// command must not be resumed from its exec stop before that: a signal
// that comes earlier ends the launcher by default, and the command,
// which has not run a single instruction, with it (parent-death signal).
//
// SIGPIPE is caught, not passed on: a report written to a closed stderr
// must not kill the launcher (and the command with it). A signal the
// launcher was started with ignored (nohup's SIGHUP, a background job's
// SIGINT) stays ignored, so the command inherits it: catching it would
// reset it to the default at the command's exec. (Go keeps only SIGHUP
// and SIGINT ignored; it catches the others from its start.)
type Relay struct {
	// Ready is closed once the signals are caught.
	Ready <-chan struct{}

	send     func(syscall.Signal)
	quit     chan struct{}
	observed atomic.Bool
	mu       sync.Mutex
	last     map[syscall.Signal]time.Time
	changed  chan struct{} // closed and replaced on every Saw
}

// signalWindow is how far apart the launcher's copy of a signal and the
// command's may be to count as one signal sent to both (a process-group
// kill reaches every member within microseconds; the window allows for
// scheduling).
const signalWindow = 30 * time.Millisecond

// StartRelay starts passing signals on with send (which should use the
// command's pidfd, so that a signal arriving as the command is reaped
// cannot reach another process that reused its pid). done runs when the
// relay has stopped (Stop does not wait for it: signal.Stop waits for the
// runtime's signal loop, which costs more than the rest of a short run).
func StartRelay(send func(syscall.Signal), done func()) *Relay {
	ready := make(chan struct{})
	r := &Relay{Ready: ready, send: send, quit: make(chan struct{})}
	go func() {
		ch := make(chan os.Signal, 8)
		var sigs []os.Signal
		for _, sig := range []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT} {
			if !signal.Ignored(sig) {
				sigs = append(sigs, sig)
			}
		}
		signal.Notify(ch, append(sigs, unix.SIGPIPE)...)
		close(ready)
		defer func() {
			signal.Stop(ch)
			if done != nil {
				done()
			}
		}()
		for {
			select {
			case <-r.quit:
				return
			case sig := <-ch:
				ss := sig.(syscall.Signal)
				if ss == unix.SIGPIPE {
					continue
				}
				if r.observed.Load() {
					if r.seenSince(ss, time.Now().Add(-signalWindow), signalWindow) {
						continue // it reached the command itself
					}
				} else if (ss == unix.SIGINT || ss == unix.SIGQUIT) && inTerminalForeground() {
					continue // the terminal sent it to the command too
				}
				r.send(ss)
			}
		}
	}()
	return r
}

// Stop ends the relay.
func (r *Relay) Stop() { close(r.quit) }

// Observed says that an observer reports every signal the command gets
// (Saw): the relay then knows which signals reached it.
func (r *Relay) Observed() {
	if r != nil {
		r.observed.Store(true)
	}
}

// Saw notes that the command received sig.
func (r *Relay) Saw(sig syscall.Signal) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[syscall.Signal]time.Time{}
	}
	r.last[sig] = time.Now()
	if r.changed != nil {
		close(r.changed)
		r.changed = nil
	}
}

// seenSince reports whether the command received sig after since,
// waiting up to wait for the observer to see it.
func (r *Relay) seenSince(sig syscall.Signal, since time.Time, wait time.Duration) bool {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		if t, ok := r.last[sig]; ok && t.After(since) {
			r.mu.Unlock()
			return true
		}
		if r.changed == nil {
			r.changed = make(chan struct{})
		}
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

// inTerminalForeground reports whether this process's group is the
// foreground group of its controlling terminal.
func inTerminalForeground() bool {
	fd, err := unix.Open("/dev/tty", unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	fg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	return err == nil && fg == unix.Getpgrp()
}
