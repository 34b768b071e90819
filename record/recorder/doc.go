// Package recorder runs a command under the syscall recorder that suits
// the system: the eBPF backend (record/ebpf) where it can load (root, a
// kernel with BTF and raw tracepoints), the ptrace backend (record/ptrace)
// otherwise, and returns what was recorded with how the command ended.
//
// Both backends start the command the same way, through sandbox.Trace:
// stdio, terminal, process group, no_new_privs, exit status and signal
// forwarding are those of sandbox.Run, and the recording starts at the
// command's exec stop, so nothing of the launcher's own start-up is
// recorded. The eBPF backend starts tracking the process there (Track)
// and lets it run untraced; the ptrace backend traces it with a RET_TRACE
// filter.
//
// A recording ends when the command and every descendant have exited,
// or early with Stop (on an interrupt, say): then whatever is left of the
// tree is killed and what was recorded until then is returned. This is
// what sysfence's record command builds on.
//
// AttachTo records processes that are already running (a process tree,
// or a cgroup and the cgroups below it) with the eBPF backend, from the
// moment it attaches: Wait returns when the last of them has exited (the
// cgroup is empty), or when its context ends (an interrupt, a duration),
// and Finish returns what was recorded. Nothing is killed.
package recorder
