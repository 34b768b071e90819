package sysdecode

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/sysfence/sysfence/syscalls"
)

// Kind is how an argument is printed.
type Kind uint8

// Argument kinds.
const (
	ArgHex        Kind = iota // pointer or opaque value: 0x7ffd..., NULL for 0
	ArgInt                    // C int: signed 32-bit
	ArgLong                   // C long: signed, the ABI's width
	ArgUlong                  // size_t and friends: unsigned, the ABI's width
	ArgFd                     // file descriptor (C int)
	ArgDirFd                  // *at directory: AT_FDCWD or an fd
	ArgPath                   // NUL-terminated string read from memory
	ArgBuf                    // buffer read from memory, its length in the next argument
	ArgArgv                   // NULL-terminated array of strings (execve)
	ArgOpenFlags              // O_*
	ArgMode                   // octal permission bits
	ArgAtFlags                // AT_*
	ArgAccess                 // F_OK or R_OK|W_OK|X_OK
	ArgProt                   // PROT_*
	ArgMapFlags               // MAP_*
	ArgSignal                 // SIGTERM
	ArgAddrFamily             // AF_INET
	ArgSockType               // SOCK_STREAM|SOCK_CLOEXEC
	ArgCloneFlags             // CLONE_* | exit signal
	ArgRaw                    // a register of a call whose signature is unknown: hex, 0 for 0
	ArgIoctlReq               // ioctl's request: TIOCSTI
)

// Signatures gives the argument kinds of the syscalls sysfence knows how
// to print, by name (the same on every ABI that has the syscall), built on
// first use. A syscall listed with no arguments takes none. The map is
// shared: do not change it.
func Signatures() map[string][]Kind { return signatures() }

