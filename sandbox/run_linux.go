package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/bpf/rewrite"
	"github.com/sysfence/sysfence/internal/kversion"
	"github.com/sysfence/sysfence/internal/launch"
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
	return s.runLocked(opts.ForwardSignals, s.run)
}

// runLocked runs the session on its own locked OS thread, relaying
// signals if asked. Everything that touches the child through ptrace runs
// on that one thread: ptrace requests are only accepted from the tracer
// thread, and the parent-death signal fires when the thread that forked
// the child ends. The goroutine never unlocks, so its thread ends with it,
// after the command has ended.
func (s *session) runLocked(forwardSignals bool, run func() error) (*Result, error) {
	if forwardSignals {
		s.relay = launch.StartRelay(s.sendSignal, s.closePidfd) // the relay closes the pidfd when it is done
		defer s.relay.Stop()
	} else {
		defer s.closePidfd()
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		done <- run()
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

	// relay passes signals on to the command (nil: it does not).
	relay *launch.Relay

	pid        atomic.Int64
	pidfdMu    sync.Mutex
	pidfd      int // the command's pidfd, -1 before the start and after the end
	rootExeced atomic.Bool
	pgrp       int

	mu       sync.Mutex
	result   Result
	reported map[deniedKey]uint64 // calls denied with an errno, by kind; the first is reported
	repeats  []deniedKey          // kinds denied more than once, in order

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
	if !launch.Supported {
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
	// the filter refuses what would make a descendant untraced (added_linux.go).
	added := &addedRules{supervise: supervised, superviseExec: opts.SupervisedExec, untraced: true, terminal: !opts.Strict}
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
		if !opts.Strict && refuseTruncation(plan) {
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
// notifications (see rewrite.ErrnoToNotify) when the kernel has user notification;
// then the command needs a listener, and the listener's copy in the
// command must be closed (see rewrite.CloseGuard).
func (s *session) planFilter() error {
	if err := checkFilter(s.opts); err != nil {
		return err
	}
	s.profile, s.orig, s.prog, s.flags = s.opts.Filter, s.opts.Filter, s.opts.Filter, s.opts.Flags
	if s.added != nil && s.added.untraced {
		if p, ok := rewrite.CloneForClone3(s.profile, s.native); ok {
			s.profile, s.orig, s.prog = p, p, p
		}
	}
	if s.added != nil {
		ref, err := rewrite.Chain(s.profile, s.added.prog)
		switch {
		case errors.Is(err, rewrite.ErrComputedReturn) && !s.added.hasNotify() && s.audit == nil:
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
		audited, err := rewrite.NotifyDenials(s.profile)
		if err != nil {
			return err
		}
		if s.added != nil {
			if audited, err = rewrite.Chain(audited, s.added.prog); err != nil {
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
		if _, ok := rewrite.ErrnoToNotify(s.prog); ok {
			s.emit(Event{Kind: Notice, Why: "calls the filter denies with an errno are not reported: " + err.Error()})
		}
		return nil
	}
	s.unnotified = s.prog
	if rewritten, ok := rewrite.ErrnoToNotify(s.prog); ok {
		s.prog = rewritten
	}
	if !rewrite.Has(s.prog, bpf.ActUserNotif) {
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
	if !rewrite.Has(s.prog, bpf.ActUserNotif) {
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

// lookPath resolves the command as a shell would (launch.LookPath).
func lookPath(cmd *Command) (string, error) { return launch.LookPath(cmd.Path, cmd.Env, cmd.Dir) }

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
	proc, ws, err := s.start(files)
	if err != nil || ws != nil {
		if ws != nil {
			s.setStatus(*ws)
		}
		return err
	}
	defer func() {
		if s.listener != nil {
			s.listener.Shutdown()
			s.supervise.Wait()
			s.listener.Close()
		}
	}()
	ws, err = s.setUp(proc)
	if s.audit != nil {
		defer func() { s.result.Audit, s.result.Observed = s.audit.result() }()
	}
	if err == nil && ws == nil {
		ws, err = s.trace(proc)
	}
	if err != nil {
		proc.Kill()
		return err
	}
	s.setStatus(*ws)
	return nil
}

// start forks the command to its exec stop (launch.Start) and keeps its
// pid and pidfd for the signal relay and the supervisor. A non-nil
// status means it ended before its exec stop.
func (s *session) start(files []uintptr) (*launch.Process, *unix.WaitStatus, error) {
	proc, ws, err := launch.Start(&launch.Spec{Name: s.cmd.Path, Path: s.path, Argv: s.argv, Env: s.cmd.Env, Dir: s.cmd.Dir, Files: files})
	s.closeRuleset() // the command has its copy
	if err != nil {
		var ee *ExecError
		if errors.As(err, &ee) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("sandbox: %w", err)
	}
	if ws != nil {
		return nil, ws, nil
	}
	s.pid.Store(int64(proc.Pid))
	s.result.Pid = proc.Pid
	s.pidfdMu.Lock()
	s.pidfd = proc.Pidfd
	s.pidfdMu.Unlock()
	return proc, nil, nil
}

func fdOf(f, def *os.File) uintptr {
	if f == nil {
		f = def
	}
	return f.Fd()
}

// setUp installs the confinement in the command at its exec stop and
// seizes it. A non-nil status means the command ended before it ran (it
// was killed).
func (s *session) setUp(proc *launch.Process) (*unix.WaitStatus, error) {
	in, err := proc.Inject()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if err := s.inject(proc.Pid, in); err != nil {
		if died := (*launch.DiedError)(nil); errors.As(err, &died) {
			return &died.Status, nil
		}
		return nil, err
	}
	if err := in.Restore(); err != nil {
		return nil, err
	}
	if s.relay != nil {
		<-s.relay.Ready // before the command runs its first instruction
	}
	// Attached for the command's lifetime, reports or not: every
	// descendant is followed (the filter refuses untraced clones), killed
	// when the command ends and, by PTRACE_O_EXITKILL, when sysfence dies,
	// even of SIGKILL.
	return nil, proc.Seize(traceOptions)
}

// inject makes the stopped command rejoin sysfence's process group and
// then install its confinement; nothing of the command has run yet.
func (s *session) inject(pid int, in *launch.Injector) error {
	if ret, err := in.Syscall(unix.SYS_SETPGID, 0, uint64(s.pgrp)); err != nil {
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
		return in.EnterStrict()
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
			if prog, err = rewrite.CloseGuard(prog, s.native.AuditArch, sysClose, s.native.BigEndian, s.magic); err != nil {
				return err
			}
		}
		s.prog = prog
	}
	if s.stacked != nil {
		if _, err := in.InstallFilter(s.stacked, 0); err != nil {
			return err
		}
	}
	fd, err := in.InstallFilter(prog, s.flags)
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
	if err := in.CloseFd(fd, s.magic); err != nil {
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
		if _, err := launch.Wait4(pid, &ws, 0); err != nil {
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

// sendSignal passes a signal on to the command through its pidfd (a
// signal arriving as the command is reaped cannot reach another process
// that reused its pid).
func (s *session) sendSignal(sig syscall.Signal) {
	s.pidfdMu.Lock()
	defer s.pidfdMu.Unlock()
	if s.pidfd >= 0 {
		unix.PidfdSendSignal(s.pidfd, sig, nil, 0)
	}
}

func (s *session) closePidfd() {
	s.pidfdMu.Lock()
	defer s.pidfdMu.Unlock()
	if s.pidfd >= 0 {
		unix.Close(s.pidfd)
		s.pidfd = -1
	}
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
