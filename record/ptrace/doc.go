// Package ptrace records the syscalls of a command and all its
// descendants with ptrace and a seccomp filter, without privileges.
//
// # One stop per syscall
//
// The command is started by sandbox.Trace: stopped at its exec stop,
// seized (PTRACE_SEIZE) with PTRACE_O_TRACESECCOMP, TRACEFORK,
// TRACEVFORK, TRACECLONE, TRACEEXEC, TRACEEXIT and EXITKILL, and given a
// one-instruction seccomp filter, `ret TRACE`, before its first
// instruction. Every syscall of every thread then stops once, at entry,
// as a PTRACE_EVENT_SECCOMP stop, where PTRACE_GET_SYSCALL_INFO (Linux
// 5.3) gives the ABI (seccomp_data.arch), the number and the arguments in
// one request; the tracee is resumed with PTRACE_CONT. strace stops twice
// per call (entry and exit), so this costs about half of `strace -f`.
// No syscall is exempt from the filter: a seccomp stop can be taken and
// resumed in every call (execve, vfork, exit, rt_sigreturn included), and
// exempting any would lose it from the profile. The filter is inherited
// across fork, clone and execve, and cannot be removed by the command;
// children are attached by the kernel before they run (the TRACE*
// options), so no call of a short-lived child is missed.
//
// The recording starts at the exec stop: the calls sandbox injects to
// set the command up (setpgid, seccomp) happen before the filter exists,
// and the execve that got there, made by the launcher, is counted once
// as the command's first call (as the eBPF backend does).
//
// # ABIs
//
// The ABI comes with every stop: an int 0x80 call from a 64-bit process
// reports AUDIT_ARCH_I386 and is recorded under x86, an x32 call reports
// AUDIT_ARCH_X86_64 with the x32 bit in its number and is recorded under
// x32. Numbers without a name are kept by number (record.Observations).
//
// # Signals, job control, threads and zombies
//
// A signal-delivery-stop passes the signal on unchanged. Under
// PTRACE_SEIZE a group-stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) shows as
// a PTRACE_EVENT_STOP with the stop signal; the recorder answers it with
// PTRACE_LISTEN, which leaves the tracee stopped until a SIGCONT, so
// Ctrl-Z, bg and fg behave as without the recorder. Other
// PTRACE_EVENT_STOPs (a new child's first stop, the re-trap after
// SIGCONT) are resumed. Fork, clone, exec and exit events are resumed
// after noting new processes and threads; an exec from a non-leader
// thread takes over the leader's id (PTRACE_GETEVENTMSG gives the former
// one). The loop reaps every tracee with wait4(-1, __WALL), zombies of
// other parents and delayed thread-group leaders included, and ends when
// the kernel reports no tracee and no child left (ECHILD): descendants
// that outlive the command are recorded to their end.
//
// # CLONE_UNTRACED
//
// The kernel does not attach a child created with CLONE_UNTRACED to its
// parent's tracer, and under the inherited RET_TRACE filter with no
// tracer every call of such a child fails with ENOSYS (exit included).
// At the seccomp stop of a clone with that flag the recorder clears it
// in the register that carries the flags (rdi on x86_64 and x32, ebx for
// int 0x80), or for clone3 in the flags word of struct clone_args in the
// program's memory (PTRACE_POKEDATA), so that the kernel attaches the
// child as any other; the program's value is put back in the caller at
// the call's syscall-exit-stop and in the child's copy (registers, or
// memory without CLONE_VM) at its first stop, which is held until the
// parent's fork event tells which call made it. Registers belong to one
// thread, but another thread can set the flag again in clone_args
// between that write and the kernel's read of it: that costs accuracy,
// not safety (this is recording, not enforcement), so every clone3 is
// followed to its syscall-exit-stop, and a call that made a child (a
// positive return) without a fork event made it untraced. Such a child
// is named in a warning, and the call's Stats.Escaped marks the profile
// incomplete.
//
// # Errors column
//
// A RET_TRACE stop is taken at syscall entry, before the call runs, so by
// default the recorder does not know which calls failed, and the errors
// are "unknown" (record.Stats.ErrorsKnown false) as with the eBPF
// backend. Options.Errors resumes each seccomp stop with PTRACE_SYSCALL,
// which adds a syscall-exit-stop where PTRACE_GET_SYSCALL_INFO tells
// whether the call failed: strace's two stops per call, and about its
// cost. Calls that never return (exit, exit_group, a call during which
// the thread was killed) count as not failed. A thread that waits for
// its syscall-exit-stop is resumed with PTRACE_SYSCALL from every stop
// until then (a fork event's PTRACE_CONT would cancel it).
//
// # Faults
//
// PTRACE_O_EXITKILL kills every tracee if the recorder dies, and the
// command also has a parent-death signal: nothing is left traced or
// stopped. Kill ends a recording early (on an interrupt, say): every
// tracee is killed and the recording so far is returned.
package ptrace