var signatures = sync.OnceValue(func() map[string][]Kind {
	return map[string][]Kind{
		"read": {ArgFd, ArgHex, ArgUlong}, "write": {ArgFd, ArgBuf, ArgUlong}, "pread64": {ArgFd, ArgHex, ArgUlong, ArgLong},
		"pwrite64": {ArgFd, ArgBuf, ArgUlong, ArgLong}, "readv": {ArgFd, ArgHex, ArgInt}, "writev": {ArgFd, ArgHex, ArgInt},
		"open": {ArgPath, ArgOpenFlags, ArgMode}, "openat": {ArgDirFd, ArgPath, ArgOpenFlags, ArgMode},
		"openat2": {ArgDirFd, ArgPath, ArgHex, ArgUlong}, "creat": {ArgPath, ArgMode}, "close": {ArgFd},
		"close_range": {ArgInt, ArgInt, ArgHex},
		"stat":        {ArgPath, ArgHex}, "lstat": {ArgPath, ArgHex}, "stat64": {ArgPath, ArgHex}, "lstat64": {ArgPath, ArgHex},
		"fstat": {ArgFd, ArgHex}, "fstat64": {ArgFd, ArgHex}, "newfstatat": {ArgDirFd, ArgPath, ArgHex, ArgAtFlags},
		"fstatat64": {ArgDirFd, ArgPath, ArgHex, ArgAtFlags}, "statx": {ArgDirFd, ArgPath, ArgAtFlags, ArgHex, ArgHex},
		"statfs": {ArgPath, ArgHex}, "fstatfs": {ArgFd, ArgHex},
		"access": {ArgPath, ArgAccess}, "faccessat": {ArgDirFd, ArgPath, ArgAccess},
		"faccessat2": {ArgDirFd, ArgPath, ArgAccess, ArgAtFlags},
		"execve":     {ArgPath, ArgArgv, ArgHex}, "execveat": {ArgDirFd, ArgPath, ArgArgv, ArgHex, ArgAtFlags},
		"mkdir": {ArgPath, ArgMode}, "mkdirat": {ArgDirFd, ArgPath, ArgMode}, "rmdir": {ArgPath},
		"unlink": {ArgPath}, "unlinkat": {ArgDirFd, ArgPath, ArgAtFlags},
		"rename": {ArgPath, ArgPath}, "renameat": {ArgDirFd, ArgPath, ArgDirFd, ArgPath}, "renameat2": {ArgDirFd, ArgPath, ArgDirFd, ArgPath, ArgHex},
		"link": {ArgPath, ArgPath}, "linkat": {ArgDirFd, ArgPath, ArgDirFd, ArgPath, ArgAtFlags},
		"symlink": {ArgPath, ArgPath}, "symlinkat": {ArgPath, ArgDirFd, ArgPath},
		"readlink": {ArgPath, ArgHex, ArgUlong}, "readlinkat": {ArgDirFd, ArgPath, ArgHex, ArgUlong},
		"chdir": {ArgPath}, "fchdir": {ArgFd}, "chroot": {ArgPath}, "getcwd": {ArgHex, ArgUlong},
		"chmod": {ArgPath, ArgMode}, "fchmod": {ArgFd, ArgMode}, "fchmodat": {ArgDirFd, ArgPath, ArgMode},
		"fchmodat2": {ArgDirFd, ArgPath, ArgMode, ArgAtFlags},
		"chown":     {ArgPath, ArgInt, ArgInt}, "lchown": {ArgPath, ArgInt, ArgInt}, "fchown": {ArgFd, ArgInt, ArgInt},
		"fchownat": {ArgDirFd, ArgPath, ArgInt, ArgInt, ArgAtFlags},
		"truncate": {ArgPath, ArgLong}, "ftruncate": {ArgFd, ArgLong},
		"mknod": {ArgPath, ArgMode, ArgHex}, "mknodat": {ArgDirFd, ArgPath, ArgMode, ArgHex},
		"mount": {ArgPath, ArgPath, ArgPath, ArgHex, ArgHex}, "umount2": {ArgPath, ArgHex},
		"utimensat": {ArgDirFd, ArgPath, ArgHex, ArgAtFlags},
		"dup":       {ArgFd}, "dup2": {ArgFd, ArgFd}, "dup3": {ArgFd, ArgFd, ArgOpenFlags},
		"pipe": {ArgHex}, "pipe2": {ArgHex, ArgOpenFlags}, "fcntl": {ArgFd, ArgInt, ArgHex}, "ioctl": {ArgFd, ArgIoctlReq, ArgHex},
		"lseek": {ArgFd, ArgLong, ArgInt}, "getdents64": {ArgFd, ArgHex, ArgUlong}, "fsync": {ArgFd}, "flock": {ArgFd, ArgInt},
		"mmap": {ArgHex, ArgUlong, ArgProt, ArgMapFlags, ArgFd, ArgHex}, "mmap2": {ArgHex, ArgUlong, ArgProt, ArgMapFlags, ArgFd, ArgHex},
		"mprotect": {ArgHex, ArgUlong, ArgProt}, "munmap": {ArgHex, ArgUlong}, "brk": {ArgHex}, "madvise": {ArgHex, ArgUlong, ArgInt},
		"mremap": {ArgHex, ArgUlong, ArgUlong, ArgHex, ArgHex},
		"exit":   {ArgInt}, "exit_group": {ArgInt}, "kill": {ArgInt, ArgSignal}, "tkill": {ArgInt, ArgSignal},
		"tgkill": {ArgInt, ArgInt, ArgSignal}, "pidfd_open": {ArgInt, ArgHex}, "pidfd_send_signal": {ArgFd, ArgSignal, ArgHex, ArgHex},
		"clone": {ArgCloneFlags, ArgHex, ArgHex, ArgHex, ArgHex}, "clone3": {ArgHex, ArgUlong}, "fork": {}, "vfork": {},
		"wait4": {ArgInt, ArgHex, ArgHex, ArgHex}, "waitid": {ArgInt, ArgInt, ArgHex, ArgHex, ArgHex},
		"unshare": {ArgCloneFlags}, "setns": {ArgFd, ArgCloneFlags},
		"socket": {ArgAddrFamily, ArgSockType, ArgInt}, "socketpair": {ArgAddrFamily, ArgSockType, ArgInt, ArgHex},
		"bind": {ArgFd, ArgHex, ArgInt}, "connect": {ArgFd, ArgHex, ArgInt}, "listen": {ArgFd, ArgInt},
		"accept": {ArgFd, ArgHex, ArgHex}, "accept4": {ArgFd, ArgHex, ArgHex, ArgHex},
		"sendto": {ArgFd, ArgBuf, ArgUlong, ArgHex, ArgHex, ArgInt}, "recvfrom": {ArgFd, ArgHex, ArgUlong, ArgHex, ArgHex, ArgHex},
		"getpid": {}, "getppid": {}, "gettid": {}, "getuid": {}, "geteuid": {}, "getgid": {}, "getegid": {},
		"setuid": {ArgInt}, "setgid": {ArgInt}, "setreuid": {ArgInt, ArgInt}, "setregid": {ArgInt, ArgInt},
		"setresuid": {ArgInt, ArgInt, ArgInt}, "setresgid": {ArgInt, ArgInt, ArgInt}, "getpgrp": {}, "setsid": {},
		"sched_yield": {}, "pause": {}, "sync": {}, "vhangup": {}, "restart_syscall": {},
		"rt_sigreturn": {}, "sigreturn": {}, "munlockall": {}, "inotify_init": {},
		"personality": {ArgHex}, "arch_prctl": {ArgHex, ArgHex}, "prctl": {ArgInt, ArgHex, ArgHex, ArgHex, ArgHex},
		"ptrace": {ArgInt, ArgInt, ArgHex, ArgHex}, "seccomp": {ArgInt, ArgHex, ArgHex}, "bpf": {ArgInt, ArgHex, ArgUlong},
		"getrandom": {ArgHex, ArgUlong, ArgHex}, "uname": {ArgHex}, "sethostname": {ArgBuf, ArgUlong},
		"nanosleep": {ArgHex, ArgHex}, "clock_nanosleep": {ArgInt, ArgHex, ArgHex, ArgHex},
		"set_tid_address": {ArgHex}, "set_robust_list": {ArgHex, ArgUlong}, "rseq": {ArgHex, ArgUlong, ArgInt, ArgHex},
		"prlimit64": {ArgInt, ArgInt, ArgHex, ArgHex}, "memfd_create": {ArgPath, ArgHex},
		"swapon": {ArgPath, ArgHex}, "swapoff": {ArgPath}, "acct": {ArgPath}, "pivot_root": {ArgPath, ArgPath},
		"reboot": {ArgHex, ArgHex, ArgHex, ArgHex}, "init_module": {ArgHex, ArgUlong, ArgPath}, "finit_module": {ArgFd, ArgPath, ArgHex},
		"delete_module": {ArgPath, ArgHex}, "kexec_load": {ArgHex, ArgUlong, ArgHex, ArgHex},
		"rt_sigaction": {ArgSignal, ArgHex, ArgHex, ArgUlong}, "rt_sigprocmask": {ArgInt, ArgHex, ArgHex, ArgUlong},
		"futex": {ArgHex, ArgInt, ArgInt, ArgHex, ArgHex, ArgInt}, "fadvise64": {ArgFd, ArgLong, ArgLong, ArgInt},
		"open_tree": {ArgDirFd, ArgPath, ArgHex}, "open_by_handle_at": {ArgFd, ArgHex, ArgOpenFlags},
		"name_to_handle_at": {ArgDirFd, ArgPath, ArgHex, ArgHex, ArgAtFlags},
		"getxattr":          {ArgPath, ArgPath, ArgHex, ArgUlong}, "lgetxattr": {ArgPath, ArgPath, ArgHex, ArgUlong},
		"fgetxattr": {ArgFd, ArgPath, ArgHex, ArgUlong}, "setxattr": {ArgPath, ArgPath, ArgHex, ArgUlong, ArgHex},
		"lsetxattr": {ArgPath, ArgPath, ArgHex, ArgUlong, ArgHex}, "fsetxattr": {ArgFd, ArgPath, ArgHex, ArgUlong, ArgHex},
		"listxattr": {ArgPath, ArgHex, ArgUlong}, "llistxattr": {ArgPath, ArgHex, ArgUlong}, "flistxattr": {ArgFd, ArgHex, ArgUlong},
		"removexattr": {ArgPath, ArgPath}, "lremovexattr": {ArgPath, ArgPath}, "fremovexattr": {ArgFd, ArgPath},
	}
})

