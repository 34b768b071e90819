package sandbox

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/bpf/rewrite"
	"github.com/sysfence/sysfence/compile"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// Rules sysfence adds behind the caller's filter. Each backs a path or
// port rule where Landlock alone leaves a hole, or routes calls to the
// supervisor:
//
//   - mptcp (port rules): Landlock's port rules cover TCP only, and an
//     MPTCP socket (IPPROTO_MPTCP) binds and connects anywhere. With port
//     rules, socket(..., IPPROTO_MPTCP) fails with EPROTONOSUPPORT, which
//     is what a kernel without MPTCP answers, so programs fall back to TCP
//     (Go's listeners do; see the tests). io_uring_setup fails with
//     ENOSYS, whatever the profile allows: io_uring's operations never
//     pass through the filter, and IORING_OP_SOCKET makes the MPTCP
//     socket that socket(2) is refused. listen(2) (and socketcall's
//     SYS_LISTEN) goes to the supervisor, which refuses to listen on an
//     unbound TCP socket (listen_linux.go).
//   - terminal: the command shares the user's terminal, and TIOCSTI would
//     let it type input that the user's shell reads and runs after it,
//     outside the sandbox (bubblewrap's CVE-2017-5226); TIOCLINUX's
//     paste does the same on a virtual console. Both fail with EPERM on
//     the low 32 bits of the command, all the kernel reads (Flatpak's
//     CVE-2019-10063 compared all 64). Always added but in strict mode,
//     which allows no ioctl; Exec stacks the same rules.
//   - truncation: see truncateBySeccomp.
//   - supervise: path rules without Landlock. open, openat and openat2
//     go to the supervisor, which opens the file itself and hands the
//     descriptor over (paths_linux.go); every other call that creates,
//     removes, renames, links, truncates or executes files, or changes
//     what a path means (mount, chroot), is refused, because the
//     supervisor cannot do it on the command's behalf without a race; so
//     are ptrace, process_vm_readv/writev and pidfd_getfd, which reach
//     into other processes' memory and descriptors (Landlock forbids that
//     outside the sandbox by itself), and every other way to get a
//     descriptor of a file that the supervisor does not open (see
//     fdSources).
//
// The rules are a policy compiled by the project's compiler (so every ABI
// the kernel runs is covered, x32 and int $0x80 included) and chained
// behind the caller's program: each ALLOW of the caller's program jumps
// to them. The result is the stricter of the two answers, as if the two
// filters were stacked, but with one program and one listener.
type addedRules struct {
	mptcp, truncation, supervise bool
	// terminal: TIOCSTI and TIOCLINUX are refused.
	terminal bool
	// untraced: the command is attached for its lifetime (Run), and no
	// descendant may escape that (see lifetimeRules).
	untraced bool
	// noOthers: without Landlock, the filter refuses the calls that
	// reach into other processes (see isolate.go).
	noOthers bool
	// superviseExec leaves execve to the caller's filter under supervise
	// (best effort: the supervisor cannot check what is executed).
	superviseExec bool

	pol     *policy.Policy
	prog    bpf.Program
	reasons []string // by policy.Origin.Entry
}

// The reasons reports give for the added rules' answers.
const (
	reasonMPTCP = "port rules: MPTCP sockets would bypass Landlock's TCP port rules, so the filter refuses them " +
		"(EPROTONOSUPPORT, as without MPTCP; programs fall back to TCP)"
	reasonSocketcall = "port rules: socket(2) through socketcall(2) passes its protocol in memory, which seccomp cannot check for MPTCP"
	reasonTruncate   = "read-only path rules: truncating files is refused by the filter instead of Landlock's TRUNCATE right " +
		"(which would cost every open a walk up to /)"
	reasonOpenat2Trunc = "read-only path rules: openat2 passes its flags in memory, where the filter cannot see O_TRUNC"
	reasonIOURing      = "path rules: io_uring operations never pass through the seccomp filter"
	reasonIOURingPorts = "port rules: io_uring operations never pass through the seccomp filter " +
		"(IORING_OP_SOCKET makes MPTCP sockets, which Landlock's TCP port rules do not cover)"
	reasonListenSupervised = "port rules: the supervisor checks that the socket is bound (Landlock checks bind, not listen's autobind) and listens on it"
	reasonSupervised       = "path rules without Landlock: the supervisor opens the file itself"
	reasonNoChange         = "path rules without Landlock: only reading is supervised, calls that change files are refused"
	reasonNoHandle         = "path rules without Landlock: a file handle (or uselib, acct, swapon) names a file the supervisor does not open, so it cannot check it"
	reasonNoExec           = "path rules without Landlock: the supervisor cannot check what execve runs (give --allow-exec with --best-effort to leave it to the profile)"
	reasonNoMount          = "path rules without Landlock: the supervisor resolves paths in its own mount namespace and root"
	reasonNoOthers         = "path rules without Landlock: another process's memory and descriptors would bypass them (Landlock forbids this outside the sandbox)"
	reasonNoFdSource       = "path rules without Landlock: it hands out descriptors of files the supervisor does not open " +
		"(fanotify events, pinned BPF objects, uprobes on files by path)"
	reasonNoUnix = "path rules without Landlock: a UNIX socket connects to socket files by name, or to a peer outside the sandbox " +
		"that can pass it descriptors (socketpair stays allowed)"
	reasonNoSocketcall = "path rules without Landlock: socket(2) through socketcall(2) passes its domain in memory, which seccomp cannot check for AF_UNIX"
	reasonIsolation    = "no Landlock: nothing else keeps the command from the memory and descriptors of processes outside its sandbox"
	reasonUntraced     = "sysfence follows every descendant of the command so that none outlives the run: CLONE_UNTRACED would hide one"
	reasonTerminal     = "the command shares the terminal: TIOCSTI (and TIOCLINUX's paste) would type input that the program reading it after the command (your shell) runs outside the sandbox"
	reasonClone3       = "sysfence follows every descendant of the command: clone3 passes its flags in memory, where the filter cannot see CLONE_UNTRACED (libc falls back to clone)"
)

