package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/execdeps"
	"github.com/sysfence/sysfence/internal/kversion"
	"github.com/sysfence/sysfence/internal/procfs"
	"github.com/sysfence/sysfence/internal/sysdecode"
	"github.com/sysfence/sysfence/landlock"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/seccomp"
	"github.com/sysfence/sysfence/syscalls"
)

// Run starts cmd confined as opts says, waits for it and returns how it
// ended. See the package documentation for how the filter gets in.
//
// While it reports (Options.Report), Run collects the exit statuses of
// the command's whole process tree with wait4(-1): a program that calls
// Run must not wait for other children of its own meanwhile.
func Run(cmd *Command, opts *Options) (*Result, error) {
	s, err := newSession(cmd, opts)
	if err != nil {
		return nil, err
	}
	return s.runLocked(opts.ForwardSignals)
}

// runLocked runs the session on its own locked OS thread, relaying
// signals if asked. Everything that touches the child through ptrace runs
// on that one thread: ptrace requests are only accepted from the tracer
// thread, and the parent-death signal fires when the thread that forked
// the child ends. The goroutine never unlocks, so its thread ends with it,
// after the command has ended.
func (s *session) runLocked(forwardSignals bool) (*Result, error) {
	if forwardSignals {
		ready, stop := s.forwardSignals()
		s.signalsReady = ready
		defer stop() // the relay closes the pidfd
	} else {
		defer s.closePidfd()
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		done <- s.run()
	}()
	if err := <-done; err != nil {
		return nil, err
	}
	s.reportRepeats()
	return &s.result, nil
}

// session is one run of one command.
type session struct {
	cmd    *Command
	opts   *Options
	path   string   // resolved program
	argv   []string // argument vector
	name   string   // how reports call the command
	native *syscalls.Arch
	report bool

	prog       bpf.Program // what is installed
	unnotified bpf.Program // prog before its ERRNO answers became notifications
	orig       bpf.Program // what is enforced: the caller's program and sysfence's added rules (the reference for answers)
	profile    bpf.Program // the caller's program alone (the reference for audit mode)
	added      *addedRules // nil: none
	stacked    bpf.Program // the added rules as a filter of their own (nil: chained into prog)
	flags      seccomp.FilterFlag
	notify     bool // the filter returns a listener (sysfence's supervisor, or the agent's)
	agent      bool // the listener goes to Options.Agent
	magic      [2]uint64
	listener   *seccomp.Listener
	supervise  sync.WaitGroup

	// signalsReady is closed once signals are forwarded (nil: they are not).
	signalsReady <-chan struct{}
	// signals are the signals the observer saw CMD get (reporting mode).
	signals signalLog

	pid        atomic.Int64
	pidfdMu    sync.Mutex
	pidfd      int // the command's pidfd, -1 before the start and after the end
	rootExeced atomic.Bool
	pgrp       int

	mu       sync.Mutex
	result   Result
	reported map[deniedKey]uint64 // calls denied with an errno, by kind; the first is reported
	repeats  []deniedKey          // kinds denied more than once, in order

	// handOver, set by Trace, takes the command over at its exec stop
	// and returns its final status (start_linux.go).
	handOver func(pid int) (*unix.WaitStatus, error)

	procs procCache // what /proc says about the command's processes

	audit *auditLog       // audit mode
	paths *pathSupervisor // supervised path rules

	// Landlock: the plan enforced (nil: none), the ruleset handed to the
	// command as descriptor llChildFd, and landlock_restrict_self's flags.
	llPlan *landlock.Plan
	llFd   int
	// nonDumpable: without Landlock sysfence makes itself non-dumpable,
	// so that only a command with CAP_SYS_PTRACE could reach its memory.
	nonDumpable bool
	llChildFd   int
	llFlags     uint32
}

