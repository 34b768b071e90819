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
	impl     backend

	stopOnce sync.Once
	stopped  chan struct{}
}

// backend is what each recorder does for a Session.
type backend interface {
	// run records cmd and its descendants until all have exited, or
	// stopped is closed; cut says the tree was still running then.
	run(cmd *sandbox.Command, stopped <-chan struct{}) (o *record.Observations, res *sandbox.Result, cut bool, err error)
	progress() record.Progress
	commandExited() bool
	// stop kills every process of the tree.
	stop()
	close() error
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
	s := &Session{opts: opts, stopped: make(chan struct{})}
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
	s.impl, s.backend = &ebpfBackend{eb: r, forward: s.opts.ForwardSignals, pidfd: -1}, EBPF
	return nil
}

func (s *Session) loadPtrace() error {
	r, err := ptrace.New(ptrace.Options{Args: s.opts.Args, Errors: s.opts.Errors, ForwardSignals: s.opts.ForwardSignals, Files: s.opts.Files})
	if err != nil {
		return err
	}
	s.impl, s.backend = ptraceBackend{r}, Ptrace
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
	o, res, cut, err := s.impl.run(cmd, s.stopped)
	if err != nil {
		return nil, err
	}
	return &Recording{Observations: o, Result: res, Stopped: cut}, nil
}

// Progress returns what has been recorded so far; it may be called from
// any goroutine while Run runs.
func (s *Session) Progress() record.Progress { return s.impl.progress() }

// CommandExited reports whether the command itself has exited; the
// recording may go on for its descendants.
func (s *Session) CommandExited() bool { return s.impl.commandExited() }

// Stop ends the recording early: every process of the tree is killed, and
// Run returns what was recorded until then. It may be called from any
// goroutine, more than once.
func (s *Session) Stop() {
	s.stopOnce.Do(func() { close(s.stopped) })
	s.impl.stop()
}

// Close releases the backend (the eBPF programs and maps).
func (s *Session) Close() error { return s.impl.close() }

// ptraceBackend records with ptrace: the recorder starts the command and
// follows it to the end of its last descendant itself.
type ptraceBackend struct{ r *ptrace.Recorder }

func (b ptraceBackend) run(cmd *sandbox.Command, stopped <-chan struct{}) (*record.Observations, *sandbox.Result, bool, error) {
	o, res, err := b.r.Run(cmd)
	cut := false
	select {
	case <-stopped:
		cut = true
	default:
	}
	return o, res, cut, err
}

func (b ptraceBackend) progress() record.Progress { return b.r.Progress() }
func (b ptraceBackend) commandExited() bool       { return b.r.CommandExited() }
func (b ptraceBackend) stop()                     { b.r.Kill() }
func (b ptraceBackend) close() error              { return nil }

// ebpfBackend records with eBPF: the command is started by sandbox.Trace,
// tracked from its exec stop, and the programs count until the last of
// its descendants has exited.
type ebpfBackend struct {
	eb      *ebpf.Recorder
	forward bool

	mu          sync.Mutex // map access against stop and close
	pidfd       int        // the command, until it is reaped
	commandDone atomic.Bool
	cutShort    atomic.Bool // stop found part of the tree still running
	closed      bool
}

func (b *ebpfBackend) run(cmd *sandbox.Command, stopped <-chan struct{}) (*record.Observations, *sandbox.Result, bool, error) {
	res, err := sandbox.Trace(cmd, &sandbox.TraceOptions{
		Ready: func(pid int) error {
			if err := b.eb.Track(pid); err != nil {
				return err
			}
			if fd := openPidfd(pid); fd >= 0 {
				b.mu.Lock()
				b.pidfd = fd
				b.mu.Unlock()
			}
			return nil
		},
		ForwardSignals: b.forward,
	})
	b.mu.Lock()
	b.commandDone.Store(true)
	if b.pidfd >= 0 {
		closePidfd(b.pidfd)
		b.pidfd = -1
	}
	b.mu.Unlock()
	if err != nil {
		return nil, nil, false, err
	}
	// Descendants that outlive the command are recorded to their end.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stopped:
			cancel()
		case <-ctx.Done():
		}
	}()
	werr := b.eb.Wait(ctx)
	if werr != nil && !errors.Is(werr, context.Canceled) {
		return nil, nil, false, werr
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	o, err := b.eb.Stop()
	if err != nil {
		return nil, nil, false, err
	}
	return o, res, b.cutShort.Load(), nil
}

func (b *ebpfBackend) progress() record.Progress {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return record.Progress{}
	}
	p, _ := b.eb.Progress()
	return p
}

func (b *ebpfBackend) commandExited() bool { return b.commandDone.Load() }

func (b *ebpfBackend) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	// Stopped only if something was still running: a Ctrl-C handled after
	// the whole tree had exited stopped nothing.
	if !b.commandDone.Load() {
		b.cutShort.Store(true)
	} else if !b.closed {
		if n, err := b.eb.Live(); err != nil || n > 0 {
			b.cutShort.Store(true)
		}
	}
	if b.pidfd >= 0 {
		killPidfd(b.pidfd)
	}
	if !b.closed {
		b.eb.Kill()
	}
}

func (b *ebpfBackend) close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	return b.eb.Close()
}
