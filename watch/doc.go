// Package watch reports the seccomp decisions other than ALLOW that the
// kernel makes for the processes of a machine (or of one process tree or
// cgroup): errno answers with their errno, KILL_PROCESS and KILL_THREAD,
// TRAP, TRACE, USER_NOTIF and LOG, and strict mode's kills; each with
// the process, its cgroup and container, the call decoded as run's
// reports decode it, and the filter (or, given a profile, the profile
// entry) that decided. It is what `sysfence watch` prints.
//
// # Hooks
//
// The programs are raw tracepoint programs built with cilium/ebpf's asm
// package when New runs (no compiler, no headers); the offsets they read
// come from the kernel's BTF. seccomp answers a call before the
// sys_enter tracepoint, and a call it does not let run never gets there,
// but it does reach sys_exit. So:
//
//   - sys_enter marks, for each thread under seccomp, that its current
//     call got past seccomp (a byte per thread id);
//   - sys_exit reports a call of such a thread that was not marked:
//     seccomp skipped it (ERRNO, TRAP, TRACE without a tracer or skipped
//     by one, USER_NOTIF answered with an error or a value, and
//     KILL_PROCESS, whose signal is on its way: the thread's seccomp mode
//     is DEAD then);
//   - sys_enter also reports the calls that seccomp let run with LOG, or
//     with TRACE or USER_NOTIF answers that let them: only for calls the
//     kernel's action cache does not allow outright, and whose filters
//     may answer so for that syscall (a bitmap per chain of filters,
//     computed here with MayProceed, written into a map);
//   - sched_process_exit reports a thread that dies in seccomp mode DEAD
//     without a report at sys_exit: a KILL_THREAD that ended one thread
//     of several (the kernel calls do_exit from the filter's answer) or
//     strict mode (told apart by the exit signal, SIGSYS or SIGKILL);
//   - sched_process_fork marks a new thread as having entered its call
//     (it starts by returning from clone through sys_exit) and, when a
//     process tree is selected, adds new processes to it.
//
// audit_seccomp sees only the actions the kernel logs (KILL, LOG, and
// the others only for filters loaded with SECCOMP_FILTER_FLAG_LOG), so it
// is not used. fexit programs on __seccomp_filter would cost only the
// calls of processes under seccomp, but need BPF trampolines, which this
// kernel refuses (EPERM; kprobes are not built at all): the tracepoints
// are what works everywhere from Linux 5.15. Their cost is that every
// syscall of every process takes the kernel's tracing path while a watch
// runs (see the README for measurements).
//
// # Which action
//
// The programs send, with each call, the address of every filter of the
// calling thread, and once per filter its program: the kernel keeps a
// copy of the program as it was loaded (for its action cache and for
// PTRACE_SECCOMP_GET_FILTER), which the program copies into the ring
// buffer. RunChain runs the chain as seccomp_run_filters does; the
// answer must agree with what the kernel did (an errno answer returned
// exactly that errno, a trap rolled the registers back), or the call is
// not reported (a tracer's skip, a call in flight when a filter was
// installed). The thread's filters are gone when a KILL_THREAD ends it,
// so for those the deciding filter is not known. Without a readable
// filter a decision is reported with what the kernel's handling showed,
// and the summary says how many.
//
// # Nothing lost
//
// Identical calls (same process, ABI, number, arguments, paths, filters
// and outcome) are counted in a kernel hash map; only a new one goes
// through the ring buffer, and the map is read every interval, so
// counts are exact whatever the rate. A record the ring buffer has no
// room for is found in the map. When the map is full (16,384 distinct
// calls), calls are sent one by one; those the ring buffer cannot take
// either are counted and the summary says so. On stop, the programs are
// detached, an RCU grace period passes (membarrier), and the ring buffer
// and the map are read to the end.
package watch