func newSession(cmd *Command, opts *Options) (*session, error) {
	if opts == nil {
		return nil, errors.New("sandbox: no options")
	}
	if cmd == nil {
		return nil, errors.New("sandbox: no command to run")
	}
	if cmd.Path == "" {
		return nil, &ExecError{Path: cmd.Path, Kind: ErrNotFound} // as a shell says of ''
	}
	if (opts.Filter == nil) == !opts.Strict {
		return nil, errors.New("sandbox: give exactly one of a filter and strict mode")
	}
	if err := checkFlags(opts); err != nil {
		return nil, err
	}
	if !injectSupported {
		return nil, fmt.Errorf("sandbox: starting the command at its exec stop (for reports, strict mode, path rules, or a filter without execve) is implemented for x86_64 only, not %s; quiet runs of filters that allow execve (Exec) work on every architecture: %w", runtime.GOARCH, ErrNotSupported)
	}
	native, err := syscalls.Native()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w: %w", err, ErrNotSupported)
	}
	s := &session{cmd: cmd, opts: opts, native: native, reported: map[deniedKey]uint64{}, pidfd: -1, llFd: -1, llChildFd: -1}
	// Audit mode and supervised paths need the supervisor, and the
	// observer: PTRACE_O_EXITKILL kills every process of the command when
	// sysfence dies, rather than leaving them with notified calls failing
	// ENOSYS.
	s.report = opts.Report != nil || opts.Audit || opts.SupervisedPaths != nil || needsListenSupervisor(opts)
	if err := s.planRules(); err != nil {
		return nil, err
	}
	if opts.Strict {
		if err := seccomp.CheckStrict(); err != nil {
			return nil, err
		}
	} else if err := s.planFilter(); err != nil {
		return nil, err
	}
	s.argv = cmd.Args
	if len(s.argv) == 0 {
		s.argv = []string{cmd.Path}
	}
	s.name = opts.Name
	if s.name == "" {
		s.name = s.argv[0]
	}
	if s.path, err = lookPath(cmd); err != nil {
		return nil, err
	}
	s.pgrp = unix.Getpgrp()
	return s, nil
}

// planRules checks the path and port rules and decides sysfence's added
// filter rules.
func (s *session) planRules() error {
	opts := s.opts
	supervised := opts.SupervisedPaths != nil && len(opts.SupervisedPaths.Paths) > 0
	if opts.Strict && (opts.Audit || supervised) {
		return errors.New("sandbox: strict mode has no filter to audit or to supervise paths with")
	}
	if supervised && !opts.Landlock.Empty() && len(opts.Landlock.Paths) > 0 {
		return errors.New("sandbox: give path rules either to Landlock or to the supervisor, not both")
	}
	if opts.SupervisedPaths != nil && len(opts.SupervisedPaths.Ports) > 0 {
		return fmt.Errorf("sandbox: port rules cannot be enforced without Landlock: %w", ErrNotSupported)
	}
	if supervised {
		// SECCOMP_ADDFD_FLAG_SEND came with Linux 5.14; without it the
		// descriptor and the answer could not be given atomically.
		if !kversion.AtLeast(5, 14) {
			return fmt.Errorf("sandbox: path rules without Landlock need Linux 5.14 or later (SECCOMP_ADDFD_FLAG_SEND): %w", ErrNotSupported)
		}
	}
	if opts.Audit {
		s.audit = newAuditLog()
	}
	// Every command started as a child is attached for its lifetime, so
	// the filter refuses what would make a descendant untraced (added.go).
	added := &addedRules{supervise: supervised, superviseExec: opts.SupervisedExec, untraced: true}
	kabi, _ := landlock.KernelABI()
	iso, err := planIsolation(opts, kabi)
	if err != nil {
		return err
	}
	if iso.fallback {
		added.noOthers = true
		s.nonDumpable = true
	}
	if plan := iso.plan; plan != nil {
		if TruncationBySeccomp(plan) && !opts.Strict {
			// The filter refuses every truncation (see added.go), so the
			// ruleset need not handle TRUNCATE, and opens stop paying for
			// the walk up to / that asking for it costs.
			plan.HandledFS &^= llsys.AccessFSTruncate
			added.truncation = true
		}
		added.mptcp = plan.HandledNet != 0
		s.llPlan = plan
	}
	if !opts.Strict && !added.empty() {
		if err := added.build(s.native); err != nil {
			return err
		}
		s.added = added
	}
	return nil
}

