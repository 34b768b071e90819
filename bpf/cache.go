package bpf

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sysfence/sysfence/syscalls"
)

// retAllow is SECCOMP_RET_ALLOW.
const retAllow = 0x7fff0000

// The kernel's seccomp action cache (Linux 5.11 and later): when a filter
// is attached, the kernel emulates it once for every syscall number of its
// native ABI and of its compat ABI, knowing only seccomp_data.nr and
// seccomp_data.arch (seccomp_cache_prepare_bitmap, seccomp_is_const_allow
// in kernel/seccomp.c). A syscall whose emulated path reaches `ret ALLOW`
// goes into a bitmap, and later calls of it skip the filter entirely.

// CacheEntry is the kernel's verdict for one syscall number of one ABI.
type CacheEntry struct {
	Nr   uint32 `json:"nr"`
	Name string `json:"name,omitempty"`
	// Cached: the kernel marks the syscall always-allowed and never runs
	// the filter for it.
	Cached bool `json:"cached"`
	// Const: the emulation reached a `ret K` knowing only nr and arch;
	// Ret is then that return value (SECCOMP_RET_ALLOW when Cached, unless
	// the ABI has no bitmap). When Const is false the path depends on
	// something else (an argument, the instruction pointer, X, scratch
	// memory, `ret A`) and PC is the instruction the emulation gave up at.
	Const bool   `json:"const"`
	Ret   uint32 `json:"ret"`
	PC    int    `json:"pc"`
	// Exempt: recent x86_64 kernels let uretprobe and uprobe through
	// without running any filter (seccomp_uprobe_exception), whatever the
	// filter says. Cached still tells what the filter alone gives.
	Exempt bool `json:"exempt,omitempty"`
}

// CacheCheck runs the kernel's cache emulation (seccomp_is_const_allow) of
// p for one syscall number of the ABI whose seccomp_data.arch is
// auditArch. Entry.Cached tells whether the kernel would put nr in that
// ABI's always-allow bitmap, assuming the ABI has one (see CacheABIs).
// It is safe on programs Validate rejects: anything the kernel would not
// have loaded simply is not cached.
func CacheCheck(p Program, auditArch, nr uint32) CacheEntry {
	e := CacheEntry{Nr: nr}
	var a uint32 // the kernel's reg_value starts at zero
	for pc := 0; pc < len(p); pc++ {
		ins := p[pc]
		e.PC = pc
		switch ins.Op {
		case opLdAbs:
			switch ins.K {
			case OffNr:
				a = nr
			case OffArch:
				a = auditArch
			default:
				return e
			}
		case opRetK:
			e.Const, e.Ret = true, ins.K
			e.Cached = ins.K == retAllow
			return e
		case opJa:
			if uint64(ins.K) >= uint64(len(p)-pc-1) {
				return e
			}
			pc += int(ins.K)
		case ClassJMP | JmpJEQ | SrcK, ClassJMP | JmpJGT | SrcK, ClassJMP | JmpJGE | SrcK, ClassJMP | JmpJSET | SrcK:
			if Taken(ins.Op, a, ins.K) {
				pc += int(ins.Jt)
			} else {
				pc += int(ins.Jf)
			}
		case opAluAndK:
			a &= ins.K
		default:
			return e
		}
	}
	// Ran off the end (the kernel WARNs): not cached.
	e.PC = len(p)
	return e
}

// CacheABI is one ABI a kernel runs, and whether it keeps an always-allow
// bitmap for it.
type CacheABI struct {
	Arch *syscalls.Arch
	// Bitmap is false for ABIs the cache does not cover: x32 (its numbers
	// carry __X32_SYSCALL_BIT and fall outside the x86_64 bitmap), and
	// every MIPS ABI (MIPS defines no SECCOMP_ARCH_NATIVE).
	Bitmap bool
}

// cacheHosts lists, per kernel architecture, the ABIs it runs: native first,
// then compat (SECCOMP_ARCH_NATIVE / SECCOMP_ARCH_COMPAT in the arch's
// asm/seccomp.h), then ABIs it runs without a bitmap.
var cacheHosts = [...]struct {
	host, abi string
	bitmap    bool
}{
	{"x86_64", "x86_64", true}, {"x86_64", "x86", true}, {"x86_64", "x32", false},
	{"x86", "x86", true},
	{"aarch64", "aarch64", true}, {"aarch64", "arm", true},
	{"arm", "arm", true},
	{"loongarch64", "loongarch64", true},
	{"m68k", "m68k", true},
	{"mips", "mips", false},
	{"mipsel", "mipsel", false},
	{"mips64", "mips64", false}, {"mips64", "mips64n32", false}, {"mips64", "mips", false},
	{"mipsel64", "mipsel64", false}, {"mipsel64", "mipsel64n32", false}, {"mipsel64", "mipsel", false},
	{"parisc", "parisc", true},
	{"parisc64", "parisc64", true}, {"parisc64", "parisc", true},
	{"ppc", "ppc", true},
	{"ppc64", "ppc64", true}, {"ppc64", "ppc", true},
	{"ppc64le", "ppc64le", true},
	{"riscv64", "riscv64", true},
	{"s390", "s390", true},
	{"s390x", "s390x", true}, {"s390x", "s390", true},
	{"sh", "sh", true},
	{"sheb", "sheb", true},
}

