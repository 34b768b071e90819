package bpf

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

func formatted(t *testing.T, p Program, f string, opts Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Format(&b, p, f, opts); err != nil {
		t.Fatalf("Format %s: %v", f, err)
	}
	return b.Bytes()
}

func TestFormatRaw(t *testing.T) {
	x86_64, s390x := mustArch(t, "x86_64"), mustArch(t, "s390x")
	if got := formatted(t, cacheProgram, "raw", Options{Arch: x86_64}); !bytes.Equal(got, cacheProgram.Encode(binary.LittleEndian)) {
		t.Error("raw for x86_64 is not little-endian")
	}
	got := formatted(t, cacheProgram, "raw", Options{Arch: s390x})
	if !bytes.Equal(got, cacheProgram.Encode(binary.BigEndian)) {
		t.Error("raw for s390x is not big-endian")
	}
	if got[0] != 0x00 || got[1] != 0x20 || got[7] != 0x04 {
		t.Errorf("s390x ld [4] = % x", got[:8])
	}
	if got := formatted(t, cacheProgram, "raw", Options{}); !bytes.Equal(got, cacheProgram.Encode(binary.NativeEndian)) {
		t.Error("raw without an arch is not in this machine's byte order")
	}
}

func TestFormatJSON(t *testing.T) {
	var got []struct {
		Code uint16 `json:"code"`
		Jt   uint8  `json:"jt"`
		Jf   uint8  `json:"jf"`
		K    uint32 `json:"k"`
	}
	out := formatted(t, everyOpcode, "json", Options{})
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(got) != len(everyOpcode) {
		t.Fatalf("%d instructions, want %d", len(got), len(everyOpcode))
	}
	for i, g := range got {
		if (Instruction{g.Code, g.Jt, g.Jf, g.K}) != everyOpcode[i] {
			t.Errorf("instruction %d = %+v, want %+v", i, g, everyOpcode[i])
		}
	}
	if empty := formatted(t, Program{}, "json", Options{}); json.Unmarshal(empty, &got) != nil || len(got) != 0 {
		t.Errorf("empty program: %s", empty)
	}
}

func TestFormatDisasmAndDot(t *testing.T) {
	opts := Options{Arch: mustArch(t, "x86_64")}
	if got := string(formatted(t, cacheProgram, "disasm", opts)); got != Disassemble(cacheProgram, opts).String() {
		t.Error("disasm format is not the listing")
	}
	if got := string(formatted(t, cacheProgram, "dot", opts)); !strings.HasPrefix(got, "digraph \"filter\" {") {
		t.Errorf("dot format: %s", got)
	}
}

func TestFormatUnknown(t *testing.T) {
	err := Format(&bytes.Buffer{}, cacheProgram, "yaml", Options{})
	if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), `"yaml" (known: raw, disasm, c, go, json, dot)`) {
		t.Fatalf("Format yaml = %v", err)
	}
}

// TestFormatC compiles the C output with a main that writes the array, and
// compares the bytes with Encode.
func TestFormatC(t *testing.T) {
	gcc := testenv.LookPath(t, "gcc", "gcc")
	dir := t.TempDir()
	progs := map[string]Program{"every_opcode": everyOpcode}
	for _, g := range goldenPrograms(t) {
		progs[strings.ReplaceAll(g.name, "-", "_")] = g.prog
	}
	for name, p := range progs {
		t.Run("prog="+name, func(t *testing.T) {
			src := string(formatted(t, p, "c", Options{Arch: mustArch(t, "x86_64"), Name: name}))
			src += "#include <stdio.h>\nint main(void) {\n" +
				"\tif (" + name + "_prog.len != " + strconv.Itoa(len(p)) + ") return 1;\n" +
				"\tfwrite(" + name + ", sizeof(" + name + "), 1, stdout);\n\treturn 0;\n}\n"
			c := filepath.Join(dir, name+".c")
			bin := filepath.Join(dir, name)
			if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(gcc, "-Wall", "-Werror", "-o", bin, c).CombinedOutput(); err != nil {
				t.Fatalf("gcc: %v\n%s\n%s", err, out, src)
			}
			out, err := exec.Command(bin).Output()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, p.Encode(binary.NativeEndian)) {
				t.Errorf("the C array differs from the program")
			}
		})
	}
}

// TestFormatGo parses the Go output: gofmt-clean, and its literal is the
// program.
func TestFormatGo(t *testing.T) {
	out := formatted(t, everyOpcode, "go", Options{Name: "seccompFilter"})
	src := "package p\n\nimport \"golang.org/x/sys/unix\"\n\n" + string(out)
	if pretty, err := format.Source([]byte(src)); err != nil || string(pretty) != src {
		t.Fatalf("go output is not gofmt-clean (%v):\n%s", err, src)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "filter.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got Program
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok || lit.Type != nil {
			return true
		}
		var ins Instruction
		for _, e := range lit.Elts {
			kv := e.(*ast.KeyValueExpr)
			v, err := strconv.ParseUint(kv.Value.(*ast.BasicLit).Value, 0, 32)
			if err != nil {
				t.Fatal(err)
			}
			switch kv.Key.(*ast.Ident).Name {
			case "Code":
				ins.Op = uint16(v)
			case "Jt":
				ins.Jt = uint8(v)
			case "Jf":
				ins.Jf = uint8(v)
			case "K":
				ins.K = uint32(v)
			}
		}
		got = append(got, ins)
		return false
	})
	if !equalPrograms(got, everyOpcode) {
		t.Errorf("go literal = %v, want %v", got, everyOpcode)
	}
	if !strings.Contains(src, "var seccompFilter = []unix.SockFilter{") {
		t.Errorf("go output lacks the declaration:\n%s", src)
	}
}
