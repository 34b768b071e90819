package main

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// shipped runs the CGO_ENABLED=0 binary with args and returns its stderr
// and exit status.
func shipped(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(pureGoSysfence(t), args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stderr.String(), code
}

// A profile that fails to parse is still a profile: check and disasm
// report the parser's positioned error, as compile does, instead of
// reading the text as a raw filter ("N bytes is not a raw filter").
func TestBrokenProfileIsAProfile(t *testing.T) {
	for _, tc := range []struct{ name, text, where string }{
		{"invalid-utf8.json", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"comment\": \"caf\xe9\"}]}\n", ":1:113: invalid UTF-8 in string"},
		// 16 bytes: a multiple of 8, which used to be listed as garbage.
		{"control.json", "{\"a\":\x01}       \n", ":1:6: "},
		{"invalid-utf8.yaml", "---\n# caf\xe9\ndefaultAction: SCMP_ACT_ALLOW\n", ":2:6: invalid UTF-8"},
	} {
		path := writeFile(t, tc.name, []byte(tc.text))
		want, code := shipped(t, "compile", path, "-o", "/dev/null")
		if code != 2 || !strings.Contains(want, path+tc.where) || strings.Count(want, "\n") != 1 {
			t.Fatalf("%s: compile: exit %d, stderr %q; want 2 and %q", tc.name, code, want, path+tc.where)
		}
		for _, args := range [][]string{{"check", path, "read"}, {"disasm", path}} {
			got, code := shipped(t, args...)
			if code != 2 || got != want {
				t.Errorf("%s: %s: exit %d, stderr %q; want 2 and compile's %q", tc.name, args[0], code, got, want)
			}
		}
	}
	// A raw filter named without *.bpf is still a raw filter, and binary
	// garbage is still not called a profile.
	raw := writeFile(t, "filter", testFilter.Encode(binary.NativeEndian))
	if got, code := shipped(t, "disasm", raw); code != 0 {
		t.Errorf("raw filter without .bpf: exit %d, %q", code, got)
	}
	elf := writeFile(t, "prog", []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff"))
	if got, code := shipped(t, "disasm", elf); code != 2 || !strings.Contains(got, "17 bytes is not a raw filter") {
		t.Errorf("binary garbage: exit %d, %q", code, got)
	}
}

// An output on the kernel's proc file system (a file there, or a new one)
// cannot be written: compile -o, record -o and run --update say so before
// any work, in the same words, instead of "directory /proc does not
// exist".
func TestOutputOnProcFS(t *testing.T) {
	requireRun(t)
	for _, out := range []string{"/proc/version", "/proc/sysfence-new.json", "/proc/sys/kernel/hostname"} {
		marker := filepath.Join(t.TempDir(), "ran")
		for _, c := range []struct {
			flag string
			args []string
		}{
			{"-o", []string{"compile", "docker-default", "-o", out}},
			{"-o", []string{"record", "-o", out, "--", "/bin/touch", marker}},
			{"--update", []string{"run", "--audit", "-p", "docker-default", "--update", out, "--", "/bin/touch", marker}},
		} {
			want := "sysfence: " + c.flag + ": cannot write " + out + ": directory " + filepath.Dir(out) + " is on the kernel's proc file system, where files cannot be created or replaced\n"
			got, code := shipped(t, c.args...)
			if code != 2 || got != want {
				t.Errorf("%s %s: exit %d, stderr %q; want 2 and %q", c.args[0], out, code, got, want)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Errorf("%s %s: CMD ran before the output was found unwritable", c.args[0], out)
			}
		}
	}
}
