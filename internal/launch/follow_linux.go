package launch

import (
	"golang.org/x/sys/unix"
)

// FollowOptions are the ptrace options Follow needs, for Seize: every
// descendant is attached by the kernel as it is made (forks, vforks,
// clones), execs and exits stop, and all of them die if the tracer does.
const FollowOptions = unix.PTRACE_O_TRACEEXIT | unix.PTRACE_O_EXITKILL | unix.PTRACE_O_TRACECLONE |
	unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACEEXEC

// Observer looks at the stops of a followed command; it is called on the
// tracer thread while the thread is stopped, and the launcher resumes the
// thread after it returns (an observer cannot change what happens).
type Observer interface {
	// Signal: thread tid is about to receive sig (it is passed on).
	Signal(tid int, sig unix.Signal)
	// Exiting: thread tid is about to exit (PTRACE_EVENT_EXIT); its
	// registers are those of its end.
	Exiting(tid int)
	// Execed: thread tid has just exec'd a new program.
	Execed(tid int)
}

// Follow runs a command seized with FollowOptions to its end, passing its
// threads' signals on, leaving group-stops to job control (PTRACE_LISTEN:
// a stopped job waits for SIGCONT), and calling obs at each stop. When
// the command ends, every descendant still running is killed: nothing it
// started outlives it, and PTRACE_O_EXITKILL does the same if the
// launcher dies. It reaps with wait4(-1): the calling program must not
// wait for children of its own meanwhile. It returns the command's final
// status.
func (p *Process) Follow(obs Observer) (*unix.WaitStatus, error) {
	tracees := map[int]bool{p.Pid: true}
	defer func() {
		for tid := range tracees {
			if tid != p.Pid {
				unix.Kill(tid, unix.SIGKILL)
			}
		}
	}()
	for {
		var ws unix.WaitStatus
		wpid, err := Wait4(-1, &ws, unix.WALL)
		if err != nil {
			return nil, err
		}
		if ws.Exited() || ws.Signaled() {
			delete(tracees, wpid)
			if wpid == p.Pid {
				return &ws, nil
			}
			continue
		}
		if !ws.Stopped() {
			continue
		}
		tracees[wpid] = true
		stopped(wpid, ws, obs)
	}
}

// stopped resumes a stopped thread after showing the stop to obs.
func stopped(tid int, ws unix.WaitStatus, obs Observer) {
	sig := ws.StopSignal()
	switch event := (uint32(ws) >> 16) & 0xff; event {
	case 0: // signal-delivery-stop: pass the signal on
		obs.Signal(tid, sig)
		unix.PtraceCont(tid, int(sig))
	case unix.PTRACE_EVENT_EXIT:
		obs.Exiting(tid)
		unix.PtraceCont(tid, 0)
	case unix.PTRACE_EVENT_STOP:
		switch sig {
		case unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU: // group-stop: stay stopped until SIGCONT
			ptrace(unix.PTRACE_LISTEN, tid, 0, 0)
		default:
			unix.PtraceCont(tid, 0)
		}
	case unix.PTRACE_EVENT_EXEC:
		obs.Execed(tid)
		unix.PtraceCont(tid, 0)
	default: // fork, vfork, clone, vfork-done: the child is attached by the kernel
		unix.PtraceCont(tid, 0)
	}
}
