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

// A raw filter the kernel would refuse is an error naming the first bad
// instruction (exit 2); --force lists it with that as a warning.
func TestDisasmCommandRefusesInvalidFilter(t *testing.T) {
	bad := writeFile(t, "bad.bpf", bpf.Program{bpf.LoadAbs(2)}.Encode(binary.LittleEndian))
	out, errOut, code := runCLI(t, nil, "disasm", "--arch", "x86_64", bad)
	want := "sysfence: " + bad + ": not a seccomp filter the kernel would load (bpf: pc 0: "
	if code != 2 || out != "" || !strings.HasPrefix(errOut, want) || !strings.HasSuffix(errOut, "; --force lists it anyway\n") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("exit %d, stderr %q, output\n%s", code, errOut, out)
	}
	out, errOut, code = runCLI(t, nil, "disasm", "--arch", "x86_64", "--force", bad)
	if code != 0 || !strings.Contains(out, "A = data[0x2]") ||
		!strings.Contains(errOut, "warning: "+bad+": the kernel would refuse this filter: bpf: pc 0:") {
		t.Errorf("--force: exit %d, stderr %q, output\n%s", code, errOut, out)
	}
}

// A profile saved as *.bpf is read as a raw filter: disasm and check fail
// (it used to be listed as garbage, exit 0) and say what it looks like.
func TestRawFilterThatIsAProfile(t *testing.T) {
	pad := func(s string, n int) []byte { return []byte(s + strings.Repeat(" ", n-len(s)-1) + "\n") }
	for _, tc := range []struct {
		name, kind string
		data       []byte
	}{
		{"json-multiple-of-8", "JSON", pad(`{"defaultAction":"SCMP_ACT_ALLOW"}`, 48)},
		{"json-odd-size", "JSON", []byte(`{"defaultAction":"SCMP_ACT_ALLOW"}` + "\n")},
		{"yaml", "YAML", pad("# recorded\napiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile", 96)},
		{"yaml-document", "YAML", pad("---\ndefaultAction: SCMP_ACT_ALLOW", 40)},
	} {
		f := writeFile(t, "text.bpf", tc.data)
		for _, args := range [][]string{{"disasm", f}, {"check", f, "read"}} {
			t.Run(tc.name+"/"+args[0], func(t *testing.T) {
				out, errOut, code := runCLI(t, nil, args...)
				want := "it looks like a " + tc.kind + " profile, but a *.bpf file is read as a raw filter"
				if code != 2 || out != "" || !strings.Contains(errOut, want) || strings.Count(errOut, "\n") != 1 {
					t.Errorf("exit %d, stderr %q, stdout %q; want exit 2 and one line containing %q", code, errOut, out, want)
				}
			})
		}
	}
	// Binary garbage gets no such hint; a valid filter is unaffected.
	garbage := writeFile(t, "garbage.bpf", []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	_, errOut, code := runCLI(t, nil, "check", garbage, "read")
	if code != 2 || !strings.Contains(errOut, "not a seccomp filter the kernel would load") || strings.Contains(errOut, "profile") || strings.Contains(errOut, "--force") {
		t.Errorf("garbage: exit %d, stderr %q", code, errOut)
	}
}

// check and disasm name a mistyped built-in as compile does.
func TestUnknownProfileName(t *testing.T) {
	want := `sysfence: unknown profile "docker-defualt": no such file, and not a built-in profile (did you mean docker-default?)`
	for _, args := range [][]string{{"check", "docker-defualt", "read"}, {"disasm", "docker-defualt"}, {"compile", "docker-defualt"}} {
		_, errOut, code := runCLI(t, nil, args...)
		if code != 2 || !strings.HasPrefix(errOut, want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", args, code, errOut, want)
		}
	}
	// A path is a path: no built-in suggestion.
	_, errOut, _ := runCLI(t, nil, "disasm", "./docker-defualt")
	if errOut != "sysfence: ./docker-defualt: cannot read it: no such file or directory\n" {
		t.Errorf("path: stderr %q", errOut)
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