// planFilter decides what exactly is installed. Quiet mode installs the
// caller's program as it is. Reporting mode turns its ERRNO answers into
// notifications (see errnoToNotify) when the kernel has user notification;
// then the command needs a listener, and the listener's copy in the
// command must be closed (see withCloseGuard).
func (s *session) planFilter() error {
	if err := checkFilter(s.opts); err != nil {
		return err
	}
	s.profile, s.orig, s.prog, s.flags = s.opts.Filter, s.opts.Filter, s.opts.Filter, s.opts.Flags
	if s.added != nil && s.added.untraced {
		if p, ok := withCloneForClone3(s.profile, s.native); ok {
			s.profile, s.orig, s.prog = p, p, p
		}
	}
	if s.added != nil {
		ref, err := chain(s.profile, s.added.prog)
		switch {
		case errors.Is(err, errComputedReturn) && !s.added.hasNotify() && s.audit == nil:
			// A program that returns `ret a` cannot have the added rules
			// behind its ALLOWs: they go in as a filter of their own,
			// stacked under it (the kernel takes the stricter answer,
			// as chaining would; reports name the caller's answers).
			s.stacked = s.added.prog
		case err != nil:
			return err
		default:
			s.orig, s.prog = ref, ref
		}
	}
	if s.audit != nil {
		audited, err := auditRewrite(s.profile)
		if err != nil {
			return err
		}
		if s.added != nil {
			if audited, err = chain(audited, s.added.prog); err != nil {
				return err
			}
		}
		s.prog = audited
	}
	if s.opts.Agent != nil {
		return s.planAgent()
	}
	if !s.report {
		return nil
	}
	needed := s.audit != nil || s.added != nil && s.added.supervise || needsListenSupervisor(s.opts)
	if err := seccomp.CheckNotify(); err != nil {
		if needed {
			return fmt.Errorf("sandbox: audit mode, path rules without Landlock and port rules need seccomp user notification: %w", err)
		}
		if _, ok := errnoToNotify(s.prog); ok {
			s.emit(Event{Kind: Notice, Why: "calls the filter denies with an errno are not reported: " + err.Error()})
		}
		return nil
	}
	s.unnotified = s.prog
	if rewritten, ok := errnoToNotify(s.prog); ok {
		s.prog = rewritten
	}
	if !hasNotify(s.prog) {
		return nil
	}
	// The guard's magic values (getrandom directly: crypto/rand would cost
	// every run of the binary its package initialisation).
	var b [16]byte
	if _, err := unix.Getrandom(b[:], 0); err != nil {
		return fmt.Errorf("sandbox: getrandom: %w", err)
	}
	if err := s.listenerFlags(); err != nil {
		return err
	}
	if seccomp.CheckFlags(seccomp.FlagNewListener|seccomp.FlagWaitKillableRecv) == nil && (s.opts.hooks == nil || !s.opts.hooks.noWaitKillable) &&
		!supervisorMayWait(s.added) {
		// A notified call of a Go program must not be restarted by its
		// runtime's preemption signals once the supervisor has it.
		s.flags |= seccomp.FlagWaitKillableRecv
	}
	return nil
}

// listenerFlags prepares a filter that returns a listener: the magic
// values of the close guard (getrandom directly: crypto/rand would cost
// every run of the binary its package initialisation) and NEW_LISTENER.
func (s *session) listenerFlags() error {
	var b [16]byte
	if _, err := unix.Getrandom(b[:], 0); err != nil {
		return fmt.Errorf("sandbox: getrandom: %w", err)
	}
	s.magic = [2]uint64{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}
	s.notify = true
	s.flags |= seccomp.FlagNewListener
	return nil
}

// planAgent prepares the listener for a seccomp agent (Options.Agent):
// the caller's USER_NOTIF returns go to the agent, and sysfence keeps no
// supervisor of its own (ERRNO answers are not rewritten).
func (s *session) planAgent() error {
	if s.audit != nil || s.added != nil && s.added.hasNotify() {
		return fmt.Errorf("sandbox: the profile's listenerPath hands the notification listener to a seccomp agent, and audit mode, path rules without Landlock and port rules need it for sysfence's own supervisor: %w", ErrNotSupported)
	}
	if !hasNotify(s.prog) {
		s.emit(Event{Kind: Notice, Why: "the profile names a seccomp agent (listenerPath " + s.opts.Agent.Path + ") but has no SCMP_ACT_NOTIFY rule: there is no listener to hand over"})
		s.flags &^= seccomp.FlagWaitKillableRecv
		return nil
	}
	if err := seccomp.CheckNotify(); err != nil {
		return fmt.Errorf("sandbox: the profile's listenerPath needs seccomp user notification: %w", err)
	}
	s.agent = true
	return s.listenerFlags()
}

// checkFlags refuses filter flags that are sandbox's own to set.
func checkFlags(opts *Options) error {
	allowed := seccomp.FlagLog | seccomp.FlagSpecAllow
	if opts.Agent != nil {
		allowed |= seccomp.FlagWaitKillableRecv
	}
	if extra := opts.Flags &^ allowed; extra != 0 {
		return fmt.Errorf("sandbox: filter flags %v are sandbox's own to choose (only LOG and SPEC_ALLOW may be asked for, and WAIT_KILLABLE_RECV for an agent's listener)", extra)
	}
	return nil
}

