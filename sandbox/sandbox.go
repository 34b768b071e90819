package sandbox

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/launch"
	"github.com/sysfence/sysfence/internal/sysdecode"
	"github.com/sysfence/sysfence/landlock"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/seccomp"
	"github.com/sysfence/sysfence/syscalls"
)

// ErrNotSupported is seccomp.ErrNotSupported: the OS, the architecture or
// the kernel cannot do what was asked.
var ErrNotSupported = seccomp.ErrNotSupported

// ErrNeedsChild is Exec's answer when the confinement cannot be installed
// in place (see Exec): Run can install it.
var ErrNeedsChild = errors.New("sandbox: this confinement needs the command started as a child")

// ErrNotFound and ErrNotExecutable classify an *ExecError: the command
// does not exist (a shell's exit status 127) or cannot be executed (126).
// ErrMissingInterpreter is the cause of an ErrNotFound *ExecError when
// the file exists but its #! interpreter or ELF loader does not (execve's
// ENOENT; a shell also exits 127).
var ErrMissingInterpreter = launch.ErrMissingInterpreter

// ErrNotFound and ErrNotExecutable classify an *ExecError: the command
// does not exist (a shell's exit status 127) or cannot be executed (126).
var (
	ErrNotFound      = launch.ErrNotFound
	ErrNotExecutable = launch.ErrNotExecutable
)

// ExecError is a command that could not be started (launch's: every
// command that starts a process finds it the same way).
type ExecError = launch.ExecError

// Command is what to run.
type Command struct {
	// Path is the program; without a slash it is searched in the PATH of
	// Env, as a shell does.
	Path string
	// Args is the argument vector, Args[0] included; nil means {Path}.
	Args []string
	// Env is the environment; nil means this process's.
	Env []string
	// Dir is the working directory; empty means this process's.
	Dir string
	// Stdin, Stdout and Stderr default (nil) to this process's own: a
	// sandboxed command shares the terminal like any command a shell runs.
	Stdin, Stdout, Stderr *os.File
}

// Options says how to confine the command.
type Options struct {
	// Filter is the seccomp filter for the native architecture. Exactly
	// one of Filter and Strict is set.
	Filter bpf.Program
	// Strict runs the command in SECCOMP_MODE_STRICT (read, write, _exit,
	// rt_sigreturn) from its first instruction.
	Strict bool
	// Flags are extra filter flags: seccomp.FlagLog, FlagSpecAllow, and
	// FlagWaitKillableRecv for an Agent's listener (sysfence sets it for
	// its own).
	Flags seccomp.FilterFlag
	// Report receives what the filter did to the command as it happens:
	// calls it denied with an errno (the first time for each syscall and
	// answer) and the call that killed a process. Nil is quiet mode: the
	// filter is installed as it is and nothing of sysfence stays attached
	// to the command once it runs.
	Report func(Event)
	// Explain says which profile entry or default decided a reported
	// call; nil describes what the filter returned.
	Explain Explainer
	// Name is how reports call the command; empty means Args[0].
	Name string
	// ForwardSignals forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT received
	// by this process to the command (SIGINT and SIGQUIT only when they
	// cannot have come from the terminal, which sends them to the command
	// itself).
	ForwardSignals bool

	// Landlock is a Landlock plan (path and port rules) enforced on the
	// command from its first instruction, before the filter: see "Path
	// and port rules" in the package documentation. Nil or empty: none.
	// Port rules need the supervisor (it checks every listen), so
	// sysfence then stays attached even without Report.
	Landlock *landlock.Plan
	// SupervisedPaths enforces the read and exec rules of a plan without
	// Landlock (a kernel without it, or for comparison): the supervisor
	// performs every open(2), openat(2) and openat2(2) of the command
	// itself and hands over the file descriptor; see "Path rules without
	// Landlock". Write and port rules cannot be enforced this way and are
	// refused. It needs the supervisor, so sysfence stays attached even
	// without Report.
	SupervisedPaths *landlock.Plan
	// SupervisedExec leaves execve(2) to the filter under SupervisedPaths
	// (whose supervisor cannot check what is executed, and by default
	// refuses every exec after the command's own).
	SupervisedExec bool
	// Agent, when set, receives the filter's notification listener (a
	// profile's listenerPath, as runc hands it): the calls the filter's
	// USER_NOTIF returns send are the agent's to answer. Reports then
	// cover kills only (the listener is the agent's, not sysfence's), and
	// nothing else that needs sysfence's supervisor (audit, supervised
	// paths, port rules) can be asked for.
	Agent *Agent

	// Isolation says what the command may reach of processes outside its
	// own tree; the zero value isolates it as far as the kernel can. See
	// "Isolation" in the package documentation.
	Isolation Isolation

	// Audit runs the command under the filter but lets every call the
	// filter would deny (errno, kill, trap, trace or notify answers) run:
	// each is reported (an Audited event, once per distinct call) and
	// counted in Result.Audit. sysfence stays attached even without
	// Report. Landlock and SupervisedPaths stay enforced.
	Audit bool

	hooks *testHooks // test code only
}

