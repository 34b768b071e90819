// Package sandbox runs a command confined by a seccomp filter or by strict
// mode: what `sysfence run` does.
//
// # How the filter gets in
//
// The filter must cover the command from its first instruction, must not
// cover anything else (not sysfence, not a launcher), and must not need to
// allow execve: a profile without execve still lets the command start,
// exactly once, and forbids every later exec. Strict mode cannot be
// entered before execve at all (execve is not in its set).
//
// Go cannot run code between fork and exec, and the two classic ways
// around that both fall short: a re-executed launcher ("init shim") that
// installs the filter and then calls execve needs the filter to allow
// execve and everything the Go runtime of the launcher does after the
// filter is in (with TSYNC, on all its threads: futex, nanosleep,
// sigreturn... a KILL default kills the launcher), and a notification
// filter that lets "the first execve" through can only approximate the
// profile's own answer for later ones (KILL and TRAP cannot be reproduced
// by a supervisor, and a notifying filter changes how stacked filters
// combine).
//
// sandbox instead installs the filter from outside, at the exec stop:
//
//  1. The thread that will supervise the command (locked to its OS
//     thread) sets no_new_privs, which the child inherits, and forks the
//     command with PTRACE_TRACEME, a parent-death signal (SIGKILL) and its
//     own process group (so that no terminal signal can stop it between
//     PTRACE_TRACEME and execve, where the forking thread cannot resume
//     it).
//  2. The child execs the command and stops before the command's first
//     instruction (the exec SIGTRAP).
//  3. sysfence writes the program and its struct sock_fprog below the
//     command's stack pointer, writes a syscall instruction at the PC and
//     single-steps the command through setpgid (back into sysfence's
//     process group, so that it is in the foreground whenever sysfence
//     is) and then seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog), or
//     prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT). Code, registers and
//     scratch memory are then restored.
//  4. sysfence stays attached (PTRACE_SEIZE, following forks, clones and
//     execs), reports or not, so that nothing the command starts outlives
//     the run (see "Isolation and lifetime").
//
// The command's one execve thus happens before any filter exists, and the
// filter is in force before the command runs any code of its own: there
// is no window in which it runs looser, and later execs get exactly the
// profile's answer. The register code is written for x86_64; on other
// architectures Run returns ErrNotSupported. A single-threaded command at
// its exec stop needs no TSYNC; the Go program that sandboxes itself (the
// seccomp package's Load) uses TSYNC and a locked thread.
//
// # Exec in place (quiet mode's fast path)
//
// When nothing of sysfence needs to stay with the command (no reports, no
// audit, no path rules, not strict mode), Exec skips the child and the
// ptrace steps: the calling goroutine locks its thread, sets no_new_privs
// and loads the filter on that thread alone (no TSYNC: the process's other
// threads never run under it), then calls execve, which ends those
// threads. The command keeps sysfence's PID, parent and terminal, as with
// a shell's exec, and nobody is left to wait for it. Between the load and
// the execve only sysfence's own thread runs under the filter, and only
// the few calls it can make there (syscall.Exec's prlimit64 and
// allocation, futex, signal handling, execve; see inPlaceCalls), so Exec
// first runs the filter on each of them and declines (ErrNeedsChild) unless
// all are allowed: a profile without execve, or one that kills futex,
// still goes through Run. The filter thus never changes what sysfence
// itself does, and the command runs under it from its first instruction.
//
// # Saying what happened
//
// With Options.Report set, sysfence stays attached as a ptrace observer
// (PTRACE_SEIZE, following forks, clones and execs) without syscall
// stops: the command's syscalls cost nothing extra. A thread killed by the
// filter stops once more at PTRACE_EVENT_EXIT with its registers rolled
// back to the fatal call; running the installed program on that call
// confirms it. (A KILL_THREAD while other threads live ends the thread
// without that roll-back, and the process goes on: the report says the
// thread was killed.) A TRAP is seen at the delivery of its SIGSYS and
// reported only when the thread's state confirms it: the siginfo can be
// forged (a thread may send itself a SIGSYS with si_code SYS_SECCOMP and
// any call in it), so the thread must be right after a syscall
// instruction, with its registers rolled back to the very call the
// siginfo names, and the installed program must answer that call TRAP
// with the siginfo's data. In audit mode the filter never kills or traps,
// and no death is reported as its doing. Strict mode's kill is seen
// in the registers (or, for a dynamically linked program, in the rdtsc
// that strict mode makes fault). Calls the filter denies with an errno do
// not stop a tracee, so in reporting mode each `ret ERRNO(n)` of the
// program is turned into `ret USER_NOTIF` and sysfence's supervisor
// answers every notification with exactly the errno the original program
// gives for it (it runs the program on the notification's seccomp_data):
// only denied calls pay for the round trip. The supervisor's listener is
// taken from the command with pidfd_getfd and closed in it before it runs
// (through a 13-instruction guard that allows exactly that close when the
// program itself would not); synchronous wake-up
// (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, Linux 6.6) keeps the round trip
// short. What reporting changes, compared with quiet mode: the command
// cannot install a notifying filter of its own (the kernel allows one
// listener per filter chain). In both, the command is ptrace-attached (it
// cannot be traced by a debugger of its own, and TracerPid shows
// sysfence); only Exec leaves it entirely alone.
//
// # Isolation and lifetime
//
// seccomp filters calls, not their targets: a command allowed ptrace (as
// by Docker's default profile) could attach to sysfence, or to any process
// of its user, and run code there without a filter. Every command is
// therefore put into a Landlock domain of its own before its first
// instruction (isolate.go): a domain confines ptrace-mode access
// (ptrace, process_vm_readv/writev, pidfd_getfd, kcmp, /proc/PID/mem) to
// itself and the domains nested in it, and from Landlock ABI 6 it is
// scoped for signals and abstract UNIX sockets too (Options.Isolation).
// Without Landlock Run and Exec refuse, unless Isolation.BestEffort: the
// filter then refuses the ptrace family to the whole tree and sysfence
// makes itself non-dumpable, and /proc/PID/mem of other processes of the
// command's user stays reachable.
//
// The command shares the caller's terminal, so Run's filter and Exec's
// refuse TIOCSTI and TIOCLINUX (EPERM, on the low 32 bits of the
// request): typed into the terminal's input, a line would run in the
// user's shell after the command (see addedRules.terminal).
//
// A command started as a child is followed for its lifetime: sysfence
// traces every descendant (PTRACE_O_TRACEFORK, VFORK, CLONE), kills those
// left when the command exits, and PTRACE_O_EXITKILL kills them all if
// sysfence dies. The filter keeps them traceable: clone with
// CLONE_UNTRACED fails (EPERM), clone3, whose flags it cannot see, answers
// ENOSYS (RET_TRACE, which the kernel turns into ENOSYS for a tracee whose
// tracer asked for no seccomp stops), and where the caller's program
// allows clone3 but not clone, clone without CLONE_UNTRACED takes its
// place (see lifetimeRules and rewrite.CloneForClone3).
//
// # Path and port rules
//
// Options.Landlock is a Landlock plan (package landlock): what the
// command may read, write and execute, and which TCP ports it may bind
// and connect to. Landlock is applied the way the filter is, in the
// command at its exec stop, and before the filter (which need not allow
// the Landlock calls): sysfence builds the ruleset, hands it to the
// command as an inherited descriptor (at the lowest number sysfence does
// not pass on itself, so `3<file` keeps its number) and makes the
// stopped command call landlock_restrict_self on it and close it. The
// command thus runs restricted from its first instruction, and nothing of
// sysfence is ever restricted: applying the ruleset on sysfence's
// supervisor thread before the fork would also restrict that thread's
// later work (reading /proc for reports, opening files for the
// supervisor below). The command's own execve happens before, as for the
// filter; what its loader opens after it, and every later exec, is
// checked. Result.Landlock says what was enforced.
//
// sysfence adds a few rules of its own behind the caller's filter where
// Landlock alone leaves a hole (each ALLOW of the caller's program jumps
// to them, so the result is the stricter answer, with one program and one
// listener; see added_linux.go):
//
//   - With port rules, socket(2) with IPPROTO_MPTCP fails with
//     EPROTONOSUPPORT, as on a kernel without MPTCP: Landlock's port rules
//     cover TCP only, and an MPTCP socket would bind and connect anywhere.
//     Programs fall back to TCP (Go's listeners, MPTCP by default since Go
//     1.24, do; the tests check it). io_uring_setup fails with ENOSYS,
//     whatever the profile allows: io_uring's operations never pass
//     through the filter, and IORING_OP_SOCKET makes MPTCP sockets.
//   - With port rules, listen(2) goes to the supervisor: Landlock checks
//     bind, not the autobind of a TCP socket that listens unbound. The
//     supervisor takes the socket (pidfd_getfd), refuses it with EACCES
//     if it is not bound, and otherwise listens on its copy and answers
//     with the result (listen_linux.go). Port rules thus keep sysfence
//     attached, as supervised paths do, even without Options.Report.
//   - With path rules of which none grants writing (the common
//     --allow-read case), the filter refuses truncation: truncate(2) and
//     opens with O_TRUNC fail with EACCES, openat2 (whose flags seccomp
//     cannot see) and io_uring with ENOSYS. The ruleset then leaves
//     Landlock's TRUNCATE right unhandled (TruncationBySeccomp): asking
//     for it on every open makes the kernel walk from the file up to / when
//     no rule grants it, which cost a read-only rule 1.3 to 1.5 times the
//     open; answering it in the filter costs the open a filter run
//     instead. It also closes the truncation gap of Landlock ABIs 1 and 2.
//
// # Path rules without Landlock
//
// Options.SupervisedPaths enforces read (and exec) rules on a kernel
// without Landlock: open, openat and openat2 are notified, and the
// supervisor performs the open itself and installs the descriptor in the
// command (SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND).
// Checking the path the supervisor read and answering CONTINUE would be a
// race the command wins (another of its threads rewrites the buffer after
// the check, before the kernel reads it again; a test shows it), so
// sysfence never does that. The path is read once, resolved in
// sysfence's view of the file system (symlinks, "..", /proc/self,
// O_NOFOLLOW, openat2's RESOLVE_* flags), matched against the rules, and
// opened with openat2 beneath the rule's directory, opened when sysfence
// started, with RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS and
// RESOLVE_NO_MAGICLINKS; a file rule checks that it got the very inode
// of the rule. What is checked is what is opened, and nothing outside
// the rules can be opened even if the file system changes meanwhile.
// Every other call that reaches files by name and that the supervisor
// cannot perform for the command (creating, removing, renaming, linking,
// truncating, executing; mount and chroot; io_uring) is refused, and so
// is every other way to get a descriptor of a file the supervisor does
// not open (fanotify, file handles, pidfd_getfd, pinned BPF objects,
// UNIX sockets: see fdSources in added_linux.go). Write and port rules need
// Landlock. See paths_linux.go.
//
// The supervisor never waits in the command's place: an open that may
// block (a FIFO waiting for its other end, a device) runs on a thread of
// its own, the filter leaves the command's wait for the answer
// interruptible (no SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV), so that a
// signal ends it as it ends a FIFO open in the kernel (restart, EINTR or
// death, as the command's handler says), and the supervisor then gives
// up its own open (interrupt_linux.go). For that sandbox interrupts its
// own thread with signal 63, whose handler (the Go runtime's) it
// installs without SA_RESTART: a program that embeds sandbox and asks
// os/signal for every signal sees it.
//
// # Audit mode
//
// With Options.Audit every return of the caller's program that is not
// ALLOW or LOG is turned into USER_NOTIF, and the supervisor reports
// each call the program would have denied (once per distinct decoded
// call, as an Audited event), counts it (Result.Audit, and
// Result.Observed for turning it into profile rules) and lets it run with
// CONTINUE. CONTINUE is right here because audit mode makes no security
// decision: the call runs as under a filter that allows everything, and
// only the report may show arguments another thread changes a moment
// later. The filter carries SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
// (except with supervised paths, see above), so
// that once received a call is not interrupted by the command's
// non-fatal signals (Go's preemption signals would otherwise restart it
// over and over); on kernels without it a call interrupted while the
// supervisor held it and restarted (SA_RESTART) comes back as the same
// thread, number, arguments and instruction pointer, and is counted once.
// Every read of the command's memory is followed by an ID_VALID check.
// sysfence's added rules and Landlock stay enforced.
//
// Audit mode, supervised paths and port rules keep sysfence attached as
// in reporting mode even without Options.Report: PTRACE_O_EXITKILL kills every process
// of the command if sysfence dies, instead of leaving them running with
// every notified call failing ENOSYS.
//
// # Manners
//
// The command shares sysfence's stdin, stdout, stderr, terminal and
// process group; its exit status is returned as a shell reports it;
// SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded (Options.ForwardSignals;
// SIGINT and SIGQUIT only when they cannot have come from the terminal);
// it dies with sysfence (parent-death signal, and PTRACE_O_EXITKILL while
// attached). A command that is missing or not executable is refused
// before anything starts (*ExecError: exit status 127 or 126).
package sandbox
