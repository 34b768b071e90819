package bpf

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/syscalls"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

type goldenProgram struct {
	name string // file name without .bpf
	arch *syscalls.Arch
	prog Program
}

// goldenPrograms reads testdata/ARCH-NAME.bpf, raw filters in ARCH's byte
// order (written by testdata/libseccomp/gen.c).
func goldenPrograms(t testing.TB) []goldenProgram {
	t.Helper()
	files, err := filepath.Glob("testdata/*.bpf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.bpf: %v", err)
	}
	var out []goldenProgram
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".bpf")
		arch, err := syscalls.ArchByName(strings.SplitN(name, "-", 2)[0])
		if err != nil {
			t.Fatalf("%s: file name must start with an architecture: %v", f, err)
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Decode(raw, ByteOrder(arch.BigEndian))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, goldenProgram{name, arch, p})
	}
	return out
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the first lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("- " + wl + "\n+ " + gl + "\n")
			if shown++; shown == 5 {
				break
			}
		}
	}
	return b.String()
}

func TestDisassembleGolden(t *testing.T) {
	for _, g := range goldenPrograms(t) {
		t.Run("prog="+g.name, func(t *testing.T) {
			l := Disassemble(g.prog, Options{Arch: g.arch})
			checkGolden(t, g.name+".disasm", []byte(l.String()))
			var dot bytes.Buffer
			if err := Dot(&dot, g.prog, Options{Arch: g.arch}); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, g.name+".dot", dot.Bytes())
		})
	}
}

// everyOpcode uses every instruction seccomp allows, and a few it does not.
var everyOpcode = Program{
	LoadAbs(OffArch),                             // 0
	Jump(JmpJEQ, 0xc000003e, 0, 30),              // 1: x86_64
	LoadAbs(OffNr),                               // 2
	Jump(JmpJSET, syscalls.X32SyscallBit, 27, 0), // 3
	Jump(JmpJGE, 335, 26, 0),                     // 4
	Jump(JmpJGT, 0x40000000, 25, 0),              // 5
	Jump(JmpJEQ, 257, 0, 24),                     // 6: openat
	LoadAbs(ArgLow(1, false)),                    // 7
	LoadAbs(ArgHigh(5, false)),                   // 8
	LoadAbs(OffInstructionPointer),               // 9
	LoadAbs(OffInstructionPointer + 4),           // 10
	ins(opLdLen, 0, 0, 0),                        // 11
	ins(opLdxLen, 0, 0, 0),                       // 12
	ins(opLdImm, 0, 0, 0x1234),                   // 13
	ins(opLdxImm, 0, 0, 5),                       // 14
	ins(opSt, 0, 0, 0),                           // 15
	ins(opStx, 0, 0, 15),                         // 16
	ins(opLdMem, 0, 0, 15),                       // 17
	ins(opLdxMem, 0, 0, 0),                       // 18
	ins(opTax, 0, 0, 0),                          // 19
	ins(opTxa, 0, 0, 0),                          // 20
	AluK(AluADD, 1),                              // 21
	AluK(AluLSH, 12),                             // 22
	ins(ClassALU|AluXOR|SrcX, 0, 0, 0),           // 23
	ins(opAluNeg, 0, 0, 0),                       // 24
	ins(ClassJMP|JmpJGT|SrcX, 1, 2, 0),           // 25
	Ret(0x7fff0003),                              // 26: ALLOW with data
	ins(ClassJMP|JmpJSET|SrcX, 0, 1, 0),          // 27
	ins(opRetA, 0, 0, 0),                         // 28
	JumpAlways(1),                                // 29
	ins(ClassALU|AluMOD|SrcK, 0, 0, 3),           // 30: not allowed
	Ret(0x12340000),                              // 31: not an action
	Ret(0x00050001),                              // 32
}

func TestDisassembleEveryOpcode(t *testing.T) {
	x86_64, _ := syscalls.ArchByName("x86_64")
	checkGolden(t, "every-opcode.disasm", []byte(Disassemble(everyOpcode, Options{Arch: x86_64}).String()))
	checkGolden(t, "every-opcode.txt", []byte(Disassemble(everyOpcode, Options{}).Text()))
}

func TestDisassembleNames(t *testing.T) {
	x86_64, _ := syscalls.ArchByName("x86_64")
	s390x, _ := syscalls.ArchByName("s390x")
	// A filter for x86 (i386) and x86_64: names follow the arch compared.
	p := Program{
		LoadAbs(OffArch),               // 0
		Jump(JmpJEQ, 0x40000003, 0, 3), // 1: i386
		LoadAbs(OffNr),                 // 2
		Jump(JmpJEQ, 5, 6, 0),          // 3: i386 open
		Ret(0),                         // 4
		Jump(JmpJEQ, 0xc000003e, 0, 3), // 5: x86_64
		LoadAbs(OffNr),                 // 6
		Jump(JmpJEQ, 2, 1, 0),          // 7: x86_64 open
		Jump(JmpJEQ, 0x40000002, 0, 1), // 8: x32 open
		Ret(retAllow),                  // 9
		LoadAbs(ArgLow(0, false)),      // 10: reached from 3 and 8: arch unknown
		Ret(0x50001),                   // 11
	}
	l := Disassemble(p, Options{})
	want := map[int]string{
		1:  "if (A != ARCH_I386) goto 0005",
		3:  "if (A == open) goto 0010",
		5:  "if (A != ARCH_X86_64) goto 0009",
		7:  "if (A == open) goto 0009",
		8:  "if (A != x32:open) goto 0010",
		10: "A = args[0] (low)",
		11: "return ERRNO(1)",
	}
	for pc, w := range want {
		if got := l.Lines[pc].Text; got != w {
			t.Errorf("line %d = %q, want %q", pc, got, w)
		}
	}
	if l.Lines[3].Arch != "x86" || l.Lines[7].Arch != "x86_64" || l.Lines[10].Arch != "" {
		t.Errorf("arch of lines 3, 7, 10 = %q, %q, %q; want x86, x86_64, none", l.Lines[3].Arch, l.Lines[7].Arch, l.Lines[10].Arch)
	}
	// Without an arch check, --arch gives names and byte order.
	q := Program{LoadAbs(OffNr), Jump(JmpJEQ, 26, 0, 1), LoadAbs(ArgLow(0, true)), Ret(retAllow)}
	if got := Disassemble(q, Options{Arch: s390x}).Lines[1].Text; got != "if (A != ptrace) goto 0003" {
		t.Errorf("s390x line 1 = %q", got)
	}
	if got := Disassemble(q, Options{Arch: s390x}).Lines[2].Text; got != "A = args[0] (low)" {
		t.Errorf("s390x line 2 = %q", got)
	}
	if got := Disassemble(q, Options{Arch: x86_64}).Lines[2].Text; got != "A = args[0] (high)" {
		t.Errorf("x86_64 line 2 = %q", got)
	}
	if got := Disassemble(q, Options{}).Lines[1].Text; got != "if (A != 26) goto 0003" {
		t.Errorf("no arch line 1 = %q", got)
	}
}

