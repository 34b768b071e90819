package bpf

import (
	"strings"

	"github.com/sysfence/sysfence/syscalls"
)

// What the disassembler and the assembler know about a value at one point
// of the program: where A, X or a scratch cell came from, and which
// architecture the path has checked. Both walk the program in PC order
// (classic BPF only jumps forward) and join the knowledge of every edge
// into an instruction, so that the assembler reads a name exactly as the
// disassembler wrote it.

type valKind uint8

const (
	valUnknown valKind = iota
	valNr              // seccomp_data.nr
	valArch            // seccomp_data.arch
	valField           // another seccomp_data word (off)
)

type val struct {
	kind valKind
	off  uint32
}

type flowState struct {
	reached bool
	a, x    val
	mem     [MemWords]val
	// arch is the AUDIT_ARCH token this path has compared equal, when
	// archKnown.
	arch      uint32
	archKnown bool
}

func joinVal(a, b val) val {
	if a == b {
		return a
	}
	return val{}
}

func (s *flowState) join(o flowState) {
	if !o.reached {
		return
	}
	if !s.reached {
		*s = o
		return
	}
	s.a, s.x = joinVal(s.a, o.a), joinVal(s.x, o.x)
	for i := range s.mem {
		s.mem[i] = joinVal(s.mem[i], o.mem[i])
	}
	if s.archKnown != o.archKnown || s.arch != o.arch {
		s.archKnown, s.arch = false, 0
	}
}

// flow holds the joined state entering every instruction.
type flow struct {
	in []flowState
}

func newFlow(n int) *flow {
	f := &flow{in: make([]flowState, n)}
	if n > 0 {
		f.in[0].reached = true
	}
	return f
}

// at returns the state entering pc. Unreachable code gets an empty state.
func (f *flow) at(pc int) flowState { return f.in[pc] }

// step applies ins at pc to s and joins the result into its successors.
func (f *flow) step(pc int, ins Instruction, s flowState) {
	if !s.reached {
		return
	}
	out := s
	switch ins.Op {
	case opLdAbs:
		switch ins.K {
		case OffNr:
			out.a = val{kind: valNr}
		case OffArch:
			out.a = val{kind: valArch}
		default:
			out.a = val{kind: valField, off: ins.K}
		}
	case opLdMem:
		if ins.K < MemWords {
			out.a = s.mem[ins.K]
		} else {
			out.a = val{}
		}
	case opLdxMem:
		if ins.K < MemWords {
			out.x = s.mem[ins.K]
		} else {
			out.x = val{}
		}
	case opSt:
		if ins.K < MemWords {
			out.mem[ins.K] = s.a
		}
	case opStx:
		if ins.K < MemWords {
			out.mem[ins.K] = s.x
		}
	case opTax:
		out.x = s.a
	case opTxa:
		out.a = s.x
	case opRetK, opRetA:
		return
	case opJa:
		f.join(int64(pc)+1+int64(ins.K), out)
		return
	default:
		switch {
		case isCondJump(ins.Op):
			t, e := out, out
			if ins.Op == ClassJMP|JmpJEQ|SrcK && s.a.kind == valArch {
				t.arch, t.archKnown = ins.K, true
			}
			f.join(int64(pc)+1+int64(ins.Jt), t)
			f.join(int64(pc)+1+int64(ins.Jf), e)
			return
		case ins.Op&0x07 == ClassLD:
			out.a = val{}
		case ins.Op&0x07 == ClassLDX:
			out.x = val{}
		case ins.Op&0x07 == ClassALU:
			out.a = val{}
		case ins.Op&0x07 == ClassMISC:
			out.a, out.x = val{}, val{}
		case ins.Op&0x07 == ClassRET:
			return
		case ins.Op&0x07 == ClassJMP:
			return // an unknown jump: its targets are unknown
		}
	}
	f.join(int64(pc)+1, out)
}

func (f *flow) join(pc int64, s flowState) {
	if pc >= 0 && pc < int64(len(f.in)) {
		f.in[pc].join(s)
	}
}

// context is how names are read and written at one instruction.
type context struct {
	arch      uint32 // AUDIT_ARCH token, when known
	archKnown bool
	bigEndian bool
}

