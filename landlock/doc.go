// Package landlock turns path and port rules (Rules: what a command may
// read, write and execute, and which TCP ports it may bind and connect
// to, as a launcher or a profile's x-sysfence section gives them) into a
// Landlock ruleset, decides what the kernel's Landlock ABI can enforce
// (Plan), and enforces it on the thread that is about to exec the
// sandboxed command (Apply, or RulesetFD for a launcher that enforces it
// in the command itself). It is what sysfence's run command builds on
// for paths and ports, and a thin layer over
// github.com/landlock-lsm/go-landlock: the access-right constants, ABI
// presets, ruleset construction (NewRulesetFD) and syscall wrappers are
// go-landlock's.
//
// Landlock checks the file the kernel actually resolved, in the kernel, at
// open/exec/bind/connect time: symlinks, "..", openat2 RESOLVE_* flags,
// O_PATH re-opens through /proc/self/fd, open_by_handle_at and a second
// thread rewriting the path buffer cannot get around it (see the tests).
//
// # Use (the launcher)
//
//	abi, err := landlock.KernelABI()           // cached probe; error matches ErrNotSupported without Landlock
//	plan, err := landlock.NewPlan(rules, abi, landlock.Options{BestEffort: bestEffort})
//	                                           // *UnenforceableError: the ABI cannot enforce the rules;
//	                                           // *PathError: a path that cannot carry a rule
//	for _, l := range plan.Lines() { ... }     // what the plan enforces and leaves open; show
//	                                           // plan.Unenforced to the user whenever it is not empty
//	fd, flags, err := plan.RulesetFD()         // a launcher (package sandbox) hands fd to CMD and makes
//	                                           // CMD call landlock_restrict_self at its exec stop
//	rep, err := landlock.Apply(plan)           // or, in a re-executed shim, right before execve(CMD)
//
// rules should include what internal/execdeps says CMD needs to start
// (Result.Split: read paths into Rules.Read, exec paths into Rules.Exec),
// but only when the caller gave path rules: without any, adding them would
// turn on deny-by-default for the file system.
//
// Apply locks the calling goroutine to its OS thread for good, sets
// no_new_privs and calls landlock_restrict_self on that thread only. That
// is enough because execve(2) ends the other threads and CMD inherits the
// exec'ing thread's domain. go-landlock's Restrict* functions instead
// restrict every thread of the process (libpsx / syscall.AllThreadsSyscall
// below ABI 8, LANDLOCK_RESTRICT_SELF_TSYNC from ABI 8), which a Go program
// sandboxing itself needs, but a launcher does not. Call Apply after the
// shim has opened everything it needs and before it installs the seccomp
// filter (which may deny prctl and the Landlock syscalls).
//
// # What the rules grant
//
// Once any path rule is given, every file-system right the ABI knows is
// handled (denied unless a rule grants it). A rule on a directory covers
// its whole tree. The rights each kind of rule (field of Rules) grants:
//
//	Read   file: READ_FILE
//	       dir:  READ_FILE, READ_DIR (list it and its subdirectories)
//	Exec   file or dir: EXECUTE, READ_FILE
//	       (execve opens the file for reading with __FMODE_EXEC and
//	       Landlock checks both; the same holds for #! and ELF
//	       interpreters)
//	Write  file: WRITE_FILE, TRUNCATE (3), IOCTL_DEV (5), RESOLVE_UNIX (9)
//	       dir:  the file rights for everything beneath, plus
//	             REMOVE_DIR, REMOVE_FILE, MAKE_DIR, MAKE_REG, MAKE_SOCK,
//	             MAKE_FIFO, MAKE_SYM, REFER (2)
//
// (n) is the ABI that introduced the right; below it the right is neither
// handled nor granted. Write does not imply read: give both for
// read-write. Device ioctls go with write because they change device
// state (a read-only rule on /dev/tty must not allow TIOCSTI). RESOLVE_UNIX
// (connecting to a pathname UNIX socket) goes with write because it sends
// to the socket. MAKE_CHAR and MAKE_BLOCK are never granted: a root process
// allowed to create /tmp/sda as a block device could read the whole disk
// through it. REFER lets files move or be linked between writable
// directories; the kernel still refuses a move that would give a file more
// rights than it had.
//
// Once any port rule is given, BIND_TCP and CONNECT_TCP (ABI 4) are
// handled: Bind rules alone also deny every connect(2), and Connect rules
// alone every bind(2). UDP rights (ABI 10) are never handled: the rules name TCP ports
// only, and handling UDP would deny all of it, DNS included.
//
// # ABIs: what is refused and what is only reported
//
// KernelABI probes landlock_create_ruleset(NULL, 0,
// LANDLOCK_CREATE_RULESET_VERSION) once. Like go-landlock, it treats ABI 6
// and above as 5 when the kernel lacks the signal-scoping erratum, since
// go-landlock validates the ruleset against that view. A kernel newer than
// MaxABI (11) is used as 11.
//
// A plan promises for path rules what ABI 5 gives (read, write, exec,
// truncate and device ioctls all restricted) and for port rules what ABI 4
// gives. What a lower ABI cannot deliver is unenforced, and NewPlan
// refuses it (*UnenforceableError) unless Options.BestEffort, in which
// case Plan.Unenforced names exactly what stays allowed:
//
//	ABI 0       everything (no Landlock)
//	ABI < 3     truncate(2)/O_TRUNC of any file (TRUNCATE needs 3)
//	ABI < 4     every port rule (network rights need 4)
//	ABI < 5     ioctl(2) on device files reachable through a read or exec
//	            rule on a directory or device (IOCTL_DEV needs 5); rules on
//	            regular files, like everything execdeps adds, have no gap
//
// Plan.Limits lists, for information, what Landlock at that ABI leaves
// alone for rules like these; it is never a failure:
//
//	ABI < 2     renaming or linking across directories is always denied
//	            (REFER): more restrictive, not a hole
//	ABI < 9     connect/sendmsg to a pathname UNIX socket outside the rules
//	always      stat, chdir, chmod, chown, xattrs, utime, access, flock,
//	            fcntl, ioctl on non-devices, and every file descriptor opened
//	            before the sandbox (inherited stdio, the terminal)
//	ports       MPTCP sockets (IPPROTO_MPTCP, Go's net.Listen default
//	            since 1.24) bypass TCP port rules; UDP, SCTP and raw sockets
//	            are not restricted
//
// Also outside these rules: abstract UNIX sockets and signals to processes
// outside the sandbox. Plan.Isolate scopes them (ABI 6) and makes a plan
// without rules create a domain anyway, since every Landlock domain denies
// ptrace-mode access (ptrace, process_vm_readv/writev, pidfd_getfd,
// /proc/PID/mem) to processes outside it, and mounting: package sandbox
// isolates every command that way (see isolate.go).
//
// # What a hard link means
//
// Landlock grants access by walking up the path that was opened, so a
// hard link to /etc/passwd that already sits inside an allowed directory
// is readable: allowing a directory allows every inode linked into it,
// exactly like a bind mount would. The sandboxed command itself cannot
// make such a link or move a file in (that needs REFER on both sides, and
// the file must not gain rights), which the tests check. Allow only
// directories whose contents you trust.
//
// # Cost
//
// From ABI 3 on, every open also asks whether TRUNCATE would be allowed
// (for a later ftruncate); a read-only rule does not grant it, so the
// kernel walks from the file up to / on every open. The cost therefore
// grows with the path depth; rules that grant write end the walk at the
// rule. BenchmarkOpenClose measures it.
package landlock
