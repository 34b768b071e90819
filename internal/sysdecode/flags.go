package sysdecode

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sysfence/sysfence/syscalls"
)

// flag is one named bit (or, with mask, a named value of a bit field).
type flag struct {
	val  uint64
	name string
}

// formatFlags names the set bits of v; leftover bits are printed in hex,
// joined with "|". zero is printed for v == 0.
func formatFlags(v uint64, table []flag, zero string) string {
	if v == 0 {
		return zero
	}
	var parts []string
	for _, f := range table {
		if f.val != 0 && v&f.val == f.val {
			parts = append(parts, f.name)
			v &^= f.val
		}
	}
	if v != 0 {
		parts = append(parts, fmt.Sprintf("%#x", v))
	}
	return strings.Join(parts, "|")
}

// family groups ABIs that share the values of a set of flags.
type family uint8

const (
	famOther   family = iota // values differ: print hex
	famGeneric               // asm-generic values (x86, riscv, loongarch, s390, sh)
	famARM                   // arm, aarch64, m68k, powerpc: asm-generic but for four open flags
)

// openFamily tells whose <asm/fcntl.h> an ABI uses.
func openFamily(a *syscalls.Arch) family {
	switch a.Name {
	case "x86", "x86_64", "x32", "riscv64", "loongarch64", "s390", "s390x", "sh", "sheb":
		return famGeneric
	case "arm", "aarch64", "m68k", "ppc", "ppc64", "ppc64le":
		return famARM
	}
	return famOther
}

// mmapGeneric tells whether an ABI uses the asm-generic mman.h values.
func mmapGeneric(a *syscalls.Arch) bool {
	switch a.Name {
	case "x86", "x86_64", "x32", "arm", "aarch64", "riscv64", "loongarch64", "s390", "s390x", "m68k", "sh", "sheb":
		return true
	}
	return false
}

// signalGeneric tells whether an ABI numbers signals like x86 (all but
// MIPS, PA-RISC, SPARC and Alpha).
func signalGeneric(a *syscalls.Arch) bool {
	return a == nil || !strings.HasPrefix(a.Name, "mips") && !strings.HasPrefix(a.Name, "parisc")
}

// O_CREAT and __O_TMPFILE, the flags that make open's mode count; the
// same in both families.
const (
	oCreat   = 0o100
	oTmpfile = 0o20000000
)

var openCommon = []flag{
	{0o100, "O_CREAT"}, {0o200, "O_EXCL"}, {0o400, "O_NOCTTY"}, {0o1000, "O_TRUNC"},
	{0o2000, "O_APPEND"}, {0o4000, "O_NONBLOCK"}, {0o4010000, "O_SYNC"}, {0o10000, "O_DSYNC"},
	{0o20000, "O_ASYNC"}, {0o1000000, "O_NOATIME"}, {0o2000000, "O_CLOEXEC"},
	{oTmpfile, "__O_TMPFILE"}, {0o10000000, "O_PATH"},
}

// The four open flags whose values differ between the families; the
// rest are openCommon.
var openGeneric = []flag{
	{0o40000, "O_DIRECT"}, {0o100000, "O_LARGEFILE"}, {0o200000, "O_DIRECTORY"}, {0o400000, "O_NOFOLLOW"},
}

var openARM = []flag{
	{0o200000, "O_DIRECT"}, {0o400000, "O_LARGEFILE"}, {0o40000, "O_DIRECTORY"}, {0o100000, "O_NOFOLLOW"},
}

// OpenFlags formats open(2) flags, e.g. "O_WRONLY|O_CREAT|O_TRUNC".
func OpenFlags(a *syscalls.Arch, v uint64) string {
	var table []flag
	switch openFamily(a) {
	case famGeneric:
		table = openGeneric
	case famARM:
		table = openARM
	default:
		return hex(v)
	}
	v = uint64(uint32(v))
	acc := [...]string{"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"}[v&3]
	rest := v &^ 3
	if rest == 0 {
		return acc
	}
	return acc + "|" + formatFlags(rest, slices.Concat(table, openCommon), "")
}

var atFlags = []flag{
	{0x100, "AT_SYMLINK_NOFOLLOW"}, {0x400, "AT_SYMLINK_FOLLOW"}, {0x800, "AT_NO_AUTOMOUNT"},
	{0x1000, "AT_EMPTY_PATH"}, {0x200, "AT_REMOVEDIR"},
}

// AtFlags formats the AT_* flags of the *at syscalls.
func AtFlags(v uint64) string { return formatFlags(uint64(uint32(v)), atFlags, "0") }

// atFDCWD is AT_FDCWD, the same on every ABI.
const atFDCWD = -100

// DirFd formats the directory argument of the *at syscalls.
func DirFd(v uint64) string {
	if int32(v) == atFDCWD {
		return "AT_FDCWD"
	}
	return fmt.Sprint(int32(v))
}

