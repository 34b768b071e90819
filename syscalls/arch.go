package syscalls

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// X32SyscallBit is __X32_SYSCALL_BIT: the kernel sets it in the syscall
// number of every x32 call, which otherwise shares AUDIT_ARCH_X86_64.
const X32SyscallBit = 0x40000000

// ErrUnknownArch is returned for architecture names sysfence does not know.
var ErrUnknownArch = errors.New("unknown architecture")

// ErrUnknownSyscall is returned when a name or number has no syscall on an
// architecture.
var ErrUnknownSyscall = errors.New("unknown syscall")

// Audit architecture bits from <linux/audit.h>.
const (
	audit64      = 0x80000000
	auditLE      = 0x40000000
	auditMIPSN32 = 0x20000000
)

// Arch is one seccomp ABI: what seccomp_data.arch says and how its syscall
// numbers and arguments look.
type Arch struct {
	// Name is libseccomp's name (scmp_sys_resolver -a), e.g. "x86_64".
	Name string
	// OCI is the runtime-spec / Docker spelling, e.g. "SCMP_ARCH_X86_64".
	OCI string
	// Native is the spelling moby and libseccomp-golang use for the host
	// architecture (includes/excludes "arches"), e.g. "amd64".
	Native string
	// AuditArch is the AUDIT_ARCH_* token of seccomp_data.arch. x32 shares
	// AUDIT_ARCH_X86_64 and is told apart by X32SyscallBit.
	AuditArch uint32
	// Bits is the argument width libseccomp compares: 64 compares high and
	// low words, 32 only the low word (x32 and MIPS n32 count as 32).
	Bits int
	// BigEndian tells the byte order of the ABI (and of raw filters for it).
	BigEndian bool
	// NrBase is the offset that turns table numbers into kernel numbers
	// (x32: the OR-ed X32SyscallBit; MIPS: 4000/5000/6000).
	NrBase uint32
	// Multiplexed is true where libseccomp also routes socket and SysV IPC
	// calls through socketcall(2) and ipc(2).
	Multiplexed bool

	table *table
}

func (a *Arch) String() string { return a.Name }

// Is64 reports whether arguments are compared as full 64-bit values.
func (a *Arch) Is64() bool { return a.Bits == 64 }

// IsX32 reports whether this is the x32 ABI.
func (a *Arch) IsX32() bool { return a.Name == "x32" }

// CloneFlagsArg is the index of clone(2)'s flags argument: 1 on s390 and
// s390x, whose clone takes the new stack first (the kernel's
// CLONE_BACKWARDS2), 0 everywhere else.
func (a *Arch) CloneFlagsArg() uint8 {
	if a.Name == "s390" || a.Name == "s390x" {
		return 1
	}
	return 0
}

