//go:build libseccomp

package libseccomp

import (
	"fmt"
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	seccomp "github.com/seccomp/libseccomp-golang"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/syscalls"
)

// LastSyscalls is runc's findLastSyscalls: for every ABI of the filter
// (the config's architectures plus native), the highest number any name of
// the config resolves to through libseccomp (seccomp_syscall_resolve_name_arch).
// Pseudo numbers (negative: names the ABI lacks, and socket/IPC names on
// ABIs where libseccomp multiplexes them) do not count; ABIs where nothing
// resolves are left out.
func LastSyscalls(oci *specs.LinuxSeccomp, native *syscalls.Arch) (map[*syscalls.Arch]uint32, error) {
	set := []*syscalls.Arch{native}
	for _, name := range oci.Architectures {
		a, err := archByOCI(name)
		if err != nil {
			return nil, err
		}
		set = append(set, a)
	}
	out := map[*syscalls.Arch]uint32{}
	for _, a := range set {
		t, err := Arch(a)
		if err != nil {
			return nil, err
		}
		var last seccomp.ScmpSyscall
		for _, sc := range oci.Syscalls {
			for _, name := range sc.Names {
				nr, err := seccomp.GetSyscallFromNameByArch(name, t)
				if err == nil && nr > last {
					last = nr
				}
			}
		}
		if last > 0 {
			out[a] = uint32(last)
		}
	}
	return out, nil
}

// permissive is runc's isAllowAction: no stub for these defaults, so that
// tracers and loggers see new syscalls.
func permissive(a specs.LinuxSeccompAction) bool {
	return a == specs.ActAllow || a == specs.ActLog || a == specs.ActTrace
}

// ENOSYSStub returns runc's ENOSYS stub for oci, to be prepended to the
// filter (nil when runc adds none). Behaviour, per AUDIT_ARCH token of the
// filter: load nr; on s390/s390x answer ENOSYS for number 0 (the kernel's
// fallback for numbers it does not know); answer ENOSYS above the ABI's last
// syscall; on AUDIT_ARCH_X86_64 the x32 bit picks x32's or x86_64's limit
// (a mode without a limit goes on to the filter). Anything else falls
// through to the filter. The layout is ours; the decisions are runc's.
func ENOSYSStub(oci *specs.LinuxSeccomp, native *syscalls.Arch) (bpf.Program, error) {
	if permissive(oci.DefaultAction) {
		return nil, nil
	}
	// runc compares defaultErrnoRet with the whole SCMP_ACT_ERRNO(ENOSYS)
	// value (a runc quirk: no real errno equals it); kept for fidelity.
	if oci.DefaultErrnoRet != nil && *oci.DefaultErrnoRet == uint(ENOSYSAction) {
		return nil, nil
	}
	last, err := LastSyscalls(oci, native)
	if err != nil {
		return nil, err
	}
	// Group by AUDIT_ARCH token (x86_64 and x32 share one).
	groups := map[uint32][]*syscalls.Arch{}
	var tokens []uint32
	for a := range last {
		if _, ok := groups[a.AuditArch]; !ok {
			tokens = append(tokens, a.AuditArch)
		}
		groups[a.AuditArch] = append(groups[a.AuditArch], a)
	}
	sort.Slice(tokens, func(i, j int) bool { return tokens[i] < tokens[j] })

	var asm assembler
	asm.emit(bpf.LoadAbs(bpf.OffArch), "", "")
	for _, tok := range tokens {
		asm.emit(bpf.Jump(bpf.JmpJEQ, tok, 0, 0), fmt.Sprintf("arch%#x", tok), "")
	}
	asm.emit(bpf.JumpAlways(0), "filter", "")
	for _, tok := range tokens {
		asm.label(fmt.Sprintf("arch%#x", tok))
		asm.emit(bpf.LoadAbs(bpf.OffNr), "", "")
		g := groups[tok]
		switch {
		case len(g) == 1 && (g[0].Name == "s390" || g[0].Name == "s390x"):
			asm.emit(bpf.Jump(bpf.JmpJEQ, 0, 0, 0), "enosys", "")
			asm.emit(bpf.Jump(bpf.JmpJGT, last[g[0]], 0, 0), "enosys", "filter")
		case len(g) == 1 && g[0].AuditArch == x86_64Token:
			// Only one of x86_64 and x32: the other mode goes on.
			if g[0].IsX32() {
				asm.emit(bpf.Jump(bpf.JmpJSET, syscalls.X32SyscallBit, 0, 0), "", "filter")
			} else {
				asm.emit(bpf.Jump(bpf.JmpJSET, syscalls.X32SyscallBit, 0, 0), "filter", "")
			}
			asm.emit(bpf.Jump(bpf.JmpJGT, last[g[0]], 0, 0), "enosys", "filter")
		case len(g) == 1:
			asm.emit(bpf.Jump(bpf.JmpJGT, last[g[0]], 0, 0), "enosys", "filter")
		case len(g) == 2 && tok == x86_64Token:
			x64, x32 := g[0], g[1]
			if x64.IsX32() {
				x64, x32 = x32, x64
			}
			l32 := fmt.Sprintf("x32_%#x", tok)
			asm.emit(bpf.Jump(bpf.JmpJSET, syscalls.X32SyscallBit, 0, 0), l32, "")
			asm.emit(bpf.Jump(bpf.JmpJGT, last[x64], 0, 0), "enosys", "filter")
			asm.label(l32)
			asm.emit(bpf.Jump(bpf.JmpJGT, last[x32], 0, 0), "enosys", "filter")
		default:
			return nil, fmt.Errorf("%w: runc cannot build an ENOSYS stub for %d ABIs sharing AUDIT_ARCH %#x", ErrRefused, len(g), tok)
		}
	}
	asm.label("enosys")
	asm.emit(bpf.Ret(ENOSYSAction), "", "")
	asm.label("filter")
	return asm.link()
}

const x86_64Token = 0xc000003e

// assembler is a tiny label resolver for the stub (forward jumps only;
// the stub is short, so every jump fits in 8 bits).
type assembler struct {
	prog   bpf.Program
	labels map[string]int
	fixups []fixup
}

type fixup struct {
	pc     int
	jt, jf string
}

func (a *assembler) emit(ins bpf.Instruction, jt, jf string) {
	if jt != "" || jf != "" {
		a.fixups = append(a.fixups, fixup{pc: len(a.prog), jt: jt, jf: jf})
	}
	a.prog = append(a.prog, ins)
}

func (a *assembler) label(name string) {
	if a.labels == nil {
		a.labels = map[string]int{}
	}
	a.labels[name] = len(a.prog)
}

func (a *assembler) link() (bpf.Program, error) {
	for _, f := range a.fixups {
		ins := &a.prog[f.pc]
		off := func(l string) (int, error) {
			if l == "" {
				return 0, nil
			}
			to, ok := a.labels[l]
			if !ok {
				return 0, fmt.Errorf("stub: undefined label %s", l)
			}
			d := to - f.pc - 1
			if d < 0 || d > 255 && ins.Op != bpf.ClassJMP|bpf.JmpJA {
				return 0, fmt.Errorf("stub: jump to %s out of range (%d)", l, d)
			}
			return d, nil
		}
		t, err := off(f.jt)
		if err != nil {
			return nil, err
		}
		e, err := off(f.jf)
		if err != nil {
			return nil, err
		}
		if ins.Op == bpf.ClassJMP|bpf.JmpJA {
			ins.K = uint32(t)
		} else {
			ins.Jt, ins.Jf = uint8(t), uint8(e)
		}
	}
	return a.prog, nil
}
