package profile

import (
	"slices"
	"strings"
	"sync"

	"github.com/sysfence/sysfence/syscalls"
)

// The vocabularies a profile may use, as runc v1.5 and libseccomp accept
// them (runc's libcontainer/seccomp tables): an action, operator or flag
// outside these lists makes runc refuse the container.
var (
	actionNames = []string{
		"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
		"SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
	}
	operatorNames = []string{
		"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
		"SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
	}
	// flagNames: runc's known flags (TSYNC is accepted and ignored).
	flagNames = []string{
		"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
		"SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
	}
)

// archNative is Podman's and the Security Profiles Operator's
// "the machine's own architecture" (libseccomp's SCMP_ARCH_NATIVE).
const archNative = "SCMP_ARCH_NATIVE"

// ociArchNames are the SCMP_ARCH_* names of every ABI sysfence knows (the
// runtime-spec's list).
var ociArchNames = sync.OnceValue(func() []string {
	var out []string
	for _, a := range syscalls.Arches() {
		out = append(out, a.OCI)
	}
	return out
})

// spoArchNames is the SeccompProfile CRD's enum for architectures: the API
// server refuses any other value.
var spoArchNames = []string{
	archNative, "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
	"SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
	"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
	"SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
	"SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
}

// mobyNatives map an ABI to the libseccomp "native" name moby compares
// includes/excludes "arches" with (moby's goToNative table): amd64, x86,
// arm64, ... with moby's "mips3l64n32" spelling for mipsel64n32. ABIs
// that are no Go/Docker host (x32, big-endian 32-bit MIPS, m68k, PA-RISC,
// SuperH) have none: moby on such a host matches no "arches" entry.
//
// Each row is also moby's nativeToSeccomp: the archMap entry (OCI name)
// a native architecture selects.
var mobyNatives = [...]struct{ abi, native, oci string }{
	{"x86", "x86", "SCMP_ARCH_X86"}, {"x86_64", "amd64", "SCMP_ARCH_X86_64"}, {"arm", "arm", "SCMP_ARCH_ARM"},
	{"aarch64", "arm64", "SCMP_ARCH_AARCH64"}, {"loongarch64", "loongarch64", "SCMP_ARCH_LOONGARCH64"},
	{"mips64", "mips64", "SCMP_ARCH_MIPS64"}, {"mips64n32", "mips64n32", "SCMP_ARCH_MIPS64N32"},
	{"mipsel64", "mipsel64", "SCMP_ARCH_MIPSEL64"}, {"mipsel64n32", "mips3l64n32", "SCMP_ARCH_MIPSEL64N32"},
	{"mipsel", "mipsel", "SCMP_ARCH_MIPSEL"}, {"ppc", "ppc", "SCMP_ARCH_PPC"}, {"ppc64", "ppc64", "SCMP_ARCH_PPC64"},
	{"ppc64le", "ppc64le", "SCMP_ARCH_PPC64LE"}, {"riscv64", "riscv64", "SCMP_ARCH_RISCV64"},
	{"s390", "s390", "SCMP_ARCH_S390"}, {"s390x", "s390x", "SCMP_ARCH_S390X"},
}

// mobyNative is the moby native name of an ABI, and the OCI name of the
// archMap entry that name selects.
func mobyNative(abi string) (native, oci string, ok bool) {
	for _, m := range mobyNatives {
		if m.abi == abi {
			return m.native, m.oci, true
		}
	}
	return "", "", false
}