// contextAt combines a state with the default ABI of the options.
func contextAt(s flowState, def *syscalls.Arch) context {
	c := context{}
	if s.archKnown {
		c.arch, c.archKnown = s.arch, true
		if as := syscalls.ByAuditArch(s.arch); len(as) > 0 {
			c.bigEndian = as[0].BigEndian
		} else if def != nil {
			c.bigEndian = def.BigEndian
		}
		return c
	}
	if def != nil {
		c.arch, c.archKnown, c.bigEndian = def.AuditArch, true, def.BigEndian
	}
	return c
}

// abis returns the ABIs syscall names come from in this context: the
// primary one, and for AUDIT_ARCH_X86_64 also x32 (numbers with
// __X32_SYSCALL_BIT).
func (c context) abis() (primary, x32 *syscalls.Arch) {
	if !c.archKnown {
		return nil, nil
	}
	for _, a := range syscalls.ByAuditArch(c.arch) {
		if a.IsX32() {
			x32 = a
		} else if primary == nil {
			primary = a
		}
	}
	return primary, x32
}

const x32Prefix = "x32:"

// syscallName names a syscall number in this context, or "".
func (c context) syscallName(nr uint32) string {
	primary, x32 := c.abis()
	if x32 != nil && nr&syscalls.X32SyscallBit != 0 {
		if n, ok := x32.SyscallName(nr); ok {
			return x32Prefix + n
		}
		return ""
	}
	if primary != nil {
		if n, ok := primary.SyscallName(nr); ok {
			return n
		}
	}
	return ""
}

// syscallNumber reads a name written by syscallName.
func (c context) syscallNumber(name string) (uint32, bool) {
	primary, x32 := c.abis()
	if rest, ok := strings.CutPrefix(name, x32Prefix); ok {
		if x32 == nil {
			return 0, false
		}
		return x32.Number(rest)
	}
	if primary == nil {
		return 0, false
	}
	return primary.Number(name)
}

// auditArchNames are the <linux/audit.h> names of the AUDIT_ARCH tokens,
// without the AUDIT_ prefix, keyed by libseccomp ABI name.
var auditArchNames = [...]struct{ abi, name string }{
	{"x86", "ARCH_I386"}, {"x86_64", "ARCH_X86_64"}, {"arm", "ARCH_ARM"}, {"aarch64", "ARCH_AARCH64"},
	{"loongarch64", "ARCH_LOONGARCH64"}, {"m68k", "ARCH_M68K"}, {"mips", "ARCH_MIPS"}, {"mipsel", "ARCH_MIPSEL"},
	{"mips64", "ARCH_MIPS64"}, {"mipsel64", "ARCH_MIPSEL64"}, {"mips64n32", "ARCH_MIPS64N32"},
	{"mipsel64n32", "ARCH_MIPSEL64N32"}, {"parisc", "ARCH_PARISC"}, {"parisc64", "ARCH_PARISC64"},
	{"ppc", "ARCH_PPC"}, {"ppc64", "ARCH_PPC64"}, {"ppc64le", "ARCH_PPC64LE"}, {"riscv64", "ARCH_RISCV64"},
	{"s390", "ARCH_S390"}, {"s390x", "ARCH_S390X"}, {"sh", "ARCH_SHEL"}, {"sheb", "ARCH_SH"},
}

// auditArchName names an AUDIT_ARCH token, or "".
func auditArchName(token uint32) string {
	for _, a := range syscalls.ByAuditArch(token) {
		for _, n := range auditArchNames {
			if n.abi == a.Name {
				return n.name
			}
		}
	}
	return ""
}

// auditArchToken reads a name written by auditArchName (AUDIT_ prefix
// optional).
func auditArchToken(name string) (uint32, bool) {
	name = strings.TrimPrefix(name, "AUDIT_")
	for _, n := range auditArchNames {
		if n.name == name {
			a, err := syscalls.ArchByName(n.abi)
			if err != nil {
				return 0, false
			}
			return a.AuditArch, true
		}
	}
	return 0, false
}

// fieldName names a 4-byte word of seccomp_data in a byte order:
// "instruction_pointer (low)", "args[2] (high)"; "" for nr, arch and
// offsets that are not a word of the struct.
func fieldName(off uint32, bigEndian bool) string {
	if off%4 != 0 || off < OffInstructionPointer || off >= SeccompDataSize {
		return ""
	}
	var base string
	if off < OffArgs {
		base = "instruction_pointer"
	} else {
		base = "args[" + string(rune('0'+(off-OffArgs)/8)) + "]"
	}
	first := (off-OffInstructionPointer)%8 == 0 // the word at the lower address
	if first != bigEndian {
		return base + " (low)"
	}
	return base + " (high)"
}
