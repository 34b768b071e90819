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
//  4. In quiet mode sysfence detaches: the command runs under exactly the
//     filter it was given, with nothing attached.
//
// The command's one execve thus happens before any filter exists, and the
// filter is in force before the command runs any code of its own: there
// is no window in which it runs looser, and later execs get exactly the
// profile's answer. The register code is written for x86_64; on other
// architectures Run returns ErrNotSupported. A single-threaded command at
// its exec stop needs no TSYNC; the Go program that sandboxes itself (the
// seccomp package's Load) uses TSYNC and a locked thread.
//
// # Saying what happened
//
// With Options.Report set, sysfence stays attached as a ptrace observer
// (PTRACE_SEIZE, following forks, clones and execs) without syscall
// stops: the command's syscalls cost nothing extra. A thread killed by the
// filter stops once more at PTRACE_EVENT_EXIT with its registers rolled
// back to the fatal call; running the installed program on that call
// confirms it. A TRAP is seen in the SIGSYS siginfo; strict mode's kill
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
// short. What reporting changes, compared with quiet mode: the command is
// ptrace-attached (it cannot be traced by a debugger of its own, and
// TracerPid shows sysfence), it cannot install a notifying filter of its
// own (the kernel allows one listener per filter chain), and descendants
// still running when the command exits are killed with it (their
// notification supervisor is gone). Use quiet mode where that matters.
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