var arches = []*Arch{
	{Name: "x86", OCI: "SCMP_ARCH_X86", Native: "x86", AuditArch: 3 | auditLE, Bits: 32, Multiplexed: true, table: &x86Table},
	{Name: "x86_64", OCI: "SCMP_ARCH_X86_64", Native: "amd64", AuditArch: 62 | audit64 | auditLE, Bits: 64, table: &x86_64Table},
	{Name: "x32", OCI: "SCMP_ARCH_X32", Native: "x32", AuditArch: 62 | audit64 | auditLE, Bits: 32, NrBase: X32SyscallBit, table: &x32Table},
	{Name: "arm", OCI: "SCMP_ARCH_ARM", Native: "arm", AuditArch: 40 | auditLE, Bits: 32, table: &armTable},
	{Name: "aarch64", OCI: "SCMP_ARCH_AARCH64", Native: "arm64", AuditArch: 183 | audit64 | auditLE, Bits: 64, table: &aarch64Table},
	{Name: "loongarch64", OCI: "SCMP_ARCH_LOONGARCH64", Native: "loongarch64", AuditArch: 258 | audit64 | auditLE, Bits: 64, table: &loongarch64Table},
	{Name: "m68k", OCI: "SCMP_ARCH_M68K", Native: "m68k", AuditArch: 4, Bits: 32, BigEndian: true, Multiplexed: true, table: &m68kTable},
	{Name: "mips", OCI: "SCMP_ARCH_MIPS", Native: "mips", AuditArch: 8, Bits: 32, BigEndian: true, NrBase: 4000, Multiplexed: true, table: &mipsTable},
	{Name: "mipsel", OCI: "SCMP_ARCH_MIPSEL", Native: "mipsel", AuditArch: 8 | auditLE, Bits: 32, NrBase: 4000, Multiplexed: true, table: &mipsTable},
	{Name: "mips64", OCI: "SCMP_ARCH_MIPS64", Native: "mips64", AuditArch: 8 | audit64, Bits: 64, BigEndian: true, NrBase: 5000, table: &mips64Table},
	{Name: "mipsel64", OCI: "SCMP_ARCH_MIPSEL64", Native: "mipsel64", AuditArch: 8 | audit64 | auditLE, Bits: 64, NrBase: 5000, table: &mips64Table},
	{Name: "mips64n32", OCI: "SCMP_ARCH_MIPS64N32", Native: "mips64n32", AuditArch: 8 | audit64 | auditMIPSN32, Bits: 32, BigEndian: true, NrBase: 6000, table: &mips64n32Table},
	{Name: "mipsel64n32", OCI: "SCMP_ARCH_MIPSEL64N32", Native: "mipsel64n32", AuditArch: 8 | audit64 | auditLE | auditMIPSN32, Bits: 32, NrBase: 6000, table: &mips64n32Table},
	{Name: "parisc", OCI: "SCMP_ARCH_PARISC", Native: "parisc", AuditArch: 15, Bits: 32, BigEndian: true, table: &pariscTable},
	{Name: "parisc64", OCI: "SCMP_ARCH_PARISC64", Native: "parisc64", AuditArch: 15 | audit64, Bits: 64, BigEndian: true, table: &parisc64Table},
	{Name: "ppc", OCI: "SCMP_ARCH_PPC", Native: "ppc", AuditArch: 20, Bits: 32, BigEndian: true, Multiplexed: true, table: &ppcTable},
	{Name: "ppc64", OCI: "SCMP_ARCH_PPC64", Native: "ppc64", AuditArch: 21 | audit64, Bits: 64, BigEndian: true, Multiplexed: true, table: &ppc64Table},
	{Name: "ppc64le", OCI: "SCMP_ARCH_PPC64LE", Native: "ppc64le", AuditArch: 21 | audit64 | auditLE, Bits: 64, Multiplexed: true, table: &ppc64Table},
	{Name: "riscv64", OCI: "SCMP_ARCH_RISCV64", Native: "riscv64", AuditArch: 243 | audit64 | auditLE, Bits: 64, table: &riscv64Table},
	{Name: "s390", OCI: "SCMP_ARCH_S390", Native: "s390", AuditArch: 22, Bits: 32, BigEndian: true, Multiplexed: true, table: &s390Table},
	{Name: "s390x", OCI: "SCMP_ARCH_S390X", Native: "s390x", AuditArch: 22 | audit64, Bits: 64, BigEndian: true, Multiplexed: true, table: &s390xTable},
	{Name: "sh", OCI: "SCMP_ARCH_SH", Native: "sh", AuditArch: 42 | auditLE, Bits: 32, Multiplexed: true, table: &shTable},
	{Name: "sheb", OCI: "SCMP_ARCH_SHEB", Native: "sheb", AuditArch: 42, Bits: 32, BigEndian: true, Multiplexed: true, table: &shTable},
}

// aliases are other common spellings (Go's GOARCH, uname -m, moby's
// "mips3l64n32" typo) of libseccomp names.
var aliases = [...]struct{ alias, name string }{
	{"amd64", "x86_64"}, {"x86-64", "x86_64"}, {"i386", "x86"}, {"i486", "x86"}, {"i586", "x86"}, {"i686", "x86"}, {"386", "x86"},
	{"arm64", "aarch64"}, {"armv7l", "arm"}, {"armv6l", "arm"}, {"loong64", "loongarch64"},
	{"mipsle", "mipsel"}, {"mips64le", "mipsel64"}, {"mips64p32", "mips64n32"}, {"mips64p32le", "mipsel64n32"},
	{"mips3l64n32", "mipsel64n32"}, {"powerpc", "ppc"}, {"powerpc64", "ppc64"}, {"powerpc64le", "ppc64le"},
	{"hppa", "parisc"}, {"hppa64", "parisc64"}, {"parisc64le", "parisc64"}, {"shle", "sh"},
}

// Arches returns every known ABI, in libseccomp's order.
func Arches() []*Arch { return arches }

