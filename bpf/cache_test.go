package bpf

import (
	"strings"
	"testing"

	"github.com/sysfence/sysfence/syscalls"
)

const (
	auditX86_64 = 0xc000003e
	auditI386   = 0x40000003
	errnoEPERM  = 0x50001
)

func mustArch(t testing.TB, name string) *syscalls.Arch {
	t.Helper()
	a, err := syscalls.ArchByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// cacheProgram: x86_64 allows read and getpid (via AND), openat only with
// args[0] == 0; x32 allows x32 read; everything else EPERM; other arches
// are killed.
var cacheProgram = Program{
	LoadAbs(OffArch),                 // 0
	Jump(JmpJEQ, auditX86_64, 0, 11), // 1 -> 13 KILL
	LoadAbs(OffNr),                   // 2
	Jump(JmpJEQ, 0, 7, 0),            // 3: read -> 11 ALLOW
	Jump(JmpJEQ, 0x40000000, 6, 0),   // 4: x32 read -> 11 ALLOW
	Jump(JmpJEQ, 257, 0, 2),          // 5: openat -> 6, else 8
	LoadAbs(ArgLow(0, false)),        // 6
	Jump(JmpJEQ, 0, 3, 4),            // 7: -> 11 ALLOW / 12 EPERM
	AluK(AluAND, 0xffff),             // 8
	Jump(JmpJEQ, 39, 1, 0),           // 9: getpid -> 11
	Ret(errnoEPERM),                  // 10
	Ret(retAllow),                    // 11
	Ret(errnoEPERM),                  // 12
	Ret(0),                           // 13: KILL
}

func TestCacheCheck(t *testing.T) {
	tests := []struct {
		name   string
		p      Program
		arch   uint32
		nr     uint32
		cached bool
		konst  bool
		ret    uint32
		pc     int
	}{
		{"prog=allowlist/nr=read", cacheProgram, auditX86_64, 0, true, true, retAllow, 11},
		{"prog=allowlist/nr=getpid_after_and", cacheProgram, auditX86_64, 39, true, true, retAllow, 11},
		{"prog=allowlist/nr=openat_reads_arg", cacheProgram, auditX86_64, 257, false, false, 0, 6},
		{"prog=allowlist/nr=denied", cacheProgram, auditX86_64, 1, false, true, errnoEPERM, 10},
		{"prog=allowlist/nr=x32_read", cacheProgram, auditX86_64, 0x40000000, true, true, retAllow, 11},
		{"prog=allowlist/arch=i386", cacheProgram, auditI386, 0, false, true, 0, 13},
		{"prog=jset", Program{LoadAbs(OffNr), Jump(JmpJSET, 1, 0, 1), Ret(retAllow), Ret(0)}, auditX86_64, 3, true, true, retAllow, 2},
		{"prog=jgt_jge", Program{LoadAbs(OffNr), Jump(JmpJGT, 10, 2, 0), Jump(JmpJGE, 5, 0, 1), Ret(retAllow), Ret(0)}, auditX86_64, 5, true, true, retAllow, 3},
		{"prog=ja", Program{JumpAlways(1), Ret(0), Ret(retAllow)}, auditX86_64, 0, true, true, retAllow, 2},
		{"prog=initial_a_is_zero", Program{Jump(JmpJEQ, 0, 0, 1), Ret(retAllow), Ret(0)}, auditX86_64, 7, true, true, retAllow, 1},
		{"prog=or_not_emulated", Program{LoadAbs(OffNr), AluK(AluOR, 0), Ret(retAllow)}, auditX86_64, 0, false, false, 0, 1},
		{"prog=jeq_x_not_emulated", Program{LoadAbs(OffNr), ins(ClassJMP|JmpJEQ|SrcX, 0, 0, 0), Ret(retAllow)}, auditX86_64, 0, false, false, 0, 1},
		{"prog=ld_imm_not_emulated", Program{ins(opLdImm, 0, 0, 0), Ret(retAllow)}, auditX86_64, 0, false, false, 0, 0},
		{"prog=ip_load", Program{LoadAbs(OffInstructionPointer), Ret(retAllow)}, auditX86_64, 0, false, false, 0, 0},
		{"prog=ret_a", Program{LoadAbs(OffNr), ins(opRetA, 0, 0, 0)}, auditX86_64, retAllow, false, false, 0, 1},
		{"prog=log_is_not_allow", Program{Ret(0x7ffc0000)}, auditX86_64, 0, false, true, 0x7ffc0000, 0},
		{"prog=allow_with_data", Program{Ret(retAllow | 1)}, auditX86_64, 0, false, true, retAllow | 1, 0},
		{"prog=falls_off", Program{LoadAbs(OffNr)}, auditX86_64, 0, false, false, 0, 1},
		{"prog=unvalidated_jump", Program{JumpAlways(7), Ret(retAllow)}, auditX86_64, 0, false, false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := CacheCheck(tt.p, tt.arch, tt.nr)
			if e.Cached != tt.cached || e.Const != tt.konst || e.Ret != tt.ret || e.PC != tt.pc || e.Nr != tt.nr {
				t.Errorf("CacheCheck = %+v, want cached=%v const=%v ret=%#x pc=%d", e, tt.cached, tt.konst, tt.ret, tt.pc)
			}
		})
	}
}

