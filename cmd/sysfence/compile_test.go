package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/syscalls"
)

func TestCompileRawMatchesPipeline(t *testing.T) {
	out := filepath.Join(t.TempDir(), "d.bpf")
	_, stderr, code := runCLI(t, nil, "compile", "docker-default", "--arch", "x86_64", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := bpf.Decode(raw, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	if err := bpf.Validate(prog); err != nil {
		t.Fatalf("kernel would refuse the written filter: %v", err)
	}
	amd64, _ := syscalls.ArchByName("x86_64")
	res, err := build.Build(build.Request{Ref: "docker-default", Arch: amd64})
	if err != nil {
		t.Fatal(err)
	}
	if len(prog) != len(res.Program.Filter) {
		t.Fatalf("file has %d instructions, pipeline %d", len(prog), len(res.Program.Filter))
	}
	for i := range prog {
		if prog[i] != res.Program.Filter[i] {
			t.Fatalf("instruction %d differs: %+v vs %+v", i, prog[i], res.Program.Filter[i])
		}
	}
	if len(prog) > 400 {
		t.Errorf("Docker default for x86_64 (+x86, x32) is %d instructions, want <= 400", len(prog))
	}
}

func TestCompileBigEndianTarget(t *testing.T) {
	stdout, stderr, code := runCLI(t, nil, "compile", "docker-default", "--arch", "s390x", "--format", "raw")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	prog, err := bpf.Decode([]byte(stdout), binary.BigEndian)
	if err != nil {
		t.Fatal(err)
	}
	// The first instruction loads seccomp_data.arch: opcode 0x20, k = 4,
	// which only decodes right in the target's byte order.
	if prog[0] != bpf.LoadAbs(bpf.OffArch) {
		t.Fatalf("first instruction %+v: not big-endian", prog[0])
	}
}

func TestCompileFormats(t *testing.T) {
	for _, f := range []string{"disasm", "c", "go", "json", "dot"} {
		t.Run("format="+f, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, nil, "compile", "docker-default", "--format", f)
			if code != 0 || stdout == "" {
				t.Fatalf("exit %d, %d bytes: %s", code, len(stdout), stderr)
			}
			if f == "json" {
				var v []map[string]any
				if err := json.Unmarshal([]byte(stdout), &v); err != nil || len(v) == 0 {
					t.Fatalf("json output: %v", err)
				}
			}
		})
	}
}

func TestCompileBadProfileWritesNothing(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "p.json")
	os.WriteFile(in, []byte("{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALOW\"}]\n}\n"), 0o644)
	out := filepath.Join(dir, "out.bpf")
	_, stderr, code := runCLI(t, nil, "compile", in, "-o", out)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	want := in + ":3:46: syscalls[0].action: unknown action \"SCMP_ACT_ALOW\" (did you mean SCMP_ACT_ALLOW?)"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr %q, want it to contain %q", stderr, want)
	}
	if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("error is not one line: %q", stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s was written despite the error", out)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory has %d entries, want only the profile (no temp files)", len(ents))
	}
}

// -o errors name the user's path and what is wrong with it, not the name
// of the probe file tried in its directory.
func TestCompileUnwritableOutput(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nonexistent", "f.bpf")
	for _, tc := range []struct{ path, want string }{
		{missing, "sysfence: -o: cannot write " + missing + ": directory " + filepath.Dir(missing) + " does not exist\n"},
		{dir, "sysfence: -o: cannot write " + dir + ": it is a directory\n"},
	} {
		_, stderr, code := runCLI(t, nil, "compile", "docker-default", "-o", tc.path)
		if code != 2 || stderr != tc.want {
			t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
		}
	}
}

// -o - is standard output (no file named "-"), and the refusal to write
// raw binary to a terminal still holds for it; a device or FIFO such as
// /dev/null is written directly.
func TestCompileOutputStdoutAndDevices(t *testing.T) {
	want, _, code := runCLI(t, nil, "compile", "docker-default", "--arch", "x86_64")
	if code != 0 || len(want) == 0 {
		t.Fatalf("compile to stdout: exit %d", code)
	}
	dir := t.TempDir()
	cmd := sysfence("compile", "docker-default", "--arch", "x86_64", "-o", "-")
	cmd.Dir = dir
	got, err := cmd.Output()
	if err != nil || string(got) != want {
		t.Errorf("-o -: %v, %d bytes, want the %d of stdout", err, len(got), len(want))
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("-o - created %v", ents)
	}
	if _, stderr, code := runCLI(t, nil, "compile", "docker-default", "-o", os.DevNull); code != 0 {
		t.Errorf("-o %s: exit %d, %s", os.DevNull, code, stderr)
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a device", os.DevNull)
	}
	script := testenv.LookPath(t, "script", "bsdutils")
	line := "exec " + shellQuote(append(sysfence().Args, "compile", "docker-default", "-o", "-")...)
	tty := exec.Command(script, "-qfec", line, os.DevNull)
	tty.Env = append(os.Environ(), "SYSFENCE_HELPER=1")
	out, _ := tty.CombinedOutput()
	if !strings.Contains(string(out), "refusing to write a binary filter to a terminal") {
		t.Errorf("-o - on a terminal: %q", out)
	}
}

func TestCompileUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{"format", `unknown format "elf"`, []string{"compile", "docker-default", "--format", "elf"}},
		{"arch", `unknown architecture "amd46"`, []string{"compile", "docker-default", "--arch", "amd46"}},
		{"cap", "--cap", []string{"compile", "docker-default", "--cap", "sys_admn"}},
		{"kernel", "--kernel", []string{"compile", "docker-default", "--kernel", "six"}},
		{"profile", "docker-defualt", []string{"compile", "docker-defualt"}},
		{"args", "needs 1 argument", []string{"compile"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

func TestCompileFromStdin(t *testing.T) {
	prof := `{"defaultAction":"SCMP_ACT_KILL_PROCESS","syscalls":[{"names":["write","exit_group"],"action":"SCMP_ACT_ALLOW"}]}`
	stdout, stderr, code := runCLI(t, strings.NewReader(prof), "compile", "-", "--format", "disasm", "--arch", "x86_64")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"write", "exit_group", "return KILL_PROCESS", "return ALLOW"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("listing lacks %q:\n%s", want, stdout)
		}
	}
}