// Decoder prints syscalls of one ABI, reading strings from Mem (nil: no
// memory access; pointers are printed in hex).
type Decoder struct {
	Arch *syscalls.Arch
	Mem  Memory
	// Native is the ABI whose calls are named plainly; a call of any
	// other ABI is named with its ABI first, "x32 openat(...)", "x86
	// getpid()": the same number is another call there, and a profile
	// rules on each ABI apart (an x32 or int 0x80 call from an x86_64
	// program is the classic way around a filter). Nil means the ABI of
	// the running program.
	Native *syscalls.Arch
	// StringMax and BufMax bound what is printed of paths and buffers
	// (0: 256 and 32, strace's default for buffers).
	StringMax, BufMax int
}

// Name returns the syscall's name on the ABI, or "syscall_N" when the
// number is unknown (as strace prints it).
func Name(a *syscalls.Arch, nr uint32) string {
	if a != nil {
		if n, ok := a.SyscallName(nr); ok {
			return n
		}
	}
	return fmt.Sprintf("syscall_%#x", nr)
}

// Name is the call's name as Call prints it: with the ABI first when it
// is not the native one ("x32 openat").
func (d Decoder) Name(nr uint32) string {
	name := Name(d.Arch, nr)
	native := d.Native
	if native == nil {
		native, _ = syscalls.Native() // nil on a GOARCH seccomp does not know
	}
	if d.Arch != nil && native != nil && d.Arch.Name != native.Name {
		return d.Arch.Name + " " + name
	}
	return name
}

