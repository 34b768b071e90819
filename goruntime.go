package sysfence

import (
	"runtime"
	"slices"
)

// goRuntimeCommon are the system calls the Go runtime (1.25 and later) may
// make on any thread at any moment after the program has started, on
// every 64-bit Linux port. Derived from the runtime's sources
// (runtime/sys_linux_amd64.s and sys_linux_arm64.s, os_linux.go,
// mem_linux.go, proc.go, signal_unix.go, netpoll_epoll.go,
// cgroup_linux.go, internal/runtime/cgroup, internal/runtime/syscall) and
// proven by TestGoRuntimeSuffices, which runs a Go program under a
// KILL_PROCESS filter allowing exactly these (plus write) through
// scheduling, preemption, GC, thread churn, timers and the netpoller.
var goRuntimeCommon = []string{
	// Memory: heap growth (mmap), the scavenger and huge-page hints
	// (madvise), freeing (munmap).
	"mmap", "munmap", "madvise",
	// Threads: clone for a new M (amd64 passes CLONE_SETTLS, so no
	// arch_prctl follows; arm64 keeps TLS in a register);
	// each new thread reads its id (gettid),
	// installs its signal stack (sigaltstack) and mask (rt_sigprocmask);
	// a thread that ends (a goroutine exiting while locked to its thread)
	// calls exit; the process ends with exit_group.
	"clone", "gettid", "sigaltstack", "rt_sigprocmask", "exit", "exit_group",
	// Scheduling: futex (notes and locks), sched_yield (osyield), nanosleep
	// (usleep in sysmon and spinning); restart_syscall is what the kernel
	// resumes an interrupted futex or nanosleep with after a signal.
	"futex", "sched_yield", "nanosleep", "restart_syscall",
	// Signals: asynchronous preemption sends SIGURG to a thread with
	// tgkill(getpid(), tid) and returns through rt_sigreturn; rt_sigaction
	// when os/signal starts watching a signal and when a crash resets a
	// handler to die from it.
	"tgkill", "getpid", "rt_sigreturn", "rt_sigaction",
	// Time: the vDSO answers clock_gettime without entering the kernel,
	// but falls back to the syscall when the clock source has no vDSO
	// support (common in virtual machines).
	"clock_gettime",
	// GOMAXPROCS follows the CPU affinity and the cgroup CPU limit (Go
	// 1.25+): sysmon re-reads them once a second with sched_getaffinity
	// and pread64 on cgroup files it opened at start-up.
	"sched_getaffinity", "pread64",
	// The network poller, started lazily by the first pollable file or
	// socket, and used for timers once started: epoll_create1 and eventfd2
	// at start, epoll_ctl, epoll_pwait; it wakes itself by writing to its
	// eventfd and drains it with read. write is also how a panic or fatal
	// error reaches stderr.
	"epoll_create1", "eventfd2", "epoll_ctl", "epoll_pwait", "read", "write",
	// A file the program drops without closing is closed by package os's
	// finalizer, on whichever thread runs finalizers after a GC.
	"close",
}

// goRuntimeCgo are added when the program is linked with cgo: its threads
// are then created by the C library's pthread_create (glibc: clone3,
// set_robust_list and rseq in the new thread, mmap + mprotect for the
// stack and its guard page) and runtime/cgo allocates with malloc (brk,
// mprotect of new arenas). Seen with glibc 2.36 under strace; musl uses a
// subset.
var goRuntimeCgo = []string{"clone3", "set_robust_list", "rseq", "mprotect", "brk"}

// GoRuntime returns the names of the system calls the Go runtime may make
// by itself at any time after start-up: allow them
// in every filter whose default action denies, and add what the program
// itself calls. The list is the same on every architecture (a name an
// ABI lacks is skipped there). A fresh slice each time; change it freely.
//
// In a program linked with cgo (runtime.NumCgoCall is non-zero from the
// start), the list also has what the C library's threads and malloc need:
// clone3, set_robust_list, rseq, mprotect and brk. What the program's own
// C code calls is the program's to add. glibc also reads
// /sys/devices/system/cpu/online now and then (seen when many threads
// contend for malloc: it sizes its arenas with get_nprocs), an openat that
// no filter can tell apart from the program's own opens: a cgo program
// whose filter denies openat must deny it with an errno, not a kill, e.g.
// f.Add(Errno(syscall.ENOENT), "openat") (glibc then falls back).
//
// It includes read and write (the network poller's eventfd, and panic
// messages), so a rule restricting write by file descriptor has to
// Remove("write") first and the program must then not use the poller.
//
// Not included, because the runtime makes them only at start-up (before
// any filter a program can load) or only on request: openat of /proc
// and /sys files, fcntl, prlimit64, uname, mincore (start-up); setitimer,
// timer_create, timer_settime, timer_delete (runtime/pprof CPU
// profiling); kill (GOTRACEBACK=crash relaying SIGQUIT). Whatever the
// program's own code calls through package os, net or syscall (openat,
// close, pipe2, socket, accept4, getrandom for crypto/rand...) is the
// program's to add.
//
// The list is derived for linux/amd64 and linux/arm64 (proven on amd64
// by a test, with and without cgo); 32-bit ports would also need their
// time64 variants (futex_time64, clock_gettime64).
func GoRuntime() []string {
	names := slices.Clone(goRuntimeCommon)
	// runtime.main makes one cgo call (_cgo_notify_runtime_init_done)
	// before any package of the program is initialised, if and only if
	// runtime/cgo is linked: the one public sign of a cgo binary.
	if runtime.NumCgoCall() > 0 {
		names = append(names, goRuntimeCgo...)
	}
	return names
}