// fdSources is the audit behind the supervise rules: every way a command
// can come to hold a descriptor, and what path rules without Landlock do
// about it. The supervisor polices opens; whatever hands out a
// descriptor of a file without an open the supervisor performs must be
// refused, or the rules are void.
//
// Refused:
//   - fanotify_init, fanotify_mark: each event carries a descriptor of
//     the file another process opened, opened by the kernel for the
//     listener (Landlock checks that open against the command's rules;
//     the supervisor never sees it). EPERM.
//   - open_by_handle_at: a handle names a file without a path. EACCES.
//   - open_tree, open_tree_attr, fsopen, fspick, fsmount, move_mount and
//     the other mount calls: a descriptor of a path or a mount, by name,
//     and a way to change what paths mean. EPERM.
//   - pidfd_getfd, ptrace, process_vm_readv/writev: another process's
//     descriptors, or its memory and so its calls. EPERM.
//   - bpf: BPF_OBJ_GET opens an object pinned in the BPF file system by
//     its path. EPERM.
//   - perf_event_open: a uprobe names a file by path, and samples read
//     other processes' registers and stacks. EPERM.
//   - socket(AF_UNIX) (and socketcall's SYS_SOCKET, whose domain is in
//     memory): connecting one reaches a socket file by name, or a peer
//     outside the sandbox, which can pass any descriptor over it
//     (SCM_RIGHTS). socketpair stays: both ends are the command's. EACCES
//     (ENOSYS for socketcall, as a kernel without it says).
//   - io_uring_setup: its operations (openat among them) never pass
//     through the filter. ENOSYS.
//   - execve, execveat (unless SupervisedExec): the kernel opens the
//     program and its interpreter. EACCES.
//   - uselib, acct, swapon: files opened by the kernel by name. EACCES.
//
// Left alone:
//   - descriptors the command starts with, and those passed to it over a
//     socket it inherited: its starting state, chosen by whoever started
//     it (as under Landlock, which restricts opens, not descriptors).
//   - /proc/PID/fd/N and /proc/PID/map_files re-opens: they are opens,
//     supervised (the link is resolved to its path and checked).
//   - name_to_handle_at: a handle is no descriptor, and only
//     open_by_handle_at (refused) turns it into one.
//   - memfd_create, memfd_secret, pipe, socketpair, eventfd, signalfd,
//     timerfd, epoll, userfaultfd, pidfd_open, landlock_create_ruleset,
//     inotify_init: new objects that are no file of the file system.
//     inotify_add_watch reports names in a watched directory, as stat and
//     readlink tell what exists, which Landlock does not restrict either.
//   - mq_open, SysV IPC, abstract and inet sockets: IPC and network, not
//     files (port rules need Landlock).
//   - quotactl_fd, file_setattr and the chmod/chown/xattr family: they
//     change attributes of files, not what the command can read (as
//     under Landlock).
//
// Under Landlock none of these needs a rule of sysfence's: the kernel
// checks the files themselves (fanotify's event opens, for one).

// addedRule is one rule of the added policy.
type addedRule struct {
	names  []string
	action policy.Action
	conds  []policy.Cond
	reason string
}