// Isolation is how the command is kept from the processes outside its
// sandbox (sysfence itself, the user's shell, anything of the same user).
// ptrace-mode access to them (ptrace, process_vm_readv/writev,
// pidfd_getfd, /proc/PID/mem) is always refused; these fields loosen the
// rest or accept a kernel without Landlock.
type Isolation struct {
	// AllowOutside lists IPC scopes left open: landlock.ScopeSignal lets
	// the command signal processes outside its sandbox,
	// landlock.ScopeAbstractUnix lets it connect to their abstract UNIX
	// sockets. Both are closed by default where the kernel can (Landlock
	// ABI 6, Linux 6.12).
	AllowOutside landlock.Scopes
	// BestEffort runs the command on a kernel without Landlock, where
	// nothing confines ptrace-mode access to a process tree: the filter
	// then refuses ptrace, process_vm_readv/writev and pidfd_getfd to the
	// whole tree (EPERM), and sysfence makes itself non-dumpable, but
	// /proc/PID/mem of other processes of the command's user stays open
	// (of any process, for root). Without it Run and Exec refuse such a
	// kernel (ErrNotSupported). IsolationGaps says what is missing.
	BestEffort bool
}

// Result is how the command ended.
type Result struct {
	Pid int
	// ExitCode is the status as a shell reports it: the exit code, or
	// 128+N when the command died from signal N.
	ExitCode int
	// Signal is the signal that killed the command, or 0.
	Signal syscall.Signal
	// Events are the reports, in order (also passed to Options.Report).
	Events []Event
	// Landlock says what was enforced of Options.Landlock (nil without it).
	Landlock *landlock.Report
	// Audit sums up, per syscall, the calls the filter would have denied
	// (Options.Audit), in order of their first call.
	Audit []AuditRecord
	// Observed holds the same calls as record observations (with the
	// deciding argument values record.ArgSpecs names), ready to become
	// profile rules: what `sysfence run --audit --update` merges.
	Observed *record.Observations
}

// Syscall is one system call as the filter saw it.
type Syscall struct {
	Arch *syscalls.Arch // nil when the ABI is not one sysfence knows
	Nr   uint32
	Args [6]uint64
	IP   uint64
}

// Name is the syscall's name on its ABI ("syscall_0x1b1" if unknown).
func (s Syscall) Name() string { return sysdecode.Name(s.Arch, s.Nr) }

// Data is the seccomp_data the filter ran on.
func (s Syscall) Data() bpf.Data {
	d := bpf.Data{Nr: s.Nr, InstructionPointer: s.IP, Args: s.Args}
	if s.Arch != nil {
		d.Arch = s.Arch.AuditArch
	}
	return d
}

// EventKind tells what happened to a reported call.
type EventKind uint8

const (
	// Killed: the call killed its process (KILL_PROCESS, KILL_THREAD, a
	// TRAP the process did not handle, or strict mode), or only its
	// thread (Event.Thread).
	Killed EventKind = iota
	// Denied: the call failed with the errno the filter chose.
	Denied
	// Audited: in audit mode, the filter would have denied (or killed)
	// the call; it was allowed to run.
	Audited
	// Notice: not a call; something reporting cannot do here (Why).
	Notice
)