// ArgCount returns how many arguments syscall nr takes on ABI a, counted
// in registers (on a 32-bit ABI a 64-bit value takes two), as strace
// prints them (data/syscall_args.csv). ok is false where the tables say
// nothing: they cover the x86 ABIs (x86_64, x32 and x86).
func ArgCount(a *syscalls.Arch, nr uint32) (n int, ok bool) {
	if a == nil {
		return 0, false
	}
	var t []int8
	switch a.Name {
	case "x86_64":
		t = argsX86_64[:]
	case "x32":
		t = argsX32[:]
		nr &^= syscalls.X32SyscallBit
	case "x86":
		t = argsX86[:]
	}
	if uint64(nr) >= uint64(len(t)) || t[nr] < 0 {
		return 0, false
	}
	return int(t[nr]), true
}

// Call formats the syscall as name(arg, ...).
func (d Decoder) Call(nr uint32, args [6]uint64) string {
	name := Name(d.Arch, nr)
	count, counted := ArgCount(d.Arch, nr)
	kinds, ok := signatures()[name]
	if ok && counted && len(kinds) != count {
		// This ABI passes the call's arguments otherwise (a 64-bit
		// offset in two registers on x86, x86's old mmap taking one
		// pointer to them all): show its registers as they are.
		ok = false
	}
	if !ok {
		if !counted {
			// No table for the ABI: up to the last register that is
			// not zero.
			for i, a := range args {
				if d.word(a) != 0 {
					count = i + 1
				}
			}
		}
		kinds = make([]Kind, count)
		for i := range kinds {
			kinds[i] = ArgRaw // a zero need not be a NULL pointer
		}
	}
	if name == "clone" && ok && d.Arch != nil && d.Arch.CloneFlagsArg() != 0 {
		// The table's clone is flags first; s390's takes the stack
		// first.
		kinds = slices.Clone(kinds)
		f := d.Arch.CloneFlagsArg()
		kinds[0], kinds[f] = kinds[f], kinds[0]
	}
	// strace prints open's mode only when the flags make it count.
	for i := 0; i+1 < len(kinds); i++ {
		if kinds[i] == ArgOpenFlags && kinds[i+1] == ArgMode && openFamily(d.Arch) != famOther &&
			d.word(args[i])&(oCreat|oTmpfile) == 0 {
			kinds = kinds[:i+1]
			break
		}
	}
	var b strings.Builder
	b.WriteString(d.Name(nr))
	b.WriteByte('(')
	for i, k := range kinds {
		if i > 0 {
			b.WriteString(", ")
		}
		next := uint64(0)
		if i+1 < len(args) {
			next = args[i+1]
		}
		b.WriteString(d.Arg(k, d.word(args[i]), next))
	}
	b.WriteByte(')')
	return b.String()
}

// word keeps the bits the ABI passes: on a 32-bit ABI only the low word.
func (d Decoder) word(v uint64) uint64 {
	if d.Arch != nil && d.Arch.Bits == 32 {
		return uint64(uint32(v))
	}
	return v
}

func (d Decoder) ptrSize() int {
	if d.Arch != nil && d.Arch.Bits == 32 {
		return 4
	}
	return 8
}