// filterArchNames are the names a profile may put in includes/excludes
// "arches": every libseccomp native name (moby's, plus the ABIs Docker
// does not run on, which simply never match).
var filterArchNames = sync.OnceValue(func() []string {
	set := map[string]bool{"mips3l64n32": true}
	for _, a := range syscalls.Arches() {
		set[a.Native] = true
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
})

// capNames lists Linux capabilities by number (<linux/capability.h>).
var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// Capabilities returns every Linux capability name ("CAP_CHOWN", ...).
func Capabilities() []string { return slices.Clone(capNames) }

// DockerDefaultCaps returns the bounding set Docker gives a container by
// default (moby's oci/caps DefaultCapabilities).
func DockerDefaultCaps() []string { return slices.Clone(dockerDefaultCaps) }

var dockerDefaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// errnoNames maps the errno names Podman accepts in "defaultErrno" and
// "errno" (containers/common pkg/seccomp errno_list.go) to their numbers.
//
// The numbers are the asm-generic ones, which x86, x86_64, x32, arm,
// arm64, riscv64, loongarch64, s390/s390x and (for these names) powerpc
// use. MIPS and PA-RISC number several errnos differently; Podman itself
// uses the numbers of the machine it runs on. A test checks this table
// against golang.org/x/sys/unix on linux/amd64.
var errnoNames = sync.OnceValue(func() map[string]uint {
	return map[string]uint{
		"EPERM": 1, "ENOENT": 2, "ESRCH": 3, "EIO": 5, "ENXIO": 6, "E2BIG": 7, "ENOEXEC": 8,
		"EBADF": 9, "ECHILD": 10, "EAGAIN": 11, "ENOMEM": 12, "EACCES": 13, "EFAULT": 14,
		"ENOTBLK": 15, "EBUSY": 16, "EEXIST": 17, "EXDEV": 18, "ENODEV": 19, "ENOTDIR": 20,
		"EISDIR": 21, "EINVAL": 22, "ENFILE": 23, "EMFILE": 24, "ENOTTY": 25, "ETXTBSY": 26,
		"EFBIG": 27, "ENOSPC": 28, "ESPIPE": 29, "EROFS": 30, "EMLINK": 31, "EPIPE": 32,
		"EDOM": 33, "ERANGE": 34, "EDEADLK": 35, "ENAMETOOLONG": 36, "ENOLCK": 37,
		"ENOSYS": 38, "ENOTEMPTY": 39, "ELOOP": 40, "ENOMSG": 42, "EIDRM": 43, "EREMOTE": 66,
		"EBADMSG": 74, "EOVERFLOW": 75, "EILSEQ": 84, "EUSERS": 87, "ENOTSOCK": 88,
		"EDESTADDRREQ": 89, "EMSGSIZE": 90, "EPROTOTYPE": 91, "ENOPROTOOPT": 92,
		"EPROTONOSUPPORT": 93, "ESOCKTNOSUPPORT": 94, "EOPNOTSUPP": 95, "ENOTSUP": 95,
		"EPFNOSUPPORT": 96, "EAFNOSUPPORT": 97, "EADDRINUSE": 98, "EADDRNOTAVAIL": 99,
		"ENETDOWN": 100, "ENETUNREACH": 101, "ENETRESET": 102, "ECONNABORTED": 103,
		"ECONNRESET": 104, "ENOBUFS": 105, "EISCONN": 106, "ENOTCONN": 107, "ESHUTDOWN": 108,
		"ETOOMANYREFS": 109, "ETIMEDOUT": 110, "ECONNREFUSED": 111, "EHOSTDOWN": 112,
		"EHOSTUNREACH": 113, "EALREADY": 114, "EINPROGRESS": 115, "ESTALE": 116,
		"EDQUOT": 122, "ENOMEDIUM": 123, "EMEDIUMTYPE": 124, "ECANCELED": 125,
		"EOWNERDEAD": 130, "ENOTRECOVERABLE": 131,
	}
})

// ErrnoNames returns the errno names Podman accepts, sorted.
func ErrnoNames() []string {
	out := make([]string, 0, len(errnoNames()))
	for n := range errnoNames() {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// errnoByNumber is ErrnoNumber reversed, built on first use. Where two
// names share a number it keeps the one strace prints (EAGAIN, EDEADLK,
// EOPNOTSUPP).
var errnoByNumber = sync.OnceValue(func() map[uint]string {
	m := make(map[uint]string, len(errnoNames()))
	for name, n := range errnoNames() {
		if old, dup := m[n]; !dup || name < old {
			m[n] = name
		}
	}
	m[95] = "EOPNOTSUPP" // sorts after its alias ENOTSUP
	return m
})

// ErrnoName names errno n as reports and explanations print it ("EPERM"
// for 1), with the names of ErrnoNames; ok is false for a number none of
// them has.
func ErrnoName(n uint) (name string, ok bool) {
	name, ok = errnoByNumber()[n]
	return name, ok
}

// ErrnoNumber returns the number of a Podman errno name ("ENOSYS" -> 38).
func ErrnoNumber(name string) (uint, bool) {
	n, ok := errnoNames()[name]
	return n, ok
}

// maxErrno is the kernel's MAX_ERRNO: seccomp clamps an ERRNO action's data
// to it (kernel/seccomp.c), and libseccomp keeps only 16 bits, so a larger
// errnoRet never reaches the program as written.
const maxErrno = 4095

// suggest returns the closest candidate for a typo, or "".
func suggest(s string, candidates []string) string {
	return syscalls.Closest(s, candidates)
}

// Other spellings of actions and operators: libseccomp's C and Go names,
// the runtime-spec's Go names, the kernel's SECCOMP_RET_*, and words people
// write. Keys are squashed (see squash); a synonym is what the user meant
// even when a typo of another name is closer ("LTE" is one edit from LT,
// but means LE).
var actionSynonyms = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"USERNOTIF": "SCMP_ACT_NOTIFY", "USERNOTIFY": "SCMP_ACT_NOTIFY", "NOTIF": "SCMP_ACT_NOTIFY",
		"NOTIFICATION": "SCMP_ACT_NOTIFY", "USERNOTIFICATION": "SCMP_ACT_NOTIFY",
		"KILLPROC": "SCMP_ACT_KILL_PROCESS", "PROCESSKILL": "SCMP_ACT_KILL_PROCESS", "KILLALL": "SCMP_ACT_KILL_PROCESS",
		"KILLTHR": "SCMP_ACT_KILL_THREAD", "THREADKILL": "SCMP_ACT_KILL_THREAD",
		"ERROR": "SCMP_ACT_ERRNO", "ERR": "SCMP_ACT_ERRNO", "EPERM": "SCMP_ACT_ERRNO", "DENY": "SCMP_ACT_ERRNO",
		"ALLOWED": "SCMP_ACT_ALLOW", "ACCEPT": "SCMP_ACT_ALLOW", "PERMIT": "SCMP_ACT_ALLOW",
	}
})