var accessFlags = []flag{{4, "R_OK"}, {2, "W_OK"}, {1, "X_OK"}}

var protFlags = []flag{{1, "PROT_READ"}, {2, "PROT_WRITE"}, {4, "PROT_EXEC"}, {0x01000000, "PROT_GROWSDOWN"}, {0x02000000, "PROT_GROWSUP"}}

var mapFlags = []flag{
	{0x10, "MAP_FIXED"}, {0x20, "MAP_ANONYMOUS"}, {0x100, "MAP_GROWSDOWN"}, {0x800, "MAP_DENYWRITE"},
	{0x1000, "MAP_EXECUTABLE"}, {0x2000, "MAP_LOCKED"}, {0x4000, "MAP_NORESERVE"}, {0x8000, "MAP_POPULATE"},
	{0x10000, "MAP_NONBLOCK"}, {0x20000, "MAP_STACK"}, {0x40000, "MAP_HUGETLB"}, {0x80000, "MAP_SYNC"},
	{0x100000, "MAP_FIXED_NOREPLACE"},
}

func mmapFlags(a *syscalls.Arch, v uint64) string {
	if !mmapGeneric(a) {
		return hex(v)
	}
	v = uint64(uint32(v))
	typ := [...]string{"0", "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE"}[v&3]
	rest := v &^ 3
	table := mapFlags
	if a.Name == "x86_64" || a.Name == "x32" || a.Name == "x86" {
		table = append([]flag{{0x40, "MAP_32BIT"}}, mapFlags...)
	}
	if rest == 0 {
		return typ
	}
	return typ + "|" + formatFlags(rest, table, "")
}

var signalNames = [...]string{1: "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
	"SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD",
	"SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM",
	"SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"}

// Signal names a signal number, e.g. "SIGTERM" ("SIGRT_3" for real-time
// signals, the number elsewhere). A nil arch means x86 numbering.
func Signal(a *syscalls.Arch, v uint64) string {
	n := int32(v)
	if signalGeneric(a) {
		if n > 0 && int(n) < len(signalNames) {
			return signalNames[n]
		}
		if n >= 32 && n <= 64 {
			return fmt.Sprintf("SIGRT_%d", n-32)
		}
	}
	return fmt.Sprint(n)
}

// AddressFamilies are the address families of <linux/socket.h>, by
// number (the same on every architecture).
var AddressFamilies = [...]string{"AF_UNSPEC", "AF_UNIX", "AF_INET", "AF_AX25", "AF_IPX", "AF_APPLETALK", "AF_NETROM",
	"AF_BRIDGE", "AF_ATMPVC", "AF_X25", "AF_INET6", "AF_ROSE", "AF_DECnet", "AF_NETBEUI", "AF_SECURITY", "AF_KEY",
	"AF_NETLINK", "AF_PACKET", "AF_ASH", "AF_ECONET", "AF_ATMSVC", "AF_RDS", "AF_SNA", "AF_IRDA", "AF_PPPOX",
	"AF_WANPIPE", "AF_LLC", "AF_IB", "AF_MPLS", "AF_CAN", "AF_TIPC", "AF_BLUETOOTH", "AF_IUCV", "AF_RXRPC",
	"AF_ISDN", "AF_PHONET", "AF_IEEE802154", "AF_CAIF", "AF_ALG", "AF_NFC", "AF_VSOCK", "AF_KCM", "AF_QIPCRTR",
	"AF_SMC", "AF_XDP", "AF_MCTP"}

var sockTypes = []flag{{1, "SOCK_STREAM"}, {2, "SOCK_DGRAM"}, {3, "SOCK_RAW"}, {4, "SOCK_RDM"}, {5, "SOCK_SEQPACKET"}, {10, "SOCK_PACKET"}}

// lookupName is the name of value v in table.
func lookupName(table []flag, v uint64) (string, bool) {
	for _, f := range table {
		if f.val == v {
			return f.name, true
		}
	}
	return "", false
}

func sockType(a *syscalls.Arch, v uint64) string {
	if strings.HasPrefix(a.Name, "mips") { // MIPS swaps STREAM and DGRAM
		return hex(v)
	}
	v = uint64(uint32(v))
	base, ok := lookupName(sockTypes, v&0xf)
	if !ok {
		base = fmt.Sprint(v & 0xf)
	}
	if rest := v &^ 0xf; rest != 0 {
		return base + "|" + formatFlags(rest, []flag{{0o4000, "SOCK_NONBLOCK"}, {0o2000000, "SOCK_CLOEXEC"}}, "")
	}
	return base
}