func TestCacheABIs(t *testing.T) {
	tests := []struct{ host, want string }{
		{"x86_64", "x86_64+ x86+ x32-"},
		{"x32", "x86_64+ x86+ x32-"},
		{"x86", "x86+"},
		{"aarch64", "aarch64+ arm+"},
		{"s390x", "s390x+ s390+"},
		{"ppc64", "ppc64+ ppc+"},
		{"ppc64le", "ppc64le+"},
		{"parisc64", "parisc64+ parisc+"},
		{"riscv64", "riscv64+"},
		{"mips64", "mips64- mips64n32- mips-"},
		{"mipsel", "mipsel-"},
	}
	for _, tt := range tests {
		var got []string
		for _, a := range CacheABIs(mustArch(t, tt.host)) {
			mark := "-"
			if a.Bitmap {
				mark = "+"
			}
			got = append(got, a.Arch.Name+mark)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("host=%s: CacheABIs = %v, want %s", tt.host, got, tt.want)
		}
	}
	// Every ABI is the host of some kernel, with or without a bitmap.
	for _, a := range syscalls.Arches() {
		if len(CacheABIs(a)) == 0 {
			t.Errorf("host=%s: no ABIs", a.Name)
		}
	}
}

func TestCacheReport(t *testing.T) {
	r := Cache(cacheProgram, mustArch(t, "x86_64"))
	x86_64, x86, x32 := r.ABI("x86_64"), r.ABI("x86"), r.ABI("x32")
	if x86_64 == nil || x86 == nil || x32 == nil || r.ABI("arm") != nil {
		t.Fatalf("report ABIs: %+v", r.ABIs)
	}
	if got := x86_64.Cached(); len(got) != 2 || got[0] != 0 || got[1] != 39 {
		t.Errorf("x86_64 cached = %v, want [0 39] (read, getpid)", got)
	}
	if e, ok := x86_64.Entry(257); !ok || e.Cached || e.Const || e.Name != "openat" || e.PC != 6 {
		t.Errorf("openat = %+v, %v; want not cached, stopped at the argument load (pc 6)", e, ok)
	}
	if len(x86.Cached()) != 0 || len(x86.NotCached()) != len(mustArch(t, "x86").Syscalls()) {
		t.Errorf("x86 must have nothing cached (the filter kills it), got %v", x86.Cached())
	}
	// x32 read reaches ALLOW with constants only, but x32 numbers are
	// outside the kernel's bitmap.
	if e, _ := x32.Entry(0x40000000); x32.Bitmap || e.Cached || !e.Const || e.Ret != retAllow {
		t.Errorf("x32 read = %+v (bitmap %v), want const ALLOW but not cached", e, x32.Bitmap)
	}
	if e, _ := x86_64.Entry(335); !e.Exempt || e.Name != "uretprobe" || e.Cached {
		t.Errorf("uretprobe = %+v, want exempt, not cached by the filter", e)
	}
	if e, _ := x86.Entry(335); e.Exempt {
		t.Errorf("x86 335 must not be exempt: %+v", e)
	}
	s := r.String()
	for _, want := range []string{"x86_64: 2 of ", " syscalls cached (", "1 depend on more than nr and arch", "x32: no cache"} {
		if !strings.Contains(s, want) {
			t.Errorf("report %q lacks %q", s, want)
		}
	}
}

// TestCacheAgreesWithRun checks CacheCheck against the emulator on the
// libseccomp programs: a constant verdict is what Run answers whatever
// the arguments, and a path Run takes through cacheable instructions only
// is constant.
func TestCacheAgreesWithRun(t *testing.T) {
	args := []uint64{0, 1, 0xffffffff, 0x100000000, 0x7e020000}
	for _, g := range goldenPrograms(t) {
		r := Cache(g.prog, g.arch)
		cached := 0
		for _, abi := range r.ABIs {
			a := mustArch(t, abi.Arch)
			for _, e := range abi.Syscalls {
				for _, v := range args {
					d := Data{Nr: e.Nr, Arch: a.AuditArch, Args: [6]uint64{v, v, v, v, v, v}}
					res, err := Run(g.prog, &d, a.BigEndian, true)
					if err != nil {
						t.Fatal(err)
					}
					if e.Const && res.Ret != e.Ret {
						t.Errorf("%s/%s/%s: cache emulation says %#x, Run %#x", g.name, abi.Arch, e.Name, e.Ret, res.Ret)
					}
					if !e.Const && v == 0 && cacheablePath(g.prog, res.Trace) {
						t.Errorf("%s/%s/%s: path %v is cacheable but the emulation stopped at %d", g.name, abi.Arch, e.Name, res.Trace, e.PC)
					}
				}
				if e.Cached {
					cached++
				}
			}
		}
		if cached == 0 {
			t.Errorf("%s: nothing cached", g.name)
		}
		t.Logf("%s: %s", g.name, strings.ReplaceAll(r.String(), "\n", "; "))
	}
}

func cacheablePath(p Program, trace []int) bool {
	for _, pc := range trace {
		i := p[pc]
		switch {
		case i.Op == opLdAbs && (i.K == OffNr || i.K == OffArch):
		case i.Op == opRetK, i.Op == opJa, i.Op == opAluAndK:
		case isCondJump(i.Op) && i.Op&SrcX == 0:
		default:
			return false
		}
	}
	return true
}

func BenchmarkCache(b *testing.B) {
	var g goldenProgram
	for _, gp := range goldenPrograms(b) {
		if gp.name == "x86_64-libseccomp" {
			g = gp
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		Cache(g.prog, g.arch)
	}
}
