// Package ebpf records the syscalls of a process tree with eBPF programs
// on the raw sys_enter tracepoint: every call of every thread and child is
// counted in kernel maps at near-zero cost, and read once the tree has
// exited. It needs root (CAP_BPF and CAP_PERFMON) and a kernel with BTF;
// it runs on Linux x86_64 and fails elsewhere with an error matching
// ErrNotSupported that names what is missing.
//
// # No compiler at run time
//
// The four programs are built in Go with cilium/ebpf's asm package when
// the recorder starts (program_linux_amd64.go): no clang, no kernel
// headers, no object file to ship or keep in sync. What depends on the
// running kernel, the offsets of task_struct.thread_info.status,
// task_struct.pid and .tgid and of the argument registers in pt_regs, is
// read from the kernel's BTF (/sys/kernel/btf/vmlinux) at load time, and
// the verifier checks the one direct load the programs make. Raw
// tracepoints are attached by name through bpf(2) and need no tracefs
// mount.
//
// # Following the tree
//
// A bitmap with one bit per possible thread id (PID_MAX_LIMIT, 512 KiB)
// holds the tree: sys_enter tests a bit, an array lookup the verifier
// inlines, after reading the thread id from the current task, so the
// programs cost about 20 ns per syscall, tracked or not (measured with
// kernel.bpf_stats_enabled, whose own overhead subtracted). The launcher process is
// registered with Follow before it execs the command; the sys_enter
// program notes its execve/execveat, and sched_process_exec starts
// tracking it at the successful exec and counts that exec as the
// command's first syscall. Everything the launcher did before (between
// fork and exec) is not recorded, and neither does an exec whose execve
// entry came before Follow (the launcher's own start) begin the
// recording. sched_process_fork adds every thread
// and child created by a tracked task; it fires in the parent before the
// child is first woken, so no call of the child is missed, however short
// its life. A launcher built on sandbox.Trace (as package recorder is),
// whose child has exec'd before its parent can act, calls Track at the
// exec stop instead: the stopped process's bit is set from user
// space (nothing else is tracked yet, so no program races with that
// write) and the execve that got there is counted as its first call.
// sched_process_exit removes each task, which also keeps pid
// reuse from adding strangers. An exec from a non-leader thread moves the
// bit to the id it takes over. Bits are set and cleared with atomic
// fetch-or/fetch-and, so the live count is exact. A counter of live tasks tells Wait when
// the tree is gone; descendants that outlive the command are waited for.
//
// # Telling the ABIs apart
//
// The raw sys_enter id of a 32-bit call is the i386 number, also when a
// 64-bit process uses int 0x80. The program reads
// current->thread_info.status (through bpf_get_current_task_btf, one
// checked load, no helper copy): the kernel sets TS_COMPAT there for the
// duration of every 32-bit syscall, and it is the same bit seccomp uses
// to fill seccomp_data.arch, so calls are attributed exactly as a filter
// will see them. Without TS_COMPAT, an id with bit 30 set is an x32 call.
// Counts go to one per-CPU map value with 1024 slots per ABI; numbers outside
// (and ids such as -1) go to a hash map, so every number is kept.
//
// # Arguments
//
// With Options.Args the program reads, for the syscalls of
// record.ArgSpecs, the deciding argument registers from pt_regs (the i386
// registers for compat calls) and, for clone3, the flags word in user
// memory, and counts each distinct combination in a hash map. If that
// map fills up, the syscall is marked incomplete so that no rule
// restricts its arguments.
//
// # Nothing lost, everything drained
//
// There is no perf or ring buffer to overflow: each call is a counter
// increment. Stop detaches the programs before reading. When the tree has
// exited, no update can be in flight (a task's sys_enter programs finish
// before its exit is counted); when Stop is called while the tree still
// runs, it waits for an RCU grace period (membarrier
// MEMBARRIER_CMD_GLOBAL), after which no program that started before the
// detach is still running. Close always detaches the links and frees the
// programs and maps.
//
// # Running processes
//
// Attach follows a tree that is already running: each thread of the
// process and of the processes below it (from /proc) gets its bit from a
// small program run through BPF_PROG_RUN, with the same atomic
// operations the attached programs use, so the tree may fork and exit
// meanwhile; /proc is scanned again until no thread is missing, and a
// thread that exited in between is taken out again. With
// Options.Cgroup, sys_enter selects the tasks of a cgroup (and below)
// instead: bpf_get_current_ancestor_cgroup_id at the cgroup's level
// equals its id; no tree is kept.
//
// # Limits
//
// The recorder must run in the initial PID namespace (Follow takes the
// launcher's pid as the recorder sees it, the programs see global ids).
// Syscalls denied by a seccomp filter already in force never reach
// sys_enter and are not seen.
package ebpf