func TestAssembleRoundTripGolden(t *testing.T) {
	for _, g := range goldenPrograms(t) {
		t.Run("prog="+g.name, func(t *testing.T) {
			l := Disassemble(g.prog, Options{Arch: g.arch})
			for form, text := range map[string]string{"listing": l.String(), "readable": l.Text()} {
				back, err := Assemble(text, Options{Arch: g.arch})
				if err != nil {
					t.Fatalf("%s: %v", form, err)
				}
				if !equalPrograms(back, g.prog) {
					t.Errorf("%s: round trip differs", form)
				}
			}
		})
	}
	x86_64, _ := syscalls.ArchByName("x86_64")
	for _, opts := range []Options{{}, {Arch: x86_64}} {
		l := Disassemble(everyOpcode, opts)
		back, err := Assemble(l.String(), opts)
		if err != nil || !equalPrograms(back, everyOpcode) {
			t.Errorf("every opcode, listing: %v", err)
		}
	}
}

func equalPrograms(a, b Program) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAssembleReadable(t *testing.T) {
	x86_64, _ := syscalls.ArchByName("x86_64")
	src := `
# A hand-written filter.
A = arch
if (A != ARCH_X86_64) goto 0008
A = sys_number
if (A >= 0x40000000) goto 0008
if (A == getpid) goto 0007 else goto 0006   # both targets
if (!(A & 1)) goto 0007
return ERRNO(13)
0007: return ALLOW
return KILL_PROCESS
`
	p, err := Assemble(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := Program{
		LoadAbs(OffArch), Jump(JmpJEQ, 0xc000003e, 0, 6), LoadAbs(OffNr), Jump(JmpJGE, 0x40000000, 4, 0),
		Jump(JmpJEQ, 39, 2, 1), Jump(JmpJSET, 1, 0, 1), Ret(0x5000d), Ret(retAllow), Ret(0x80000000),
	}
	if !equalPrograms(p, want) {
		t.Errorf("Assemble =\n%v\nwant\n%v", p, want)
	}
	if _, err := Assemble("A = sys_number\nif (A == getpid) goto 0002\nreturn ALLOW", Options{Arch: x86_64}); err != nil {
		t.Errorf("name with --arch: %v", err)
	}
}

func TestAssembleErrors(t *testing.T) {
	tests := []struct{ name, src, msg string }{
		{"name_without_arch", "A = sys_number\nif (A == getpid) goto 0002\nreturn ALLOW", "line 2: syscall name \"getpid\" needs an architecture"},
		{"unknown_name", "A = arch\nif (A != ARCH_X86_64) goto 0003\nif (A == getpidd) goto 0003\nreturn ALLOW", "line 3: \"getpidd\" is not a number or a syscall of x86_64"},
		{"backward_jump", "return ALLOW\ngoto 0000", "line 2: jump from 0001 to 0000"},
		{"far_jump", "if (A == 1) goto 0300\nreturn ALLOW", "more than a conditional jump's 255"},
		{"wrong_line_number", "0000: return ALLOW\n0002: return ALLOW", "line 2: line number 0002 is not the instruction's position 0001"},
		{"raw_too_short", "0x20 0x00 0x00", "four columns"},
		{"raw_too_big", "0x20 0x100 0x00 0x0", "JT and JF 8 bits"},
		{"bad_action", "return MAYBE", "not a number or an action"},
		{"unknown_statement", "frobnicate", "cannot read"},
		{"unknown_field", "A = args[7] (low)", "unknown seccomp_data field"},
		{"unknown_opcode", "??? opcode 0x94", "no readable form"},
		{"bad_mem", "mem[x] = A", "mem[0] to mem[15]"},
		{"bad_store", "mem[1] = 5", "only A or X"},
		{"bad_operator", "A %= 3", "unknown operator"},
		{"bad_arch", "A = arch\nif (A == ARCH_VAX) goto 0002\nreturn ALLOW", "unknown architecture \"ARCH_VAX\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Assemble(tt.src, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Assemble = %v, want an error containing %q", err, tt.msg)
			}
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("%v is not ErrSyntax", err)
			}
		})
	}
}

func BenchmarkDisassemble(b *testing.B) {
	for _, g := range goldenPrograms(b) {
		if g.name != "x86_64-libseccomp" {
			continue
		}
		b.ReportAllocs()
		for b.Loop() {
			_ = Disassemble(g.prog, Options{Arch: g.arch}).String()
		}
	}
}
