package recorder

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/record/ebpf"
	"github.com/sysfence/sysfence/record/ptrace"
	"github.com/sysfence/sysfence/sandbox"
)

// Backend names a recorder.
type Backend string

// The backends; Auto picks eBPF when it can load, else ptrace.
const (
	Auto   Backend = "auto"
	Ptrace Backend = "ptrace"
	EBPF   Backend = "ebpf"
)

// ErrUnknownBackend is returned for a Backend that is none of the above.
var ErrUnknownBackend = errors.New("unknown recorder backend")

// Options chooses the backend and what it records.
type Options struct {
	// Backend: Auto (the zero value), Ptrace or EBPF.
	Backend Backend
	// Args records the deciding argument values (--args).
	Args bool
	// Errors counts the calls that failed. Only the ptrace backend can
	// (at the cost of a second stop per call): Auto then picks ptrace,
	// and EBPF refuses it.
	Errors bool
	// ForwardSignals passes SIGINT, SIGTERM, SIGHUP and SIGQUIT received
	// by this process on to the command (see sandbox.Options).
	ForwardSignals bool
	// Files records the programs executed and the files mapped
	// executable (record --static). Only the ptrace backend can, at its
	// exec and exit stops: Auto then picks ptrace, and EBPF refuses it.
	Files bool
}

// Session is one recording: the backend is chosen, and the eBPF programs
// loaded, before the command starts, so that failures come first.
type Session struct {
	opts     Options
	backend  Backend
	fallback error

	pt *ptrace.Recorder
	eb *ebpf.Recorder

	mu          sync.Mutex // eBPF map access against Stop and Close
	pidfd       int        // eBPF: the command, until it is reaped
	commandDone atomic.Bool
	cutShort    atomic.Bool // Stop found part of the tree still running (eBPF)
	stopOnce    sync.Once
	stopped     chan struct{}
	closed      bool
}

// Recording is what a session recorded.
type Recording struct {
	*record.Observations
	// Result is how the command ended.
	Result *sandbox.Result
	// Stopped tells that Stop ended the recording before every process
	// of the tree had exited: the observations are partial.
	Stopped bool
}

// Prepare chooses the backend and gets it ready. With EBPF, an error
// matching record.ErrNotSupported names the missing privilege or kernel
// feature.
func Prepare(opts Options) (*Session, error) {
	s := &Session{opts: opts, pidfd: -1, stopped: make(chan struct{})}
	switch opts.Backend {
	case "", Auto:
		if opts.Errors {
			s.fallback = errors.New("the eBPF recorder does not count errors")
		} else if opts.Files {
			s.fallback = errors.New("the eBPF recorder does not see which files are executed and mapped, which --static analyses")
		} else if err := s.loadEBPF(); err == nil {
			return s, nil
		} else {
			s.fallback = err
		}
		if err := s.loadPtrace(); err != nil {
			return nil, fmt.Errorf("no recorder can run here: eBPF: %v; ptrace: %w", s.fallback, err)
		}
	case EBPF:
		if opts.Errors {
			return nil, errors.New("the eBPF recorder does not count errors: use the ptrace backend for them")
		}
		if opts.Files {
			return nil, errors.New("the eBPF recorder does not see which files are executed and mapped: use the ptrace backend for --static")
		}
		if err := s.loadEBPF(); err != nil {
			return nil, err
		}
	case Ptrace:
		if err := s.loadPtrace(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w %q (want auto, ptrace or ebpf)", ErrUnknownBackend, string(opts.Backend))
	}
	return s, nil
}

func (s *Session) loadEBPF() error {
	r, err := ebpf.New(ebpf.Options{Args: s.opts.Args})
	if err != nil {
		return err
	}
	s.eb, s.backend = r, EBPF
	return nil
}

func (s *Session) loadPtrace() error {
	r, err := ptrace.New(ptrace.Options{Args: s.opts.Args, Errors: s.opts.Errors, ForwardSignals: s.opts.ForwardSignals, Files: s.opts.Files})
	if err != nil {
		return err
	}
	s.pt, s.backend = r, Ptrace
	return nil
}

// Backend is the backend in use.
func (s *Session) Backend() Backend { return s.backend }

// Fallback is why Auto did not pick eBPF (nil if it did, or if the
// backend was chosen by name).
func (s *Session) Fallback() error { return s.fallback }

// Run starts cmd, records it and its descendants until all have exited
// (or Stop), and returns the recording. A command that cannot be started
// is a *sandbox.ExecError. A session runs one command.
func (s *Session) Run(cmd *sandbox.Command) (*Recording, error) {
	if s.pt != nil {
		o, res, err := s.pt.Run(cmd)
		s.commandDone.Store(true)
		if err != nil {
			return nil, err
		}
		return &Recording{Observations: o, Result: res, Stopped: s.isStopped()}, nil
	}
	res, err := sandbox.Trace(cmd, &sandbox.TraceOptions{
		Ready: func(pid int) error {
			if err := s.eb.Track(pid); err != nil {
				return err
			}
			if fd := openPidfd(pid); fd >= 0 {
				s.mu.Lock()
				s.pidfd = fd
				s.mu.Unlock()
			}
			return nil
		},
		ForwardSignals: s.opts.ForwardSignals,
	})
	s.mu.Lock()
	s.commandDone.Store(true)
	if s.pidfd >= 0 {
		closePidfd(s.pidfd)
		s.pidfd = -1
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	// Descendants that outlive the command are recorded to their end.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stopped:
			cancel()
		case <-ctx.Done():
		}
	}()
	werr := s.eb.Wait(ctx)
	if werr != nil && !errors.Is(werr, context.Canceled) {
		return nil, werr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.eb.Stop()
	if err != nil {
		return nil, err
	}
	return &Recording{Observations: o, Result: res, Stopped: s.cutShort.Load()}, nil
}

// Progress returns what has been recorded so far; it may be called from
// any goroutine while Run runs.
func (s *Session) Progress() record.Progress {
	if s.pt != nil {
		return s.pt.Progress()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return record.Progress{}
	}
	p, _ := s.eb.Progress()
	return p
}

// CommandExited reports whether the command itself has exited; the
// recording may go on for its descendants.
func (s *Session) CommandExited() bool {
	if s.pt != nil {
		return s.pt.CommandExited()
	}
	return s.commandDone.Load()
}

// Stop ends the recording early: every process of the tree is killed, and
// Run returns what was recorded until then. It may be called from any
// goroutine, more than once.
func (s *Session) Stop() {
	s.stopOnce.Do(func() { close(s.stopped) })
	if s.pt != nil {
		s.pt.Kill()
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Stopped only if something was still running: a Ctrl-C handled after
	// the whole tree had exited stopped nothing.
	if !s.commandDone.Load() {
		s.cutShort.Store(true)
	} else if !s.closed {
		if n, err := s.eb.Live(); err != nil || n > 0 {
			s.cutShort.Store(true)
		}
	}
	if s.pidfd >= 0 {
		killPidfd(s.pidfd)
	}
	if !s.closed {
		s.eb.Kill()
	}
}

func (s *Session) isStopped() bool {
	select {
	case <-s.stopped:
		return true
	default:
		return false
	}
}

// Close releases the backend (the eBPF programs and maps).
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.eb != nil {
		return s.eb.Close()
	}
	return nil
}