const (
	ipprotoMPTCP    = 262
	oTrunc          = 0x200 // O_TRUNC on every ABI sandbox injects into (x86)
	errEACCES       = 13
	errEPERM        = 1
	errENOSYS       = 38
	errEPROTONOSUPP = 93
	sysSocketCall   = 1 // SYS_SOCKET, socketcall's call number for socket(2)
	afUnix          = 1
)

func (r *addedRules) empty() bool {
	return !r.mptcp && !r.truncation && !r.supervise && !r.untraced && !r.noOthers && !r.terminal
}

// hasNotify reports whether the added rules send calls to the
// supervisor (they then cannot stand as a filter of their own).
func (r *addedRules) hasNotify() bool { return r.supervise || r.mptcp }

// lifetimeRules keep every descendant of an attached command traced, so
// that PTRACE_O_EXITKILL and the end of the run reach it: clone with
// CLONE_UNTRACED fails with EPERM (nothing but debuggers of the kernel's
// own threads has a use for it), and clone3, whose flags the filter
// cannot read, with ENOSYS, which makes libc fall back to clone (as under
// Docker's default profile; where the caller's program allows clone3 but
// not clone, rewrite.CloneForClone3 lets clone take its place). fork, vfork
// and plain clones are followed.
// flagsArg is where clone's flags are: argument 0 on x86, whose ABIs are
// the ones sandbox injects into (s390 would have them second).
func lifetimeRules(flagsArg uint8) []addedRule {
	untraced := policy.Cond{Arg: flagsArg, Op: policy.OpMaskedEq, Mask: rewrite.CloneUntraced, Value: rewrite.CloneUntraced}
	return []addedRule{
		{[]string{"clone"}, policy.Errno(errEPERM), []policy.Cond{untraced}, reasonUntraced},
		// RET_TRACE, not ERRNO(ENOSYS): to a tracee whose tracer (sysfence)
		// did not ask for seccomp stops the kernel answers ENOSYS without
		// stopping it, and unlike an errno answer it is not turned into a
		// notification in reporting mode: libc's silent fallback stays
		// silent and costs nothing.
		{[]string{"clone3"}, policy.ActTrace, nil, reasonClone3},
	}
}

// cloneFlagsArg is the argument of clone that holds its flags on the
// ABIs of an x86_64 kernel.
const cloneFlagsArg = 0

// rules lists the added rules for one ABI (argument positions differ
// between open and openat, not between ABIs).
func (r *addedRules) rules() []addedRule {
	var out []addedRule
	low32 := func(arg uint8, v uint64) policy.Cond {
		return policy.Cond{Arg: arg, Op: policy.OpMaskedEq, Mask: 0xffffffff, Value: v}
	}
	flagSet := func(arg uint8, f uint64) policy.Cond {
		return policy.Cond{Arg: arg, Op: policy.OpMaskedEq, Mask: f, Value: f}
	}
	if r.mptcp {
		out = append(out,
			addedRule{[]string{"socket"}, policy.Errno(errEPROTONOSUPP), []policy.Cond{low32(2, ipprotoMPTCP)}, reasonMPTCP},
			addedRule{[]string{"socketcall"}, policy.Errno(errENOSYS), []policy.Cond{low32(0, sysSocketCall)}, reasonSocketcall},
			addedRule{[]string{"io_uring_setup"}, policy.Errno(errENOSYS), nil, reasonIOURingPorts},
			addedRule{[]string{"listen"}, policy.ActUserNotif, nil, reasonListenSupervised},
			addedRule{[]string{"socketcall"}, policy.ActUserNotif, []policy.Cond{low32(0, sysListenCall)}, reasonListenSupervised})
	}
	if r.untraced {
		out = append(out, lifetimeRules(cloneFlagsArg)...)
	}
	if r.terminal {
		// unix's numbers are the native ABI's, which the compat ABIs of
		// the same kernel share (i386 and x32 on x86_64, arm on arm64).
		out = append(out, addedRule{[]string{"ioctl"}, policy.Errno(errEPERM), []policy.Cond{low32(1, unix.TIOCSTI)}, reasonTerminal},
			addedRule{[]string{"ioctl"}, policy.Errno(errEPERM), []policy.Cond{low32(1, unix.TIOCLINUX)}, reasonTerminal})
	}
	if r.noOthers && !r.supervise {
		out = append(out, addedRule{[]string{"ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd"}, policy.Errno(errEPERM), nil, reasonIsolation})
	}
	if r.truncation && !r.supervise {
		out = append(out,
			addedRule{[]string{"truncate", "truncate64"}, policy.Errno(errEACCES), nil, reasonTruncate},
			addedRule{[]string{"open"}, policy.Errno(errEACCES), []policy.Cond{flagSet(1, oTrunc)}, reasonTruncate},
			addedRule{[]string{"openat", "open_by_handle_at"}, policy.Errno(errEACCES), []policy.Cond{flagSet(2, oTrunc)}, reasonTruncate},
			addedRule{[]string{"openat2"}, policy.Errno(errENOSYS), nil, reasonOpenat2Trunc})
		if !r.mptcp { // else refused already, for the port rules
			out = append(out, addedRule{[]string{"io_uring_setup"}, policy.Errno(errENOSYS), nil, reasonIOURing})
		}
	}
	if r.supervise {
		out = append(out,
			addedRule{[]string{"open", "openat", "openat2"}, policy.ActUserNotif, nil, reasonSupervised},
			addedRule{[]string{"creat", "truncate", "truncate64", "mkdir", "mkdirat", "mknod", "mknodat",
				"unlink", "unlinkat", "rmdir", "rename", "renameat", "renameat2", "link", "linkat",
				"symlink", "symlinkat", "quotactl"},
				policy.Errno(errEACCES), nil, reasonNoChange},
			addedRule{[]string{"open_by_handle_at", "uselib", "acct", "swapon", "swapoff"}, policy.Errno(errEACCES), nil, reasonNoHandle},
			addedRule{[]string{"ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd"}, policy.Errno(errEPERM), nil, reasonNoOthers},
			addedRule{[]string{"mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "open_tree_attr",
				"fsopen", "fsmount", "fspick", "fsconfig", "mount_setattr"}, policy.Errno(errEPERM), nil, reasonNoMount},
			addedRule{[]string{"fanotify_init", "fanotify_mark", "bpf", "perf_event_open"}, policy.Errno(errEPERM), nil, reasonNoFdSource},
			addedRule{[]string{"socket"}, policy.Errno(errEACCES), []policy.Cond{low32(0, afUnix)}, reasonNoUnix},
			addedRule{[]string{"socketcall"}, policy.Errno(errENOSYS), []policy.Cond{low32(0, sysSocketCall)}, reasonNoSocketcall},
			addedRule{[]string{"io_uring_setup"}, policy.Errno(errENOSYS), nil, reasonIOURing})
		if !r.superviseExec {
			out = append(out, addedRule{[]string{"execve", "execveat"}, policy.Errno(errEACCES), nil, reasonNoExec})
		}
	}
	return out
}