// ArchByName finds an architecture by libseccomp name, OCI name
// (SCMP_ARCH_*), moby/Go name or uname -m spelling, case-insensitively.
func ArchByName(name string) (*Arch, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimPrefix(n, "scmp_arch_")
	for _, a := range aliases {
		if a.alias == n {
			n = a.name
			break
		}
	}
	for _, a := range arches {
		if a.Name == n {
			return a, nil
		}
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownArch, name)
}

// ArchNames lists libseccomp names of all architectures.
func ArchNames() []string {
	out := make([]string, len(arches))
	for i, a := range arches {
		out[i] = a.Name
	}
	return out
}

// goarchToName is the libseccomp name of a runtime.GOARCH.
func goarchToName(goarch string) (string, bool) {
	switch goarch {
	case "386":
		return "x86", true
	case "amd64":
		return "x86_64", true
	case "arm":
		return "arm", true
	case "arm64":
		return "aarch64", true
	case "loong64":
		return "loongarch64", true
	case "mips", "mips64", "ppc64", "ppc64le", "riscv64", "s390x":
		return goarch, true
	case "mipsle":
		return "mipsel", true
	case "mips64le":
		return "mipsel64", true
	}
	return "", false
}

// Native returns the architecture of the running program, or an error on a
// GOARCH seccomp does not support.
func Native() (*Arch, error) {
	n, ok := goarchToName(runtime.GOARCH)
	if !ok {
		return nil, fmt.Errorf("%w: GOARCH %s has no seccomp ABI", ErrUnknownArch, runtime.GOARCH)
	}
	return ArchByName(n)
}

// ByAuditArch returns the architectures that use an AUDIT_ARCH token
// (two for AUDIT_ARCH_X86_64: x86_64 and x32).
func ByAuditArch(token uint32) []*Arch {
	var out []*Arch
	for _, a := range arches {
		if a.AuditArch == token {
			out = append(out, a)
		}
	}
	return out
}

// ForCall returns the ABI of a call as the kernel hands it to a filter:
// its AUDIT_ARCH token, and on x86_64 the x32 bit of the number, which
// tells x32 calls from x86_64 ones under the same token (nil when no
// known ABI has the token).
func ForCall(token, nr uint32) *Arch {
	for _, a := range arches {
		if a.AuditArch == token && a.IsX32() == (nr&X32SyscallBit != 0) {
			return a
		}
	}
	return nil
}

// table is one generated per-ABI syscall table.
type table struct {
	byName []int32  // parallel to names; -1 where absent
	byNr   []uint16 // indexes into names, sorted by number
}

// byName indexes names; built once many names have been looked up (a map
// beats a binary search over 508 strings by ~3x, and compilers resolve
// hundreds of names), while a command that resolves a few (sysfence run
// checks a dozen) is better off without building it.
var byName = sync.OnceValue(func() map[string]uint16 {
	m := make(map[string]uint16, len(names))
	for i, n := range names {
		m[n] = uint16(i)
	}
	return m
})

// lookups counts name lookups until byName pays off.
var lookups atomic.Int32

func nameIndex(name string) int {
	if lookups.Load() < 64 {
		lookups.Add(1)
		if i, ok := slices.BinarySearch(names[:], name); ok {
			return i
		}
		return -1
	}
	if i, ok := byName()[name]; ok {
		return int(i)
	}
	return -1
}

// ID identifies a syscall name across all ABIs; resolve it once with
// LookupID and then get its number on each ABI with NumberOf, cheaper than
// calling Number per ABI.
type ID uint16

// LookupID returns the ID of a syscall name known on any ABI.
func LookupID(name string) (ID, bool) {
	i := nameIndex(name)
	return ID(max(i, 0)), i >= 0
}

// Name returns the syscall name of an ID.
func (id ID) Name() string { return names[id] }

// NumberOf is Number for a name already resolved with LookupID.
func (a *Arch) NumberOf(id ID) (nr uint32, ok bool) {
	n := a.table.byName[id]
	if n < 0 {
		return 0, false
	}
	return uint32(n), true
}

// Names returns every syscall name known on any architecture, sorted.
func Names() []string { return names[:] }

// Number returns the syscall number of name as the kernel reports it in
// seccomp_data.nr (with the x32 bit or MIPS base included). ok is false if
// the syscall does not exist as a direct call on this ABI; see Mux for calls
// reachable only through socketcall(2) or ipc(2).
func (a *Arch) Number(name string) (nr uint32, ok bool) {
	i := nameIndex(name)
	if i < 0 {
		return 0, false
	}
	n := a.table.byName[i]
	if n < 0 {
		return 0, false
	}
	return uint32(n), true
}