// checkFilter makes sure this kernel can load opts.Filter with its flags
// and knows every action it returns: a kernel loads a filter with an
// action it does not know and treats the action as KILL_THREAD, which for
// KILL_PROCESS on a kernel before 4.14 would leave the other threads of a
// killed command running.
func checkFilter(opts *Options) error {
	if err := seccomp.CheckFilter(); err != nil {
		return err
	}
	if err := seccomp.CheckFlags(opts.Flags); err != nil {
		return err
	}
	if n := len(opts.Filter); n > bpf.MaxInstructions {
		return fmt.Errorf("sandbox: filter of %d instructions: %w", n, bpf.ErrTooLong)
	}
	// The kernel's own checks, before sysfence adds anything: a program
	// that falls off its end would be made valid by the rules chained
	// behind it.
	if err := bpf.Validate(opts.Filter); err != nil {
		return fmt.Errorf("sandbox: not a seccomp filter the kernel would load: %w", err)
	}
	for _, in := range opts.Filter {
		if in.Op == bpf.ClassRET|bpf.RetK {
			if err := seccomp.CheckAction(policy.Action(in.K)); err != nil {
				return err
			}
		}
	}
	return nil
}

// lookPath resolves the command as a shell would, and classifies failures
// before anything is started: missing (127) or not executable (126).
func lookPath(cmd *Command) (string, error) {
	p := cmd.Path
	check := func(path string) error {
		full := path
		if !filepath.IsAbs(full) && cmd.Dir != "" {
			full = filepath.Join(cmd.Dir, full)
		}
		st, err := os.Stat(full)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return &ExecError{Path: p, Kind: ErrNotFound, Err: unix.ENOENT}
			}
			return &ExecError{Path: p, Kind: ErrNotExecutable, Err: err}
		}
		if st.IsDir() {
			return &ExecError{Path: p, Kind: ErrNotExecutable, Err: unix.EISDIR}
		}
		if err := unix.Access(full, unix.X_OK); err != nil || st.Mode()&0o111 == 0 {
			return &ExecError{Path: p, Kind: ErrNotExecutable, Err: unix.EACCES}
		}
		return nil
	}
	if strings.Contains(p, "/") {
		return p, check(p)
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	pathVar := execdeps.DefaultPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathVar = v
		}
	}
	var firstErr error
	for _, dir := range strings.Split(pathVar, ":") { // an empty entry is the current directory, as for execvp
		if dir == "" {
			dir = "."
		}
		cand := filepath.Join(dir, p)
		err := check(cand)
		if err == nil {
			return cand, nil
		}
		if firstErr == nil && errors.Is(err, ErrNotExecutable) {
			firstErr = &ExecError{Path: p, Kind: ErrNotExecutable, Err: unix.EACCES}
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return "", &ExecError{Path: p, Kind: ErrNotFound}
}

// run starts the command and supervises it to the end. It runs on its
// own locked OS thread (see Run).
func (s *session) run() error {
	// no_new_privs on this thread is inherited by the child: the command
	// cannot gain privileges through its execve, and may install the
	// filter without CAP_SYS_ADMIN. The Go runtime never clones a locked
	// thread's state into new threads, and this thread ends with the run.
	if err := seccomp.SetNoNewPrivs(); err != nil {
		return err
	}
	if s.nonDumpable {
		// Without Landlock: a command without CAP_SYS_PTRACE cannot then
		// open sysfence's /proc/PID/mem (see isolate.go).
		if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
			return fmt.Errorf("sandbox: prctl(PR_SET_DUMPABLE): %w", err)
		}
	}
	pidfd := -1
	files := []uintptr{fdOf(s.cmd.Stdin, os.Stdin), fdOf(s.cmd.Stdout, os.Stdout), fdOf(s.cmd.Stderr, os.Stderr)}
	if s.llPlan != nil {
		var err error
		if files, err = s.passRuleset(files); err != nil {
			return err
		}
		defer s.closeRuleset()
	}
	if p := s.opts.SupervisedPaths; p != nil && len(p.Paths) > 0 {
		var err error
		if s.paths, err = newPathSupervisor(p); err != nil {
			return err
		}
		// Released once the supervisor has stopped (deferred before the
		// listener's shutdown, so run after it).
		defer s.paths.release()
	}
	attr := &syscall.ProcAttr{Dir: s.cmd.Dir, Env: s.cmd.Env, Files: files, Sys: &syscall.SysProcAttr{
		// PTRACE_TRACEME right before execve: the child stops at its exec,
		// before the command's first instruction.
		Ptrace: true,
		// The command dies with this thread (that is, with sysfence).
		Pdeathsig: syscall.SIGKILL,
		// Until the exec stop the child is alone in its own process group,
		// so that no terminal signal (^C, a window resize) can stop it
		// between PTRACE_TRACEME and execve, where this thread, blocked in
		// the fork, could not resume it. The injection puts the command
		// back into sysfence's group before anything else.
		Setpgid: true,
		PidFD:   &pidfd,
	}}
	if attr.Env == nil {
		attr.Env = os.Environ()
	}
	pid, err := syscall.ForkExec(s.path, s.argv, attr)
	s.closeRuleset() // the command has its copy
	if err != nil {
		return execError(s.cmd.Path, s.path, err)
	}
	s.pid.Store(int64(pid))
	s.result.Pid = pid
	if pidfd < 0 { // a kernel before 5.3
		if pidfd, err = unix.PidfdOpen(pid, 0); err != nil {
			pidfd = -1
		}
	}
	s.pidfdMu.Lock()
	s.pidfd = pidfd
	s.pidfdMu.Unlock()

	defer func() {
		if s.listener != nil {
			s.listener.Shutdown()
			s.supervise.Wait()
			s.listener.Close()
		}
	}()
	ws, err := s.setUp(pid)
	if s.audit != nil {
		defer func() { s.result.Audit, s.result.Observed = s.audit.result() }()
	}
	if err == nil && ws == nil {
		ws, err = s.trace(pid)
	}
	if err != nil {
		unix.Kill(pid, unix.SIGKILL)
		var st unix.WaitStatus
		unix.Wait4(pid, &st, unix.WALL, nil)
		return err
	}
	s.setStatus(*ws)
	return nil
}

