// Package record holds what a syscall recorder observed and turns it into
// the rules of a seccomp profile.
//
// The recorders are record/ptrace (unprivileged, one ptrace stop per
// syscall) and record/ebpf (root, eBPF on the raw sys_enter tracepoint);
// record/recorder picks one and runs a command under it.
//
// # Observations
//
// Observations are kept per ABI exactly as the kernel saw each call
// (seccomp_data.arch and .nr): a 64-bit process that uses int 0x80 makes
// x86 calls, an x32 call is numbered with the x32 bit. For each syscall
// they count the calls, the errors where the backend can see them, how
// many merged recordings saw it and, when the recorder was asked for them
// (its Args option), the raw values of the arguments that decide the risk
// (ArgSpecs). A number without a name on its ABI is kept by number; it
// never gets an empty or made-up name. Merge unions recordings in memory,
// MergeProfiles the profiles written from them.
//
// # From observations to rules
//
// Profile writes one entry per syscall name, sorted, with a comment such
// as "1234 calls, 2 errors (x86_64 1200, x86 34)" (the format is below).
// Docker and OCI profiles name syscalls, not (ABI, number) pairs, and
// apply every entry to every listed architecture, so a name seen on any
// ABI is allowed on all the ABIs listed; the architectures are the native
// one and the ones seen. Numbers without a name are returned as Unknown for a warning.
//
// With Args, the syscalls below get one entry per observed combination of
// their deciding arguments instead of one unconditional entry: as tight as
// what was seen, no tighter than needed. Bits that do not decide the risk
// are masked away (SOCK_CLOEXEC, exit signals, PROT_READ), and the upper
// half of C int arguments is never compared, because callers may leave
// anything there (an argument seen with such bits gets MASKED_EQ
// 0xffffffff instead of EQ).
//
//	syscall                  argument           rule per observed value
//	socket                   0 domain, 1 type   EQ domain; MASKED_EQ 0xf (SOCK_TYPE_MASK)
//	clone                    0 flags (1 s390)   MASKED_EQ 0x7E020000 (CLONE_NEW*), the value seen
//	unshare                  0 flags            MASKED_EQ 0x7E020080 (CLONE_NEW* and NEWTIME)
//	clone3                   clone_args.flags   ENOSYS, see below
//	personality              0 persona          EQ
//	prctl                    0 option           EQ
//	ioctl                    1 request          EQ
//	mmap mmap2 mprotect      2 prot             MASKED_EQ 0x4 (PROT_EXEC), 0 or 4
//	pkey_mprotect
//
// A masked field whose every possible value was seen (mmap with and
// without PROT_EXEC) needs no condition and gets one plain entry. clone3
// passes its flags in memory, which seccomp cannot read: when no clone3
// call needed a flag clone lacks (CLONE_NEWTIME), clone3 is answered with
// ENOSYS, libc falls back to clone (as under Docker's default profile),
// and clone's entries carry the namespace flags seen on clone3 too.
// Otherwise clone3 is allowed without conditions. A syscall whose values
// were not all recorded (a merged recording made without argument values,
// a full map) gets a plain entry.
//
// # What a recording cannot see
//
// Some calls happen only when a signal arrives at the right moment, and a
// recording that saw none breaks the command when it is enforced. They
// are added, with a comment saying why, though not seen: restart_syscall
// always (the kernel makes it to resume a sleep interrupted by a stop
// signal and SIGCONT: nanosleep after Ctrl-Z and fg); rt_sigreturn (and
// sigreturn on ABIs that have it) when the command installs signal
// handlers (rt_sigaction, sigaction, signal), and only then, since an
// unneeded rt_sigreturn helps sigreturn-oriented programming; epoll_wait
// and epoll_pwait when the command creates an epoll instance (Go's
// network poller waits on its instance only when every goroutine blocks,
// and the runtime throws if that wait fails). None of them can do more
// than resume what the profile allows already.
//
// # Comments and merged recordings
//
// Every comment Profile writes has one shape, which MergeProfiles reads
// back:
//
//	[SUBJECT: ]COUNTS[ (ABI N, ...)][, in R of T recordings][; NOTE]...
//
// COUNTS is "N calls[, E errors]" (errors only where the backend counted
// them), "the fallback for M clone3 calls" or "not seen"; SUBJECT names
// the argument values of an argument rule; the per-ABI counts are left
// out when the native ABI is the only one; R is how many of the T merged
// recordings saw the syscall, on any ABI and whatever its arguments, left
// out for a single recording and for a syscall none of them saw.
// MergeProfiles adds the counts entry by entry and the recordings name by
// name, so that merging written profiles one at a time gives the comments
// that merging the observations in memory gives (tested). A profile entry
// without such a comment (written by hand or by another tool) counts as
// seen in one recording.
//
// # Static analysis (record --static)
//
// With ptrace.Options.Files the recording also lists the programs
// executed and the files mapped executable (Observations.Execs, Mapped).
// ProfileOptions.Static adds what package analyze finds that code can
// reach: a syscall not seen gets an entry commented "not seen; static:
// CHAIN", and a seen one keeps its count and loses its argument rules,
// since the analysis reaches it with arguments it does not bound.
//
// # Runtimes
//
// A runtime that loads the filter before it executes the command needs
// its own post-load syscalls in the profile (ProfileOptions.For).
// RuntimeSyscalls holds these sets as data, with the sources they come
// from: RuntimeSysfence (package sandbox, which loads the filter at the
// command's exec stop) needs nothing extra; runc (and Docker, which runs
// runc) and crun need what they call between loading the filter and
// execve. A syscall the runtime needs is allowed without argument
// conditions.
package record