var cloneFlags = []flag{
	{0x100, "CLONE_VM"}, {0x200, "CLONE_FS"}, {0x400, "CLONE_FILES"}, {0x800, "CLONE_SIGHAND"},
	{0x1000, "CLONE_PIDFD"}, {0x2000, "CLONE_PTRACE"}, {0x4000, "CLONE_VFORK"}, {0x8000, "CLONE_PARENT"},
	{0x10000, "CLONE_THREAD"}, {0x20000, "CLONE_NEWNS"}, {0x40000, "CLONE_SYSVSEM"}, {0x80000, "CLONE_SETTLS"},
	{0x100000, "CLONE_PARENT_SETTID"}, {0x200000, "CLONE_CHILD_CLEARTID"}, {0x800000, "CLONE_UNTRACED"},
	{0x1000000, "CLONE_CHILD_SETTID"}, {0x2000000, "CLONE_NEWCGROUP"}, {0x4000000, "CLONE_NEWUTS"},
	{0x8000000, "CLONE_NEWIPC"}, {0x10000000, "CLONE_NEWUSER"}, {0x20000000, "CLONE_NEWPID"},
	{0x40000000, "CLONE_NEWNET"}, {0x80000000, "CLONE_IO"},
}

func cloneFlagsString(a *syscalls.Arch, v uint64) string {
	v = uint64(uint32(v))
	sig := v & 0xff
	s := formatFlags(v&^0xff, cloneFlags, "")
	if sig != 0 {
		if s != "" {
			s += "|"
		}
		s += Signal(a, sig)
	}
	if s == "" {
		return "0"
	}
	return s
}

func hex(v uint64) string {
	if v == 0 {
		return "0"
	}
	return fmt.Sprintf("%#x", v)
}

// ioctlGeneric tells whether an ABI numbers its terminal ioctls as
// <asm-generic/ioctls.h> does (alpha, mips, powerpc, sh and sparc have
// their own numbers).
func ioctlGeneric(a *syscalls.Arch) bool {
	switch a.Name {
	case "x86", "x86_64", "x32", "arm", "aarch64", "riscv64", "loongarch64", "s390", "s390x":
		return true
	}
	return false
}

// ioctlNames are the terminal and file ioctls of <asm-generic/ioctls.h>,
// by number less 0x5400 (an array: nothing is built at init); 0x541b is printed FIONREAD, as strace does (TIOCINQ is the
// same request). Written out because x/sys/unix has the numbers of the
// build's own architecture only (TestIoctlNames checks them on amd64).
var ioctlNames = [...]string{
	0x01: "TCGETS", 0x02: "TCSETS", 0x03: "TCSETSW", 0x04: "TCSETSF", 0x05: "TCGETA",
	0x06: "TCSETA", 0x07: "TCSETAW", 0x08: "TCSETAF", 0x09: "TCSBRK", 0x0a: "TCXONC",
	0x0b: "TCFLSH", 0x0c: "TIOCEXCL", 0x0d: "TIOCNXCL", 0x0e: "TIOCSCTTY", 0x0f: "TIOCGPGRP",
	0x10: "TIOCSPGRP", 0x11: "TIOCOUTQ", 0x12: "TIOCSTI", 0x13: "TIOCGWINSZ", 0x14: "TIOCSWINSZ",
	0x15: "TIOCMGET", 0x16: "TIOCMBIS", 0x17: "TIOCMBIC", 0x18: "TIOCMSET", 0x19: "TIOCGSOFTCAR",
	0x1a: "TIOCSSOFTCAR", 0x1b: "FIONREAD", 0x1c: "TIOCLINUX", 0x1d: "TIOCCONS", 0x1e: "TIOCGSERIAL",
	0x1f: "TIOCSSERIAL", 0x20: "TIOCPKT", 0x21: "FIONBIO", 0x22: "TIOCNOTTY", 0x23: "TIOCSETD",
	0x24: "TIOCGETD", 0x25: "TCSBRKP", 0x27: "TIOCSBRK", 0x28: "TIOCCBRK", 0x29: "TIOCGSID",
	0x37: "TIOCVHANGUP", 0x41: "TIOCGPTPEER", 0x50: "FIONCLEX", 0x51: "FIOCLEX", 0x52: "FIOASYNC",
}

// IoctlRequest prints ioctl's request argument: a terminal or file ioctl
// of <asm-generic/ioctls.h> by name on the ABIs that number them so
// ("TIOCSTI"), anything else in hex. A request with bits above the low
// 32 set is printed in hex too: the kernel ignores those bits (the
// request is an unsigned int), and the name would hide that they are
// there.
func IoctlRequest(a *syscalls.Arch, v uint64) string {
	if name, ok := IoctlName(a, v); ok {
		return name
	}
	return hex(v)
}

// IoctlName is the name IoctlRequest prints for v; ok is false where it
// prints hex.
func IoctlName(a *syscalls.Arch, v uint64) (name string, ok bool) {
	if ioctlGeneric(a) && v>>32 == 0 {
		if i := v - 0x5400; v >= 0x5400 && i < uint64(len(ioctlNames)) && ioctlNames[i] != "" {
			return ioctlNames[i], true
		}
	}
	return "", false
}
