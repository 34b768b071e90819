package record

import (
	"errors"
	"fmt"
	"sort"
)

// Runtime names the program that loads the recorded profile and then
// executes the command (--for).
type Runtime string

// The runtimes sysfence knows the post-load needs of.
const (
	RuntimeSysfence Runtime = "sysfence"
	RuntimeRunc     Runtime = "runc"
	RuntimeCrun     Runtime = "crun"
	RuntimeDocker   Runtime = "docker" // Docker runs containers with runc
)

// ErrUnknownRuntime is returned for a --for value sysfence does not know.
var ErrUnknownRuntime = errors.New("unknown runtime")

// Runtimes lists the values --for accepts.
func Runtimes() []Runtime {
	return []Runtime{RuntimeSysfence, RuntimeRunc, RuntimeCrun, RuntimeDocker}
}

// The sets below are x86_64 names; a name that does not exist on another
// ABI is ignored there by libseccomp and runc. Each is what the runtime
// itself calls between loading the filter and its execve of the command.
// The recorder never sees those calls (they belong to the runtime, not to
// the command), so a profile for that runtime must add them.

// goRuntimeSyscalls may run on any thread of a Go program at any moment
// (scheduler, GC, preemption signals, thread creation, netpoller). runc's
// init is a Go program, so any of them can happen after the filter is on.
// Source: Go's runtime (os_linux.go, sys_linux_amd64.s, netpoll_epoll.go).
var goRuntimeSyscalls = []string{
	"clone", "epoll_ctl", "epoll_pwait", "exit", "futex", "getpid", "gettid", "madvise",
	"mmap", "munmap", "nanosleep", "rt_sigprocmask", "rt_sigreturn", "sched_yield",
	"sigaltstack", "tgkill",
}

// runcSyscalls is what runc's init does after InitSeccomp. Without
// noNewPrivileges (Docker's default) runc loads the filter early and then
// runs finalizeNamespace, pdeath.Restore, the getppid check, LookPath and
// Eaccess, closes its pipes, reopens and writes the exec fifo, runs
// startContainer hooks and calls execve; with noNewPrivileges it loads the
// filter just before the pipe closes and the fifo write.
//
// Sources: runc v1.1.5 libcontainer/standard_init_linux.go (Init, from
// syncParentReady to system.Exec) and init_linux.go (finalizeNamespace,
// setupUser, fixStdioPermissions); runc v1.5.2 the same files plus
// utils.CloseExecFrom (close_range), UnsafeCloseFrom and the pathrs-lite
// procfs helpers (openat2, statx, fstatfs, readlinkat, and the mount API
// it tries first for a private procfs: fsopen, fsconfig, fsmount,
// open_tree). Checked on Debian's runc 1.1.5+ds1-1+deb12u1 with
// `strace -f` of `runc run` (busybox true, noNewPrivileges false): the
// init thread called exactly capget, capset, chdir, close, epoll_ctl,
// execve, faccessat2, fcntl, fstat, fstatfs, futex, getcwd, getdents64,
// getpid, getppid, newfstatat, openat, prctl, read, setgid, setgroups,
// setuid and write after prctl(PR_SET_SECCOMP).
var runcSyscalls = []string{
	"capget", "capset", "chdir", "close", "close_range", "execve", "faccessat", "faccessat2",
	"fchown", "fcntl", "fsconfig", "fsmount", "fsopen", "fstat", "fstatfs", "getcwd", "getdents64",
	"getppid", "kill", "newfstatat", "open_tree", "openat", "openat2", "prctl", "read", "readlinkat",
	"setgid", "setgroups", "setresgid", "setresuid", "setuid", "statx", "uname", "write",
}

// crunSyscalls is what crun does after libcrun_apply_seccomp. Without
// noNewPrivileges crun loads the filter in apply_security_settings and
// then sets capabilities and ids (set_required_caps: prctl, setresgid,
// setresuid, capset), finds the executable, changes directory, unblocks
// signals, syncs with its parent over the sync socket, waits on the exec
// fifo (select, read), closes stray fds (close_range, falling back to
// reading /proc/self/fd) and calls execv; with noNewPrivileges it loads
// the filter after the fifo wait.
//
// Source: crun src/libcrun/container.c (apply_security_settings,
// container_init_setup, container_init), linux.c (set_required_caps),
// utils.c (mark_or_close_fds_ge_than), seccomp.c (libcrun_apply_seccomp),
// at containers/crun ba38286f (after 1.9.2; the same order since 1.x).
// glibc's malloc may add brk and mmap.
var crunSyscalls = []string{
	"access", "brk", "capset", "chdir", "close", "close_range", "execve", "faccessat", "faccessat2",
	"fcntl", "fstat", "fstatfs", "getdents64", "mmap", "munmap", "newfstatat", "openat", "prctl",
	"pselect6", "read", "rt_sigprocmask", "select", "setgroups", "setresgid", "setresuid", "stat",
	"write",
}

// RuntimeSyscalls returns the syscalls rt calls after it loads the filter
// and before it executes the command, sorted. sysfence run loads its
// filter as its last step before execve, and the recorder records that
// execve as the command's first call, so it needs nothing extra.
func RuntimeSyscalls(rt Runtime) ([]string, error) {
	var sets [][]string
	switch rt {
	case "", RuntimeSysfence:
		return nil, nil
	case RuntimeRunc, RuntimeDocker:
		sets = [][]string{runcSyscalls, goRuntimeSyscalls}
	case RuntimeCrun:
		sets = [][]string{crunSyscalls}
	default:
		return nil, fmt.Errorf("%w %q (want one of sysfence, runc, crun, docker)", ErrUnknownRuntime, string(rt))
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range sets {
		for _, n := range s {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