func fdOf(f, def *os.File) uintptr {
	if f == nil {
		f = def
	}
	return f.Fd()
}

// execError classifies a failure of the child's PTRACE_TRACEME or execve.
func execError(path, resolved string, err error) error {
	var e syscall.Errno
	errors.As(err, &e)
	switch e {
	case unix.ENOENT, unix.ENOTDIR:
		if _, serr := os.Stat(resolved); serr == nil && e == unix.ENOENT {
			return &ExecError{Path: path, Kind: ErrNotFound, Err: ErrMissingInterpreter}
		}
		return &ExecError{Path: path, Kind: ErrNotFound, Err: err}
	case unix.EPERM:
		// The file was found executable beforehand: this is most likely
		// PTRACE_TRACEME being refused.
		if tracer := tracerPid(); tracer != 0 {
			return fmt.Errorf("sandbox: cannot start %s: %w: sysfence needs ptrace to put the filter into the command, "+
				"and process %d already traces sysfence and its children (run an outer sysfence with --quiet)", path, err, tracer)
		}
		return fmt.Errorf("sandbox: cannot start %s: %w (sysfence needs ptrace to put the filter into the command: "+
			"is ptrace disabled here, by kernel.yama.ptrace_scope=3 or by a seccomp profile around sysfence?)", path, err)
	}
	return &ExecError{Path: path, Kind: ErrNotExecutable, Err: err}
}

// setUp waits for the exec stop and installs the confinement. A non-nil
// status means the command ended before it ran (it was killed).
func (s *session) setUp(pid int) (*unix.WaitStatus, error) {
	for {
		var ws unix.WaitStatus
		if _, err := wait4(pid, &ws, unix.WALL); err != nil {
			return nil, err
		}
		if !ws.Stopped() {
			return &ws, nil
		}
		if ws.StopSignal() == unix.SIGTRAP {
			if r, err := getRegs(pid); err == nil && atExecStop(&r) {
				break
			}
			if compatTracee(pid) {
				// The exec stop of an i386 program: the injection is
				// written for x86_64 code. Refuse rather than let the
				// SIGTRAP kill it.
				return nil, fmt.Errorf("sandbox: %s is a 32-bit (i386) program, which sysfence cannot start at its exec stop yet (quiet runs of filters that allow execve can): %w", s.path, ErrNotSupported)
			}
		}
		// A signal that reached the child before its exec: let it act.
		if err := unix.PtraceCont(pid, int(ws.StopSignal())); err != nil {
			return nil, fmt.Errorf("ptrace: %w", err)
		}
	}
	if s.handOver != nil {
		return s.handOver(pid)
	}
	// If sysfence dies during the set-up, the command dies too.
	unix.PtraceSetOptions(pid, unix.PTRACE_O_EXITKILL)
	in, err := newInjector(pid)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %s: %w", s.path, err)
	}
	if err := s.inject(pid, in); err != nil {
		if died := (*errTraceeDied)(nil); errors.As(err, &died) {
			return &died.status, nil
		}
		return nil, err
	}
	if err := in.restore(); err != nil {
		return nil, err
	}
	if s.signalsReady != nil {
		<-s.signalsReady // before the command runs its first instruction
	}
	// Attached for the command's lifetime, reports or not: every
	// descendant is followed (the filter refuses untraced clones), killed
	// when the command ends and, by PTRACE_O_EXITKILL, when sysfence dies,
	// even of SIGKILL.
	return nil, s.seize(pid)
}

