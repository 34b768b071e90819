package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/cli"
	"github.com/sysfence/sysfence/syscalls"
)

// runCLI runs sysfence with args and stdin, returning stdout, stderr and
// the exit status.
func runCLI(t *testing.T, stdin io.Reader, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(&out)
	root.SetErr(&errOut)
	code := cli.Report(&errOut, root.Execute())
	return out.String(), errOut.String(), code
}

var testFilter = bpf.Program{
	bpf.LoadAbs(bpf.OffArch),
	bpf.Jump(bpf.JmpJEQ, 0xc000003e, 0, 3),
	bpf.LoadAbs(bpf.OffNr),
	bpf.Jump(bpf.JmpJEQ, 257, 1, 0),
	bpf.Ret(0x50001),
	bpf.Ret(0x7fff0000),
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDisasmCommand(t *testing.T) {
	x86_64, _ := syscalls.ArchByName("x86_64")
	s390x, _ := syscalls.ArchByName("s390x")
	le := writeFile(t, "le.bpf", testFilter.Encode(binary.LittleEndian))
	be := writeFile(t, "be.bpf", testFilter.Encode(binary.BigEndian))
	want := bpf.Disassemble(testFilter, bpf.Options{Arch: x86_64}).String()

	out, errOut, code := runCLI(t, nil, "disasm", "--arch", "x86_64", le)
	if code != 0 || out != want || errOut != "" {
		t.Errorf("disasm file: exit %d, stderr %q, output\n%s", code, errOut, out)
	}
	if !strings.Contains(out, "0003: 0x15 0x01 0x00 0x00000101  if (A == openat) goto 0005") {
		t.Errorf("listing lacks the openat line:\n%s", out)
	}
	out, _, code = runCLI(t, bytes.NewReader(testFilter.Encode(binary.LittleEndian)), "disasm", "--arch", "amd64", "-")
	if code != 0 || out != want {
		t.Errorf("disasm stdin: exit %d\n%s", code, out)
	}
	out, _, code = runCLI(t, nil, "disasm", "--arch", "s390x", be)
	if code != 0 || out != bpf.Disassemble(testFilter, bpf.Options{Arch: s390x}).String() {
		t.Errorf("disasm big-endian: exit %d\n%s", code, out)
	}
	out, _, code = runCLI(t, nil, "disasm", "--arch", "x86_64", "--json", le)
	var l bpf.Listing
	if code != 0 || json.Unmarshal([]byte(out), &l) != nil || len(l.Lines) != len(testFilter) || l.Lines[3].Text != "if (A == openat) goto 0005" {
		t.Errorf("disasm --json: exit %d\n%s", code, out)
	}
	out, _, code = runCLI(t, nil, "disasm", "--arch", "x86_64", "--format", "dot", le)
	if code != 0 || !strings.HasPrefix(out, "digraph") || !strings.Contains(out, "A == openat ?") {
		t.Errorf("disasm --format dot: exit %d\n%s", code, out)
	}
}

func TestDisasmCommandWarnsOnInvalidFilter(t *testing.T) {
	bad := writeFile(t, "bad.bpf", bpf.Program{bpf.LoadAbs(2)}.Encode(binary.LittleEndian))
	out, errOut, code := runCLI(t, nil, "disasm", "--arch", "x86_64", bad)
	if code != 0 || !strings.Contains(out, "A = data[0x2]") ||
		!strings.Contains(errOut, "warning: the kernel would refuse this filter: bpf: pc 0:") {
		t.Errorf("exit %d, stderr %q, output\n%s", code, errOut, out)
	}
}

func TestDisasmCommandErrors(t *testing.T) {
	dir := t.TempDir()
	odd := writeFile(t, "odd.bpf", make([]byte, 13))
	empty := writeFile(t, "empty.bpf", nil)
	good := writeFile(t, "good.bpf", testFilter.Encode(binary.LittleEndian))
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"missing_file", []string{"disasm", filepath.Join(dir, "nope.bpf")}, "nope.bpf: cannot read it: no such file or directory"},
		{"directory", []string{"disasm", dir}, ": cannot read it: is a directory"},
		{"not_multiple_of_8", []string{"disasm", odd}, "odd.bpf: 13 bytes is not a raw filter: it must be a multiple of 8 bytes"},
		{"empty", []string{"disasm", empty}, "empty.bpf: empty file"},
		{"no_argument", []string{"disasm"}, "needs 1 argument(s), got 0"},
		{"bad_format", []string{"disasm", "--format", "svg", good}, `--format: unknown format "svg" (text or dot)`},
		{"json_and_dot", []string{"disasm", "--json", "--format", "dot", good}, "cannot be combined"},
		{"bad_arch", []string{"disasm", "--arch", "x86-65", good}, `unknown architecture "x86-65" (did you mean x86_64?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, nil, tt.args...)
			if code != cli.ExitUsage || out != "" || !strings.Contains(errOut, tt.msg) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line containing %q", code, out, errOut, tt.msg)
			}
		})
	}
}

func TestDisasmHelp(t *testing.T) {
	out, _, code := runCLI(t, nil, "disasm", "--help")
	if code != 0 || !strings.Contains(out, "sysfence disasm filter.bpf") || !strings.Contains(out, "--format dot") {
		t.Errorf("help: exit %d\n%s", code, out)
	}
}