func (d Decoder) order() binary.ByteOrder {
	if d.Arch != nil && d.Arch.BigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// Arg formats one argument of kind k; next is the following argument (the
// length of a Buf).
func (d Decoder) Arg(k Kind, v, next uint64) string {
	a := d.Arch
	if a == nil {
		a = &syscalls.Arch{Name: "unknown", Bits: 64}
	}
	switch k {
	case ArgInt, ArgFd:
		return fmt.Sprint(int32(v))
	case ArgLong:
		if d.ptrSize() == 4 {
			return fmt.Sprint(int32(v))
		}
		return fmt.Sprint(int64(v))
	case ArgUlong:
		return fmt.Sprint(d.word(v))
	case ArgDirFd:
		return DirFd(v)
	case ArgPath:
		return d.str(v, d.max(d.StringMax, 256))
	case ArgBuf:
		n := int(d.word(next))
		max := d.max(d.BufMax, 32)
		return d.buf(v, n, max)
	case ArgArgv:
		return d.argv(v)
	case ArgOpenFlags:
		return OpenFlags(a, v)
	case ArgMode:
		return fmt.Sprintf("%#o", uint32(v))
	case ArgAtFlags:
		return AtFlags(v)
	case ArgAccess:
		return formatFlags(uint64(uint32(v)), accessFlags, "F_OK")
	case ArgProt:
		if !mmapGeneric(a) {
			return hex(v)
		}
		return formatFlags(uint64(uint32(v)), protFlags, "PROT_NONE")
	case ArgMapFlags:
		return mmapFlags(a, v)
	case ArgSignal:
		return Signal(a, v)
	case ArgAddrFamily:
		if f := uint32(v); f < uint32(len(AddressFamilies)) {
			return AddressFamilies[f]
		}
		return fmt.Sprint(int32(v))
	case ArgSockType:
		return sockType(a, v)
	case ArgCloneFlags:
		return cloneFlagsString(a, v)
	case ArgIoctlReq:
		return IoctlRequest(a, v)
	case ArgRaw:
		if v == 0 {
			return "0"
		}
	}
	if v == 0 {
		return "NULL"
	}
	return fmt.Sprintf("%#x", v)
}

func (d Decoder) max(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// str reads and quotes a C string at addr.
func (d Decoder) str(addr uint64, max int) string {
	if addr == 0 {
		return "NULL"
	}
	if d.Mem == nil {
		return fmt.Sprintf("%#x", addr)
	}
	s, complete, err := ReadString(d.Mem, addr, max)
	if err != nil {
		return fmt.Sprintf("%#x", addr)
	}
	q := Quote([]byte(s))
	if !complete {
		q += "..."
	}
	return q
}

// buf reads and quotes n bytes at addr, at most max of them.
func (d Decoder) buf(addr uint64, n, max int) string {
	if addr == 0 {
		return "NULL"
	}
	if d.Mem == nil || n < 0 {
		return fmt.Sprintf("%#x", addr)
	}
	show := n
	if show > max {
		show = max
	}
	b := make([]byte, show)
	got, _ := d.Mem.ReadAt(b, int64(addr))
	if got < show {
		return fmt.Sprintf("%#x", addr)
	}
	q := Quote(b)
	if show < n {
		q += "..."
	}
	return q
}

// argv reads an execve argument vector.
func (d Decoder) argv(addr uint64) string {
	const maxArgs = 8
	if addr == 0 {
		return "NULL"
	}
	if d.Mem == nil {
		return fmt.Sprintf("%#x", addr)
	}
	var parts []string
	size := d.ptrSize()
	for i := 0; ; i++ {
		p, err := readWord(d.Mem, addr+uint64(i*size), size, d.order())
		if err != nil {
			if i == 0 {
				return fmt.Sprintf("%#x", addr)
			}
			parts = append(parts, "...")
			break
		}
		if p == 0 {
			break
		}
		if i == maxArgs {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, d.str(p, d.max(d.StringMax, 256)/4))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Quote prints bytes as a C string literal, as strace does.
func Quote(b []byte) string {
	var s strings.Builder
	s.WriteByte('"')
	for _, c := range b {
		switch c {
		case '"', '\\':
			s.WriteByte('\\')
			s.WriteByte(c)
		case '\n':
			s.WriteString(`\n`)
		case '\t':
			s.WriteString(`\t`)
		case '\r':
			s.WriteString(`\r`)
		default:
			if c >= 0x20 && c < 0x7f {
				s.WriteByte(c)
			} else {
				fmt.Fprintf(&s, `\x%02x`, c)
			}
		}
	}
	s.WriteByte('"')
	return s.String()
}