// CacheABIs returns the ABIs a kernel for host runs, native first. x32 and
// MIPS n32 hosts are the kernels that run them (x86_64, mips64).
func CacheABIs(host *syscalls.Arch) []CacheABI {
	name := host.Name
	switch name {
	case "x32":
		name = "x86_64"
	case "mips64n32":
		name = "mips64"
	case "mipsel64n32":
		name = "mipsel64"
	}
	var out []CacheABI
	for _, h := range cacheHosts {
		if h.host != name {
			continue
		}
		a, err := syscalls.ArchByName(h.abi)
		if err != nil {
			panic(err) // the table above names only known ABIs
		}
		out = append(out, CacheABI{Arch: a, Bitmap: h.bitmap})
	}
	return out
}

// uprobeExempt tells the syscalls x86_64 kernels pass without filtering
// (seccomp_uprobe_exception: uretprobe, then uprobe), native ABI only.
func uprobeExempt(name string) bool { return name == "uretprobe" || name == "uprobe" }

// CacheReport tells, for every ABI a host kernel runs and every syscall
// of that ABI's table, whether the kernel's action cache lets the syscall
// skip the filter.
type CacheReport struct {
	Host string     `json:"host"`
	ABIs []ABICache `json:"abis"`
}

// ABICache is the part of a CacheReport about one ABI.
type ABICache struct {
	Arch      string       `json:"arch"`
	AuditArch uint32       `json:"audit_arch"`
	Bitmap    bool         `json:"bitmap"`
	Syscalls  []CacheEntry `json:"syscalls"` // sorted by number
}

// Cache emulates the kernel's action cache for p on a kernel of the host
// architecture: for every ABI it runs (CacheABIs) and every syscall in
// that ABI's table, whether the syscall is cached always-allowed.
func Cache(p Program, host *syscalls.Arch) *CacheReport {
	r := &CacheReport{Host: host.Name}
	abis := CacheABIs(host)
	for i, abi := range abis {
		ac := ABICache{Arch: abi.Arch.Name, AuditArch: abi.Arch.AuditArch, Bitmap: abi.Bitmap}
		for _, s := range abi.Arch.Syscalls() {
			e := CacheCheck(p, abi.Arch.AuditArch, s.Nr)
			e.Name = s.Name
			if !abi.Bitmap {
				e.Cached = false
			}
			if i == 0 && abi.Arch.Name == "x86_64" && uprobeExempt(s.Name) {
				e.Exempt = true
			}
			ac.Syscalls = append(ac.Syscalls, e)
		}
		r.ABIs = append(r.ABIs, ac)
	}
	return r
}

// ABI returns the part of the report about one ABI (libseccomp name), or
// nil.
func (r *CacheReport) ABI(name string) *ABICache {
	for i := range r.ABIs {
		if r.ABIs[i].Arch == name {
			return &r.ABIs[i]
		}
	}
	return nil
}

// Entry returns the verdict for one syscall number.
func (a *ABICache) Entry(nr uint32) (CacheEntry, bool) {
	i := sort.Search(len(a.Syscalls), func(i int) bool { return a.Syscalls[i].Nr >= nr })
	if i < len(a.Syscalls) && a.Syscalls[i].Nr == nr {
		return a.Syscalls[i], true
	}
	return CacheEntry{}, false
}

// Cached returns the numbers the kernel caches always-allowed.
func (a *ABICache) Cached() []uint32 { return a.numbers(true) }

// NotCached returns the numbers for which the kernel runs the filter.
func (a *ABICache) NotCached() []uint32 { return a.numbers(false) }

func (a *ABICache) numbers(cached bool) []uint32 {
	var out []uint32
	for _, e := range a.Syscalls {
		if e.Cached == cached {
			out = append(out, e.Nr)
		}
	}
	return out
}

// String summarises the report, one line per ABI, e.g.
// "x86_64: 310 of 373 syscalls cached (63 run the filter: 12 depend on
// more than nr and arch)".
func (r *CacheReport) String() string {
	var b strings.Builder
	for _, a := range r.ABIs {
		if !a.Bitmap {
			fmt.Fprintf(&b, "%s: no cache (the kernel runs the filter for every %s syscall)\n", a.Arch, a.Arch)
			continue
		}
		cached, dynamic := 0, 0
		for _, e := range a.Syscalls {
			if e.Cached {
				cached++
			} else if !e.Const {
				dynamic++
			}
		}
		fmt.Fprintf(&b, "%s: %d of %d syscalls cached", a.Arch, cached, len(a.Syscalls))
		if rest := len(a.Syscalls) - cached; rest > 0 {
			fmt.Fprintf(&b, " (%d run the filter: %d depend on more than nr and arch)", rest, dynamic)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