// build compiles the added rules for every ABI a kernel of the native
// architecture runs.
func (r *addedRules) build(native *syscalls.Arch) error {
	pol := &policy.Policy{DefaultAction: policy.ActAllow, BadArch: policy.ActAllow}
	rules := r.rules()
	for _, a := range bpf.CacheABIs(native) {
		ap := &policy.ArchPolicy{Arch: a.Arch}
		for i, rule := range rules {
			for _, name := range rule.names {
				nr, ok := a.Arch.Number(name)
				if !ok {
					continue
				}
				ap.Rules = append(ap.Rules, policy.Rule{Nr: nr, Action: rule.action, Conds: rule.conds,
					Origin: policy.Origin{Entry: i, Name: name}})
				ap.MaxNr = max(ap.MaxNr, nr)
			}
		}
		pol.Arches = append(pol.Arches, ap)
	}
	prog, err := compile.Compile(pol, compile.Options{})
	if err != nil {
		return fmt.Errorf("sandbox: compiling sysfence's own rules: %w", err)
	}
	r.pol, r.prog = pol, prog.Filter
	for _, rule := range rules {
		r.reasons = append(r.reasons, rule.reason)
	}
	return nil
}

// decide is the added rules' answer to a call, and why.
func (r *addedRules) decide(d *bpf.Data) (policy.Action, string) {
	if r == nil || r.pol == nil {
		return policy.ActAllow, ""
	}
	dec := r.pol.Decide(d.Arch, d.Nr, &d.Args)
	if dec.Rule == nil {
		return dec.Action, ""
	}
	return dec.Action, r.reasons[dec.Rule.Origin.Entry]
}

// withTerminalRules returns the filters Exec loads for prog: prog with
// the terminal rules chained behind its ALLOWs (one program, as Run
// does), or, where that cannot be (a program that computes its returns,
// or one too long to take them), prog and the rules as a filter of their
// own stacked under it (stacked, loaded first).
func withTerminalRules(prog bpf.Program, native *syscalls.Arch) (filter, stacked bpf.Program, err error) {
	r := &addedRules{terminal: true}
	if err := r.build(native); err != nil {
		return nil, nil, err
	}
	if chained, err := rewrite.Chain(prog, r.prog); err == nil {
		return chained, nil, nil
	}
	return prog, r.prog, nil
}