// inject makes the stopped command rejoin sysfence's process group and
// then install its confinement; nothing of the command has run yet.
func (s *session) inject(pid int, in *injector) error {
	if ret, err := in.syscall(unix.SYS_SETPGID, 0, uint64(s.pgrp)); err != nil {
		return err
	} else if ret < 0 {
		return fmt.Errorf("sandbox: setpgid in the command: %w", unix.Errno(-ret))
	}
	if s.llPlan != nil {
		if err := s.restrictLandlock(in); err != nil {
			return err
		}
	}
	if s.opts.Strict {
		return in.enterStrict()
	}
	if s.notify && !mayTakeFd(s.pidfd) {
		// Under Docker's default profile, say, pidfd_getfd needs
		// CAP_SYS_PTRACE: report kills only, and say so.
		if s.agent {
			return fmt.Errorf("sandbox: handing the notification listener to the seccomp agent needs pidfd_getfd, which is not permitted here (under Docker's default profile it needs CAP_SYS_PTRACE): %w", ErrNotSupported)
		}
		if s.audit != nil || s.paths != nil || needsListenSupervisor(s.opts) {
			return fmt.Errorf("sandbox: audit mode, path rules without Landlock and port rules need sysfence to take the notification listener from the command, and pidfd_getfd is not permitted here (under Docker's default profile it needs CAP_SYS_PTRACE): %w", ErrNotSupported)
		}
		s.notify, s.prog = false, s.unnotified
		s.flags &^= seccomp.FlagNewListener | seccomp.FlagWaitKillableRecv
		s.emit(Event{Kind: Notice, Why: "calls the filter denies with an errno are not reported here: pidfd_getfd, which sysfence needs to take the notification listener from CMD, is not permitted (under Docker's default profile it needs CAP_SYS_PTRACE)"})
	}
	prog := s.prog
	if s.notify {
		// The listener fd appears in the command, which must not keep it:
		// it is closed right after, through the filter. Guard that close
		// unless the filter allows it anyway: for any fd when close is
		// allowed whatever its arguments (as under Docker's default; no
		// ~0.1 ms listing of /proc/PID/fd then), else for the fd the
		// kernel will pick.
		if !bpf.CacheCheck(prog, s.native.AuditArch, sysClose).Cached && !s.allowsClose(prog, lowestFreeFd(pid)) {
			var err error
			if prog, err = withCloseGuard(prog, s.native.AuditArch, sysClose, s.native.BigEndian, s.magic); err != nil {
				return err
			}
		}
		s.prog = prog
	}
	if s.stacked != nil {
		if _, err := in.installFilter(s.stacked, 0); err != nil {
			return err
		}
	}
	fd, err := in.installFilter(prog, s.flags)
	if err != nil {
		return err
	}
	if !s.notify {
		return nil
	}
	if !s.allowsClose(prog, fd) {
		return fmt.Errorf("sandbox: the filter would not let sysfence close its listener fd %d in the command", fd)
	}
	s.pidfdMu.Lock()
	ours, err := unix.PidfdGetfd(s.pidfd, fd, 0)
	s.pidfdMu.Unlock()
	if err != nil {
		return fmt.Errorf("sandbox: pidfd_getfd of the listener: %w", err)
	}
	if s.listener, err = seccomp.NewListener(ours); err != nil {
		return err
	}
	// Best effort (Linux 6.6): it cuts the cost of a denied call about
	// threefold; nothing else depends on it.
	s.listener.SetSyncWakeUp()
	if err := in.closeFd(fd, s.magic); err != nil {
		return err
	}
	if s.agent {
		// The agent's now; sysfence keeps no copy.
		err := sendToAgent(s.opts.Agent, s.listener.Fd(), pid)
		s.listener.Close()
		s.listener = nil
		return err
	}
	s.supervise.Add(1)
	go func() {
		defer s.supervise.Done()
		s.serve()
	}()
	return nil
}