// Event is one thing the filter did to the command.
type Event struct {
	Kind    EventKind
	Pid     int    // the thread that made the call
	Command string // the process, as reports name it
	Syscall Syscall
	// Call is the decoded call, e.g. openat(AT_FDCWD, "/etc/shadow",
	// O_RDONLY); a call through another ABI than the machine's is marked
	// with it: x32 openat(...), x86 getpid() (int 0x80).
	Call string
	// Action is what the filter returned; for strict mode KILL_THREAD.
	Action policy.Action
	Strict bool
	// Why says which profile entry or default decided (Explainer).
	Why string
	// Thread is set on a Killed event that ended one thread of several
	// (KILL_THREAD): the process goes on.
	Thread bool
}

// String is the report line, without the "sysfence: " prefix:
//
//	./hello was killed: openat(AT_FDCWD, "/etc/shadow", O_RDONLY) is not allowed (default action KILL_PROCESS)
//	./hello: thread 1235 was killed (the process goes on): getppid() is not allowed (rule getppid: KILL)
//	./hello: write(2, "oops\n", 5) was denied: EPERM (rule write ...)
//	audit: cat[1234]: openat(AT_FDCWD, "/etc/shadow", O_RDONLY) would be denied: EPERM (default action ERRNO(1))
func (e Event) String() string {
	why := ""
	if e.Why != "" {
		why = " (" + e.Why + ")"
	}
	if e.Kind == Denied {
		errno := e.Action.Data()
		return fmt.Sprintf("%s: %s was denied: %s%s", e.Command, e.Call, errnoName(errno), why)
	}
	if e.Kind == Audited {
		return fmt.Sprintf("audit: %s[%d]: %s would be %s%s", e.Command, e.Pid, e.Call, wouldBe(e.Action), why)
	}
	if e.Kind == Notice {
		return "note: " + e.Why
	}
	if e.Thread {
		return fmt.Sprintf("%s: thread %d was killed (the process goes on): %s is not allowed%s", e.Command, e.Pid, e.Call, why)
	}
	return fmt.Sprintf("%s was killed: %s is not allowed%s", e.Command, e.Call, why)
}

// wouldBe says what a denying action does to a call: "denied: EPERM",
// "killed (KILL_PROCESS)".
func wouldBe(a policy.Action) string {
	switch a.Kind() {
	case policy.ActErrno:
		return "denied: " + errnoName(a.Data())
	case policy.ActKillProcess, policy.ActKillThread:
		return "killed (" + a.String() + ")"
	case policy.ActTrap:
		return "trapped (SIGSYS)"
	case policy.ActTrace:
		return "denied: ENOSYS (TRACE without a tracer)"
	case policy.ActUserNotif:
		return "denied: ENOSYS (NOTIFY without an agent)"
	}
	return a.String()
}

// errnoName prints EPERM for 1 (Linux numbering, the same on every ABI
// sysfence injects into): profile.ErrnoName's names, and EINTR, which a
// supervised open returns and Podman's list (profile's) lacks.
func errnoName(n uint16) string {
	switch n {
	case 0:
		return "returned 0 without running"
	case 4:
		return "EINTR"
	}
	if name, ok := profile.ErrnoName(uint(n)); ok {
		return name
	}
	return fmt.Sprintf("errno %d", n)
}

// Explainer says which profile entry or default decided that the filter
// answers action to call: "default action KILL_PROCESS", "rule
// syscalls[3] (write, arg0 != 1)". Package cmd/sysfence builds one from a
// policy (PolicyExplainer); tests pass their own.
type Explainer interface {
	Explain(call Syscall, action policy.Action) string
}

// ExplainFunc adapts a function to Explainer.
type ExplainFunc func(call Syscall, action policy.Action) string

// Explain calls f.
func (f ExplainFunc) Explain(call Syscall, action policy.Action) string { return f(call, action) }

// Agent is a seccomp agent, as a profile's listenerPath names one: a
// UNIX socket to which the filter's notification listener is handed,
// with the process state, exactly as runc hands it (one message: the
// JSON of an OCI ContainerProcessState whose fds name "seccompFd", and
// the listener in SCM_RIGHTS). The agent then answers the calls the
// profile's SCMP_ACT_NOTIFY rules send it.
type Agent struct {
	Path     string // listenerPath
	Metadata string // listenerMetadata, passed on as it is
}