var operatorSynonyms = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"LTE": "SCMP_CMP_LE", "LEQ": "SCMP_CMP_LE", "LESSEQUAL": "SCMP_CMP_LE", "LESSOREQUAL": "SCMP_CMP_LE",
		"LESSTHANOREQUAL": "SCMP_CMP_LE", "LESSEQUALTO": "SCMP_CMP_LE", "<=": "SCMP_CMP_LE",
		"GTE": "SCMP_CMP_GE", "GEQ": "SCMP_CMP_GE", "GREATEREQUAL": "SCMP_CMP_GE", "GREATEROREQUAL": "SCMP_CMP_GE",
		"GREATERTHANOREQUAL": "SCMP_CMP_GE", "GREATEREQUALTO": "SCMP_CMP_GE", ">=": "SCMP_CMP_GE",
		"EQUAL": "SCMP_CMP_EQ", "EQUALS": "SCMP_CMP_EQ", "EQUALTO": "SCMP_CMP_EQ", "==": "SCMP_CMP_EQ", "=": "SCMP_CMP_EQ",
		"NOTEQUAL": "SCMP_CMP_NE", "NOTEQUALTO": "SCMP_CMP_NE", "NOTEQ": "SCMP_CMP_NE", "NEQ": "SCMP_CMP_NE",
		"UNEQUAL": "SCMP_CMP_NE", "!=": "SCMP_CMP_NE", "<>": "SCMP_CMP_NE",
		"LESS": "SCMP_CMP_LT", "LESSTHAN": "SCMP_CMP_LT", "<": "SCMP_CMP_LT",
		"GREATER": "SCMP_CMP_GT", "GREATERTHAN": "SCMP_CMP_GT", ">": "SCMP_CMP_GT",
		"MASKEDEQUAL": "SCMP_CMP_MASKED_EQ", "MASKEDEQUALTO": "SCMP_CMP_MASKED_EQ", "MASKEQ": "SCMP_CMP_MASKED_EQ",
		"MASKEQUAL": "SCMP_CMP_MASKED_EQ", "MASKED": "SCMP_CMP_MASKED_EQ", "MASK": "SCMP_CMP_MASKED_EQ", "&": "SCMP_CMP_MASKED_EQ",
	}
})

// squashPrefixes are the namespace prefixes squash drops, longest first:
// SCMP_ACT_, the kernel's SECCOMP_RET_, libseccomp-golang's ActX and
// CompareX, the runtime-spec's OpX.
var squashPrefixes = []string{"SECCOMPRET", "SCMPACT", "SCMPCMP", "COMPARE", "ACT", "CMP", "RET", "OP"}

// squash reduces an action or operator spelling to its core word in upper
// case without separators: "SCMP_ACT_KILL_PROCESS", "ActKillProcess" and
// "kill-process" are all "KILLPROCESS".
func squash(s string) string {
	b := make([]byte, 0, len(s))
	for _, c := range []byte(strings.TrimSpace(s)) {
		switch {
		case c == '_' || c == '-' || c == ' ' || c == '.':
		case 'a' <= c && c <= 'z':
			b = append(b, c-'a'+'A')
		default:
			b = append(b, c)
		}
	}
	out := string(b)
	for _, p := range squashPrefixes {
		if rest, ok := strings.CutPrefix(out, p); ok && rest != "" {
			return rest
		}
	}
	return out
}

// suggestNamed proposes the name meant by s: a name written another way
// (case, separators, another tool's prefix), a known synonym, else the
// closest name (syscalls.Closest).
func suggestNamed(s string, names []string, synonyms map[string]string) string {
	key := squash(s)
	for _, n := range names {
		if squash(n) == key {
			return n
		}
	}
	if n, ok := synonyms[key]; ok {
		return n
	}
	return suggest(s, names)
}

// normalizeCap turns "sys_admin", "SYS_ADMIN" or "cap_sys_admin" into
// "CAP_SYS_ADMIN".
func normalizeCap(s string) string {
	u := strings.ToUpper(strings.TrimSpace(s))
	if !strings.HasPrefix(u, "CAP_") {
		u = "CAP_" + u
	}
	return u
}