// mayTakeFd reports whether pidfd_getfd works on the command (pidfd): it
// takes one of its standard descriptors and closes the copy. When none is
// open the answer is unknown, and yes.
func mayTakeFd(pidfd int) bool {
	for fd := range 3 {
		got, err := unix.PidfdGetfd(pidfd, fd, 0)
		if err == nil {
			unix.Close(got)
			return true
		}
		if errors.Is(err, unix.EPERM) {
			return false
		}
	}
	return true
}

// allowsClose runs prog on the close(fd, magic...) sysfence makes.
func (s *session) allowsClose(prog bpf.Program, fd int) bool {
	d := bpf.Data{Nr: sysClose, Arch: s.native.AuditArch, Args: [6]uint64{uint64(fd), s.magic[0], s.magic[1]}}
	res, err := bpf.Run(prog, &d, s.native.BigEndian, false)
	return err == nil && policy.Action(res.Ret).Kind() == policy.ActAllow
}

// lowestFreeFd predicts the fd the kernel will give the listener: the
// lowest one not open in the (stopped, single-threaded) command.
func lowestFreeFd(pid int) int {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return 3
	}
	used := map[int]bool{}
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			used[n] = true
		}
	}
	fd := 0
	for used[fd] {
		fd++
	}
	return fd
}

// waitQuiet waits for a command nothing is attached to.
func (s *session) waitQuiet(pid int) (*unix.WaitStatus, error) {
	for {
		var ws unix.WaitStatus
		if _, err := wait4(pid, &ws, 0); err != nil {
			return nil, err
		}
		if ws.Exited() || ws.Signaled() {
			return &ws, nil
		}
	}
}

func (s *session) setStatus(ws unix.WaitStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case ws.Exited():
		s.result.ExitCode = ws.ExitStatus()
	case ws.Signaled():
		s.result.Signal = syscall.Signal(ws.Signal())
		s.result.ExitCode = 128 + int(ws.Signal())
	}
}

func describeStatus(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return "killed by " + sysdecode.Signal(nil, uint64(ws.Signal()))
	case ws.Stopped():
		return "stopped by " + sysdecode.Signal(nil, uint64(ws.StopSignal()))
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
}

// forwardSignals relays termination signals to the command. SIGINT and
// SIGQUIT from the terminal already reach the command (it is in
// sysfence's foreground process group), so they are only relayed when
// sysfence is not in the foreground of a terminal.
//
// In a fresh process signal.Notify starts the runtime's signal-receiving
// thread, which costs a few hundred microseconds; it runs alongside the
// command's fork and exec, and ready is closed when it is done. The
// command is not resumed from its exec stop before that: a signal that
// comes earlier ends sysfence by default, and the command, which has not
// run a single instruction, with it (parent-death signal).
//
// Signals go through the command's pidfd, so a signal that arrives as the
// command is reaped cannot reach another process that reused its pid.
// stop does not wait for the relay to wind down (signal.Stop waits for the
// runtime's signal loop, which costs more than the rest of a short run);
// the relay closes the pidfd itself when it is done.
func (s *session) forwardSignals() (ready <-chan struct{}, stop func()) {
	quit := make(chan struct{})
	notified := make(chan struct{})
	go func() {
		ch := make(chan os.Signal, 8)
		// A signal sysfence was started with ignored (nohup's SIGHUP, a
		// background job's SIGINT) stays ignored, and so CMD inherits it:
		// catching it would reset it to the default at CMD's exec. (Go
		// keeps only SIGHUP and SIGINT ignored; others it catches from its
		// start, see the README.)
		var sigs []os.Signal
		for _, sig := range []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT} {
			if !signal.Ignored(sig) {
				sigs = append(sigs, sig)
			}
		}
		// SIGPIPE is caught, not forwarded: a report written to a closed
		// stderr must not kill sysfence (and CMD with it). Caught, it is
		// reset to the default at CMD's exec.
		signal.Notify(ch, append(sigs, unix.SIGPIPE)...)
		close(notified)
		defer func() {
			signal.Stop(ch)
			s.closePidfd()
		}()
		for {
			select {
			case <-quit:
				return
			case sig := <-ch:
				ss := sig.(syscall.Signal)
				if ss == unix.SIGPIPE {
					continue
				}
				if s.signals.observed.Load() {
					// The observer sees every signal CMD gets: one sent to
					// the whole process group (the terminal's ^C, a
					// service manager's SIGTERM) reached CMD itself.
					if s.signals.seenSince(ss, time.Now().Add(-signalWindow), signalWindow) {
						continue
					}
				} else if (ss == unix.SIGINT || ss == unix.SIGQUIT) && inTerminalForeground() {
					continue // the terminal sent it to CMD too
				}
				s.pidfdMu.Lock()
				if s.pidfd >= 0 {
					unix.PidfdSendSignal(s.pidfd, ss, nil, 0)
				}
				s.pidfdMu.Unlock()
			}
		}
	}()
	return notified, func() { close(quit) }
}

