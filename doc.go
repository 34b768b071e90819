// Package sysfence is the Go API for programs that confine themselves with
// seccomp: the counterpart of libseccomp's seccomp_init, seccomp_rule_add
// and seccomp_load, in pure Go.
//
// Build a filter in code, or start from a Docker/OCI profile (a built-in
// name such as "docker-default", or a file), add rules with argument
// conditions, check what it answers, and load it into the running process:
//
//	f := sysfence.NewFilter(sysfence.KillProcess)
//	f.Allow(sysfence.GoRuntime()...)          // what the Go runtime itself calls
//	f.Allow("openat", "close", "fstat")
//	f.Add(sysfence.Errno(syscall.EPERM), "socket", sysfence.Arg(0).Ne(unix.AF_UNIX))
//	f.Add(sysfence.Allow, "socket", sysfence.Arg(0).Eq(unix.AF_UNIX))
//	if err := f.Load(); err != nil { ... }    // every thread, no_new_privs
//
// # Semantics
//
// A filter answers every system call of the process: the rules of its
// syscall number decide, and a call no rule matches gets the default
// action. The conditions of one rule must all hold (AND, also for several
// conditions on one argument, so Arg(0).Ge(1), Arg(0).Le(5) is a range);
// separate rules are alternatives (OR). A syscall that has an
// unconditional rule is decided by it, and Compile refuses a second rule
// with another action for it (ErrConflict) instead of letting one of them
// silently never apply. When conditional rules with different actions
// match the same call, the one the kernel ranks highest wins
// (KILL_PROCESS > KILL_THREAD > TRAP > ERRNO > TRACE > LOG > ALLOW), so a
// call is never treated more permissively than any rule that matches it.
// Argument values are compared as 64-bit numbers on 64-bit ABIs and on
// their low 32 bits on 32-bit ABIs, as libseccomp does.
//
// The filter always covers the ABI of the running program (x86_64 for a
// GOARCH=amd64 binary); AddArch adds others that the process could use
// (x86 for int $0x80 from an x86_64 process, x32). Any other ABI gets the
// bad-architecture action, KILL_PROCESS unless set otherwise: a Go program
// whose one thread is killed would hang, so the API never kills a single
// thread unless asked to. SetENOSYS turns on runc's rule that a syscall
// newer than every syscall the filter names fails with ENOSYS, so that
// libc and the Go runtime fall back to older calls (on for FromProfile
// unless ProfileOptions.NoENOSYS, as in runc; off for NewFilter, as in
// libseccomp).
//
// Filters are built by the packages sysfence's commands use (profile
// resolves, policy builds the rule set, compile emits BPF), so a profile
// gives the program that sysfence's run and compile commands install for
// it (with KILL_PROCESS instead of runc's KILL_THREAD for bad
// architectures, unless SetBadArchAction says otherwise), and Compile
// returns that program for inspection or export (Export writes the raw
// form that bwrap's --seccomp option reads).
// Check runs the compiled program on sysfence's BPF emulator, which is
// how tests can assert what the kernel will answer without loading it.
//
// # Loading
//
// Load sets no_new_privs and installs the filter on every thread of the
// process (SECCOMP_FILTER_FLAG_TSYNC) from a goroutine locked to its OS
// thread: goroutines move between threads, so a filter on one thread
// would be no confinement at all. A loaded filter cannot be removed;
// later filters can only restrict further. LoadStrict enters strict mode
// on the calling thread only (the kernel has no TSYNC for it).
//
// Everything the running kernel or OS cannot do is an error that wraps
// ErrNotSupported: a kernel without seccomp filters, an action it does not
// know (KILL_PROCESS and LOG need Linux 4.14), an operating system other
// than Linux. Nothing degrades to a silent no-op.
//
// # The Go runtime's own system calls
//
// A Go program cannot pick its syscalls freely: the runtime makes some on
// any thread at any time (thread creation, scheduling, garbage
// collection, preemption signals, the network poller, the once-a-second
// GOMAXPROCS update of Go 1.25 and later). GoRuntime lists them; allow
// them in every filter whose default denies, or the program dies at a
// random moment. See GoRuntime for what is in the list and what is not.
package sysfence
