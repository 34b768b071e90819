package lint

import (
	"fmt"
	"strings"
	"sync"
)

// Severity ranks findings: Note < Warning < Error. The names are SARIF's
// result levels.
type Severity int

const (
	Note Severity = iota + 1
	Warning
	Error
)

var severityNames = [...]string{Note: "note", Warning: "warning", Error: "error"}

func (s Severity) String() string {
	if s >= Note && s <= Error {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ParseSeverity reads "note", "warning" or "error".
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if n != "" && strings.EqualFold(strings.TrimSpace(s), n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q: one of note, warning, error", s)
}

// Rule describes one kind of finding.
type Rule struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	// Title says in a few words what is wrong.
	Title string `json:"title"`
	// Why is the one-line reason, from the incident that taught it.
	Why string `json:"why"`
	// Fix is what to do about it, in general (a finding may say more).
	Fix string `json:"fix"`
}

// The rule IDs.
const (
	IndirectCall    = "indirect-call"
	ABIEscape       = "abi-escape"
	Clone3Escape    = "clone3-escape"
	SiblingEscape   = "sibling-escape"
	ENOSYSFallback  = "enosys-fallback"
	NoENOSYS        = "no-enosys"
	DangerousCall   = "dangerous-call"
	UnknownName     = "unknown-name"
	SameAsDefault   = "same-as-default"
	Shadowed        = "shadowed"
	NeverMatches    = "never-matches"
	DuplicateName   = "duplicate-name"
	DenyList        = "deny-list"
	numberedRuleIDs = 13
)

// Rules lists every rule, in the order findings are sorted by when they
// share a position.
var Rules = []Rule{
	{IndirectCall, Error, "a call is filtered, but the multiplexer that reaches it is not",
		"seccomp cannot read the arguments of socketcall(2) or ipc(2) (they are in memory), so argument rules on socket, shmget and the like do not hold for calls made through the multiplexer on i386, s390, ppc, MIPS o32 and the other ABIs that have it (moby's socket-family rules are void for 32-bit callers)",
		"drop the multiplexing ABI from the filter (architectures/archMap) if 32-bit programs need not run; otherwise know that the argument rules do not hold there"},
	{ABIEscape, Error, "a rule is escaped through another ABI of the filter",
		"every ABI in the filter is a way in: a 64-bit process reaches the i386 ABI with int 0x80 and x32 with the x32 bit, where the same operation has other names (chown32, fstatat64, mmap2, *_time64) that a rule written for x86_64 does not name",
		"restrict the other ABI's names for the operation too, or drop that ABI from the filter"},
	{Clone3Escape, Error, "clone is argument-filtered while clone3 is allowed",
		"clone3 takes its flags in memory, where seccomp cannot look, so rules on clone's flags (no namespaces, no CLONE_UNTRACED) do not hold while clone3 is allowed; Docker answers clone3 with ENOSYS so that libc falls back to clone",
		"answer clone3 with ERRNO(ENOSYS) (errnoRet 38), as Docker's default does"},
	{SiblingEscape, Warning, "a filtered call has an allowed sibling that does the same",
		"a filter names system calls, not operations: denying or argument-filtering open while openat is allowed stops nothing, since libc and attackers just call the sibling (moby#22632: chmod denied, fchmodat used)",
		"give the sibling the same rule, or deny it"},
	{ENOSYSFallback, Warning, "a call with a libc fallback is denied with another error than ENOSYS",
		"glibc falls back to the older call only when the new one fails with ENOSYS (clone3 -> clone since glibc 2.34, faccessat2 -> faccessat, fchmodat2 -> fchmodat); EPERM makes threads, spawns and chmod fail outright",
		"answer the call with ERRNO(ENOSYS) (errnoRet 38), or allow it"},
	{NoENOSYS, Warning, "syscalls newer than the profile are not answered ENOSYS",
		"a call the profile does not know (newer than it) should fail with ENOSYS so that libc falls back; with the default's EPERM it fails for good, which is why runc answers ENOSYS above the highest number the profile names",
		"run the profile under a runtime with runc's ENOSYS rule (sysfence does it unless --no-enosys), or make the default ERRNO(ENOSYS)"},
	{DangerousCall, Warning, "a dangerous call is allowed without argument rules",
		"these calls reach kernel code or other processes far beyond what a confined program needs (container escapes and kernel exploits start there)",
		"deny it, restrict it with argument rules, or, if the workload needs it, acknowledge it with \"sysfence:ack dangerous-call\" in the entry's comment"},
	{UnknownName, Warning, "a syscall name no architecture has",
		"runc skips names it cannot resolve without a word, so a typo silently allows nothing (or denies nothing, in a deny-list)",
		"correct the name"},
	{SameAsDefault, Note, "an entry's action is the default action",
		"runc skips such an entry: it has no effect, and its arguments are not checked",
		"remove the entry, or give it the action that was meant"},
	{Shadowed, Warning, "an entry never decides a call",
		"libseccomp lets the first unconditional rule for a syscall win, and among conditional rules the strictest action that matches; an entry that is always overruled does nothing, which usually hides a mistake in its order or action",
		"remove the entry, or fix the entry that overrules it"},
	{NeverMatches, Warning, "an argument condition never holds as written",
		"libseccomp compares only the low 32 bits on 32-bit ABIs and masks the value of MASKED_EQ: a condition that cannot hold as written either never matches or matches other values than the author meant",
		"write a value the argument can have"},
	{DuplicateName, Note, "a syscall is named twice",
		"a repeated name adds nothing; it often means one of the two entries was meant to say something else",
		"remove the repetition"},
	{DenyList, Warning, "the default action allows",
		"a deny-list allows everything it does not name: syscalls added to Linux after it was written (io_uring_setup in 5.1 reached files and sockets past deny-lists that named open and socket), 32-bit variants (chown32, fstatat64) and aliases; and runc gives such profiles no ENOSYS rule",
		"start from an allow-list (sysfence record, or Docker's default) and deny by default"},
}

// RuleByID returns a rule's description.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// dangerous lists calls that lint reports when a filter allows them for
// any arguments, with what each gives an attacker; sorted by name, the
// order of the findings (static data: nothing is built at start-up).
var dangerous = []struct{ name, why string }{
	{"acct", "switches process accounting on for the whole machine"},
	{"add_key", "adds keys to the kernel keyring, which is not namespaced"},
	{"bpf", "loads eBPF programs into the kernel, whose verifier has had many privilege-escalation bugs"},
	{"delete_module", "unloads kernel modules"},
	{"fanotify_init", "watches and blocks file access across whole mounts"},
	{"finit_module", "loads code into the kernel"},
	{"fsconfig", "configures a new file system mount"},
	{"fsmount", "makes a mount out of a file system context"},
	{"fsopen", "opens a file system context for the new mount API"},
	{"fspick", "reconfigures existing mounts"},
	{"init_module", "loads code into the kernel"},
	{"io_uring_enter", "submits io_uring operations, which seccomp never sees"},
	{"io_uring_register", "registers files and buffers with io_uring, whose operations seccomp never sees"},
	{"io_uring_setup", "performs file, network and other operations inside the kernel where seccomp never sees them, bypassing every rule of the filter (and io_uring has had many privilege-escalation bugs)"},
	{"ioperm", "gives direct access to I/O ports"},
	{"iopl", "gives direct access to all I/O ports"},
	{"kcmp", "compares kernel objects of other processes, which leaks kernel pointers' order"},
	{"kexec_file_load", "replaces the running kernel"},
	{"kexec_load", "replaces the running kernel"},
	{"keyctl", "reaches the kernel keyring, which is not namespaced (other containers' keys) and has had privilege-escalation bugs"},
	{"lookup_dcookie", "resolves kernel directory-entry cookies to paths (profiling interface, root only)"},
	{"mount", "changes the mount table: mounts over the paths the confinement relies on, or of the host's devices"},
	{"mount_setattr", "changes mount flags (read-only, nosuid, idmapping)"},
	{"move_mount", "attaches mounts anywhere in the tree"},
	{"open_by_handle_at", "opens files by handle, out of chroots and bind mounts (the 2014 'shocker' container breakout)"},
	{"open_tree", "clones mount trees, which move_mount attaches elsewhere"},
	{"perf_event_open", "opens kernel performance events: side channels, and a long list of kernel privilege escalations"},
	{"personality", "changes the execution domain: READ_IMPLIES_EXEC makes readable memory executable and ADDR_NO_RANDOMIZE turns off ASLR"},
	{"pidfd_getfd", "copies file descriptors out of other processes it may ptrace"},
	{"pivot_root", "changes the root mount"},
	{"process_vm_readv", "reads the memory of other processes it may ptrace"},
	{"process_vm_writev", "writes the memory of other processes it may ptrace: code injection"},
	{"ptrace", "reads and writes the memory and registers of every process it may trace (same user, outside a PID namespace): code injection into processes the filter does not confine"},
	{"quotactl", "manages disk quotas of file systems"},
	{"reboot", "reboots or halts the machine, or loads a kexec kernel"},
	{"request_key", "asks the kernel keyring, which is not namespaced, for keys (and can run the key helper)"},
	{"setns", "joins other namespaces (those whose /proc/PID/ns files it can open)"},
	{"swapoff", "removes swap space"},
	{"swapon", "adds swap space on any block device or file"},
	{"syslog", "reads the kernel log, which leaks kernel addresses"},
	{"umount", "removes mounts, uncovering what they hid"},
	{"umount2", "removes mounts, uncovering what they hid"},
	{"unshare", "creates namespaces: a new user namespace gives full capabilities inside it and opens kernel code otherwise reserved to root, the start of many container escapes"},
	{"userfaultfd", "stops the kernel at a chosen page fault, which turns kernel races into reliable exploits"},
	{"vm86", "enters virtual-8086 mode, old code with a history of kernel bugs"},
	{"vm86old", "enters virtual-8086 mode, old code with a history of kernel bugs"},
}

// fallbacks lists calls whose libc callers fall back to an older call
// only on ENOSYS, sorted by name.
var fallbacks = []struct{ name, why string }{
	{"clone3", "glibc (2.34 and later) falls back to clone only when clone3 fails with ENOSYS: with EPERM, pthread_create, posix_spawn and fork fail"},
	{"faccessat2", "glibc (2.33 and later) falls back to faccessat only when faccessat2 fails with ENOSYS: with EPERM, access checks fail"},
	{"fchmodat2", "glibc (2.39 and later) falls back only when fchmodat2 fails with ENOSYS: with EPERM, fchmodat(AT_SYMLINK_NOFOLLOW) fails"},
}

// siblings: for each call, the calls that can do what it does. A
// filtered call whose sibling (or a variant of it, below) is allowed
// without argument rules is a finding. Built on first use.
var siblings = sync.OnceValue(func() map[string][]string {
	return map[string][]string{
		"open":        {"openat", "openat2"},
		"openat":      {"open", "openat2"},
		"openat2":     {"openat", "open"},
		"creat":       {"open", "openat", "openat2"},
		"stat":        {"newfstatat", "statx", "lstat"},
		"lstat":       {"newfstatat", "statx"},
		"fstat":       {"newfstatat", "statx"},
		"newfstatat":  {"statx", "stat", "lstat"},
		"statx":       {"newfstatat"},
		"dup2":        {"dup3"},
		"dup3":        {"dup2"},
		"pipe":        {"pipe2"},
		"pipe2":       {"pipe"},
		"accept":      {"accept4"},
		"accept4":     {"accept"},
		"rename":      {"renameat", "renameat2"},
		"renameat":    {"renameat2", "rename"},
		"renameat2":   {"renameat", "rename"},
		"execve":      {"execveat"},
		"execveat":    {"execve"},
		"chmod":       {"fchmodat", "fchmodat2"},
		"fchmodat":    {"chmod", "fchmodat2"},
		"chown":       {"fchownat", "lchown"},
		"lchown":      {"fchownat"},
		"fchownat":    {"chown", "lchown"},
		"unlink":      {"unlinkat"},
		"unlinkat":    {"unlink", "rmdir"},
		"rmdir":       {"unlinkat"},
		"mkdir":       {"mkdirat"},
		"mkdirat":     {"mkdir"},
		"mknod":       {"mknodat"},
		"mknodat":     {"mknod"},
		"link":        {"linkat"},
		"linkat":      {"link"},
		"symlink":     {"symlinkat"},
		"symlinkat":   {"symlink"},
		"access":      {"faccessat", "faccessat2"},
		"faccessat":   {"access", "faccessat2"},
		"utimes":      {"utimensat", "futimesat", "utime"},
		"utimensat":   {"utimes", "futimesat"},
		"umount2":     {"umount"},
		"fork":        {"vfork", "clone"},
		"vfork":       {"fork", "clone"},
		"send":        {"sendto", "sendmsg"},
		"sendto":      {"sendmsg", "send"},
		"sendmsg":     {"sendto", "sendmmsg"},
		"recv":        {"recvfrom", "recvmsg"},
		"recvfrom":    {"recvmsg", "recv"},
		"recvmsg":     {"recvfrom", "recvmmsg"},
		"mount":       {"move_mount"},
		"setuid":      {"setresuid", "setreuid"},
		"setgid":      {"setresgid", "setregid"},
		"setreuid":    {"setresuid"},
		"setregid":    {"setresgid"},
		"kill":        {"tgkill", "tkill", "pidfd_send_signal"},
		"tkill":       {"tgkill"},
		"tgkill":      {"tkill"},
		"wait4":       {"waitid"},
		"waitid":      {"wait4"},
		"preadv":      {"preadv2"},
		"pwritev":     {"pwritev2"},
		"sendfile":    {"splice"},
		"poll":        {"ppoll"},
		"ppoll":       {"poll"},
		"select":      {"pselect6"},
		"pselect6":    {"select"},
		"epoll_wait":  {"epoll_pwait", "epoll_pwait2"},
		"epoll_pwait": {"epoll_wait", "epoll_pwait2"},
	}
})

// variants: for each call as x86_64 names it, the names under which
// other ABIs of the same machine (i386 and other 32-bit ABIs) offer the
// same operation. A rule on the call does not reach them. Built on first
// use.
var variants = sync.OnceValue(func() map[string][]string {
	return map[string][]string{
		"chown": {"chown32"}, "lchown": {"lchown32"}, "fchown": {"fchown32"},
		"setuid": {"setuid32"}, "setgid": {"setgid32"}, "setreuid": {"setreuid32"}, "setregid": {"setregid32"},
		"setresuid": {"setresuid32"}, "setresgid": {"setresgid32"}, "setgroups": {"setgroups32"},
		"setfsuid": {"setfsuid32"}, "setfsgid": {"setfsgid32"},
		"stat": {"stat64", "oldstat"}, "lstat": {"lstat64", "oldlstat"}, "fstat": {"fstat64", "oldfstat"},
		"newfstatat": {"fstatat64"}, "statfs": {"statfs64"}, "fstatfs": {"fstatfs64"},
		"truncate": {"truncate64"}, "ftruncate": {"ftruncate64"}, "mmap": {"mmap2"}, "fcntl": {"fcntl64"},
		"lseek": {"_llseek"}, "sendfile": {"sendfile64"}, "getrlimit": {"ugetrlimit"},
		"select": {"_newselect"}, "wait4": {"waitpid"}, "rt_sigaction": {"sigaction", "signal"},
		"rt_sigprocmask": {"sigprocmask"}, "settimeofday": {"stime"},
		"clock_settime": {"clock_settime64"}, "clock_adjtime": {"clock_adjtime64"},
		"clock_gettime": {"clock_gettime64"}, "clock_nanosleep": {"clock_nanosleep_time64"},
		"timer_settime": {"timer_settime64"}, "timerfd_settime": {"timerfd_settime64"},
		"utimensat": {"utimensat_time64"}, "futex": {"futex_time64"}, "ppoll": {"ppoll_time64"},
		"pselect6": {"pselect6_time64"}, "recvmmsg": {"recvmmsg_time64"}, "semtimedop": {"semtimedop_time64"},
		"mq_timedsend": {"mq_timedsend_time64"}, "mq_timedreceive": {"mq_timedreceive_time64"},
		"rt_sigtimedwait": {"rt_sigtimedwait_time64"}, "io_pgetevents": {"io_pgetevents_time64"},
		"sched_rr_get_interval": {"sched_rr_get_interval_time64"},
	}
})