func (s *session) closePidfd() {
	s.pidfdMu.Lock()
	defer s.pidfdMu.Unlock()
	if s.pidfd >= 0 {
		unix.Close(s.pidfd)
		s.pidfd = -1
	}
}

// inTerminalForeground reports whether this process's group is the
// foreground group of its controlling terminal.
// signalWindow is how far apart sysfence's copy of a signal and CMD's may
// be to count as one signal sent to both (a process-group kill reaches
// every member within microseconds; the window allows for scheduling).
const signalWindow = 30 * time.Millisecond

// signalLog records when the observer last saw CMD receive each signal,
// so that the relay does not deliver a second copy of a signal that was
// sent to the whole process group.
type signalLog struct {
	observed atomic.Bool // an observer reports CMD's signals
	mu       sync.Mutex
	last     map[syscall.Signal]time.Time
	changed  chan struct{} // closed and replaced on every saw
}

// saw notes that CMD received sig.
func (l *signalLog) saw(sig syscall.Signal) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last = map[syscall.Signal]time.Time{}
	}
	l.last[sig] = time.Now()
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

// seenSince reports whether CMD received sig after since, waiting up to
// wait for the observer to see it.
func (l *signalLog) seenSince(sig syscall.Signal, since time.Time, wait time.Duration) bool {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		if t, ok := l.last[sig]; ok && t.After(since) {
			l.mu.Unlock()
			return true
		}
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

func inTerminalForeground() bool {
	fd, err := unix.Open("/dev/tty", unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	fg, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	return err == nil && fg == unix.Getpgrp()
}

// emit records an event and passes it to the caller.
func (s *session) emit(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.result.Events = append(s.result.Events, e)
	if s.opts.Report != nil {
		s.opts.Report(e)
	}
}

// event builds the report of a call: decoded with the process's memory,
// explained by the caller's Explainer.
func (s *session) event(kind EventKind, tid int, call Syscall, action policy.Action, mem sysdecode.Memory) Event {
	return s.eventOf(kind, tid, s.procs.tgid(tid), call, action, mem)
}

// eventOf is event for a thread whose process is known.
func (s *session) eventOf(kind EventKind, tid, tgid int, call Syscall, action policy.Action, mem sysdecode.Memory) Event {
	e := Event{Kind: kind, Pid: tid, Command: s.nameOf(tgid), Syscall: call, Action: action, Strict: s.opts.Strict}
	e.Call = sysdecode.Decoder{Arch: call.Arch, Mem: mem, Native: s.native}.Call(call.Nr, call.Args)
	switch {
	case s.opts.Strict:
		e.Why = "strict mode allows only read, write, _exit and rt_sigreturn"
	case s.opts.Explain != nil:
		e.Why = s.opts.Explain.Explain(call, action)
	default:
		e.Why = FilterExplainer.Explain(call, action)
	}
	return e
}

// commandName names the process of thread tid: the command's name until
// it executes something else, then that program's argv[0].
func (s *session) commandName(tid int) string { return s.nameOf(s.procs.tgid(tid)) }

// nameOf names process tgid as commandName does.
func (s *session) nameOf(tgid int) string {
	if tgid == int(s.pid.Load()) && !s.rootExeced.Load() {
		return s.name
	}
	return s.procs.name(tgid)
}

// tracerPid is the TracerPid of this process (0: not traced).
func tracerPid() int {
	n, _ := procfs.StatusInt(os.Getpid(), "TracerPid")
	return n
}

func tgidOf(tid int) int {
	if n, ok := procfs.StatusInt(tid, "Tgid"); ok {
		return n
	}
	return tid
}