// Lookup is Number with an error that suggests a close name.
func (a *Arch) Lookup(name string) (uint32, error) {
	if nr, ok := a.Number(name); ok {
		return nr, nil
	}
	if nameIndex(name) >= 0 {
		if m, ok := a.Mux(name); ok {
			return 0, fmt.Errorf("%w: %s exists on %s only through %s(%d)", ErrUnknownSyscall, name, a.Name, m.Name, m.Call)
		}
		return 0, fmt.Errorf("%w: %s does not exist on %s", ErrUnknownSyscall, name, a.Name)
	}
	if s := Suggest(name); s != "" {
		return 0, fmt.Errorf("%w %q (did you mean %s?)", ErrUnknownSyscall, name, s)
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownSyscall, name)
}

// SyscallName returns the syscall name of a number on this ABI.
func (a *Arch) SyscallName(nr uint32) (string, bool) {
	t := a.table.byNr
	i := sort.Search(len(t), func(i int) bool { return uint32(a.table.byName[t[i]]) >= nr })
	if i < len(t) && uint32(a.table.byName[t[i]]) == nr {
		return names[t[i]], true
	}
	return "", false
}

// Syscall is one entry of an architecture's table.
type Syscall struct {
	Name string
	Nr   uint32
}

// Syscalls returns the ABI's table sorted by number.
func (a *Arch) Syscalls() []Syscall {
	out := make([]Syscall, len(a.table.byNr))
	for i, ni := range a.table.byNr {
		out[i] = Syscall{Name: names[ni], Nr: uint32(a.table.byName[ni])}
	}
	return out
}

// MaxNr returns the highest syscall number in the ABI's table.
func (a *Arch) MaxNr() uint32 {
	t := a.table.byNr
	return uint32(a.table.byName[t[len(t)-1]])
}

// Mux describes how a socket or SysV IPC call is reached through a
// multiplexer: the multiplexer's syscall number and the call number that
// it takes as its first argument.
type Mux struct {
	Name string // "socketcall" or "ipc"
	Nr   uint32 // the multiplexer's syscall number on this ABI
	Call uint32 // its first argument selecting the call
}

// socketCalls and ipcCalls are the call numbers of <linux/net.h> and
// <linux/ipc.h>, built on first use.
var socketCalls = sync.OnceValue(func() map[string]uint32 {
	return map[string]uint32{
		"socket": 1, "bind": 2, "connect": 3, "listen": 4, "accept": 5, "getsockname": 6,
		"getpeername": 7, "socketpair": 8, "send": 9, "recv": 10, "sendto": 11, "recvfrom": 12,
		"shutdown": 13, "setsockopt": 14, "getsockopt": 15, "sendmsg": 16, "recvmsg": 17,
		"accept4": 18, "recvmmsg": 19, "sendmmsg": 20,
	}
})

var ipcCalls = sync.OnceValue(func() map[string]uint32 {
	return map[string]uint32{
		"semop": 1, "semget": 2, "semctl": 3, "semtimedop": 4, "msgsnd": 11, "msgrcv": 12,
		"msgget": 13, "msgctl": 14, "shmat": 21, "shmdt": 22, "shmget": 23, "shmctl": 24,
	}
})

// Mux reports whether name is reachable through socketcall(2) or ipc(2) on
// this ABI, as libseccomp treats it (also when a direct call exists).
func (a *Arch) Mux(name string) (Mux, bool) {
	if !a.Multiplexed {
		return Mux{}, false
	}
	if c, ok := socketCalls()[name]; ok {
		if nr, ok := a.Number("socketcall"); ok {
			return Mux{Name: "socketcall", Nr: nr, Call: c}, true
		}
	}
	if c, ok := ipcCalls()[name]; ok {
		if nr, ok := a.Number("ipc"); ok {
			return Mux{Name: "ipc", Nr: nr, Call: c}, true
		}
	}
	return Mux{}, false
}

// MuxCalls returns the names multiplexed by socketcall ("socketcall") or
// ipc ("ipc") with their call numbers.
func MuxCalls(mux string) map[string]uint32 {
	switch mux {
	case "socketcall":
		return socketCalls()
	case "ipc":
		return ipcCalls()
	}
	return nil
}

// Known reports whether name is a syscall on any architecture.
func Known(name string) bool { return nameIndex(name) >= 0 }
