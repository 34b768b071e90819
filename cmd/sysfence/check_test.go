package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckDockerDefault(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		action  string
		decided string
	}{
		{"personality-allowed", []string{"personality", "0xffffffff"}, "ALLOW", "personality: ALLOW if args[0] == 0xffffffff"},
		{"personality-denied", []string{"personality", "0x1"}, "ERRNO(1)", "default action ERRNO(1)"},
		{"socket-vsock", []string{"socket", "40"}, "ERRNO(1)", "default action"},
		{"socket-inet", []string{"socket", "2", "1"}, "ALLOW", "socket: ALLOW if args[0] < 0x3"},
		{"clone-newuser", []string{"clone", "0x10000000"}, "ERRNO(1)", "default action"},
		{"clone3-enosys", []string{"clone3"}, "ERRNO(38)", "clone3: ERRNO(38)"},
		{"newer-than-profile", []string{"1000"}, "ERRNO(38)", "newer than any the profile names"},
		{"negative-arg", []string{"personality", "--", "-1"}, "ERRNO(1)", "default action"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"check", "docker-default", "--arch", "x86_64"}, tc.args...)
			stdout, stderr, code := runCLI(t, nil, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			lines := strings.Split(stdout, "\n")
			if lines[0] != tc.action {
				t.Errorf("first line %q, want %q", lines[0], tc.action)
			}
			if !strings.Contains(stdout, tc.decided) {
				t.Errorf("output lacks %q:\n%s", tc.decided, stdout)
			}
			if !strings.Contains(stdout, "instructions executed") {
				t.Errorf("no instruction count:\n%s", stdout)
			}
		})
	}
}

func TestCheckMultiplexedOnX86(t *testing.T) {
	stdout, stderr, code := runCLI(t, nil, "check", "docker-default", "--arch", "x86", "accept")
	if code != 0 || !strings.HasPrefix(stdout, "ALLOW\nchecked as socketcall(5) on x86\n") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestCheckExpect(t *testing.T) {
	_, stderr, code := runCLI(t, nil, "check", "docker-default", "write", "1", "--expect", "KILL_PROCESS")
	if code != 1 || !strings.Contains(stderr, "is ALLOW, expected KILL_PROCESS") {
		t.Fatalf("exit %d, stderr %q; want 1", code, stderr)
	}
	_, _, code = runCLI(t, nil, "check", "docker-default", "write", "1", "--expect", "ALLOW")
	if code != 0 {
		t.Fatalf("matching --expect: exit %d", code)
	}
}

func TestCheckJSON(t *testing.T) {
	stdout, _, code := runCLI(t, nil, "check", "docker-default", "--arch", "x86_64", "socket", "2", "--json")
	if code != 0 {
		t.Fatal(code)
	}
	var v struct {
		Action    string `json:"action"`
		Nr        uint32 `json:"nr"`
		DecidedBy struct {
			Kind  string `json:"kind"`
			Entry int    `json:"entry"`
			Where string `json:"where"`
		} `json:"decidedBy"`
		Instructions int `json:"instructions"`
	}
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatal(err)
	}
	if v.Action != "ALLOW" || v.Nr != 41 || v.DecidedBy.Kind != "rule" || v.DecidedBy.Entry < 0 || !strings.HasPrefix(v.DecidedBy.Where, "docker-default:") || v.Instructions == 0 {
		t.Errorf("unexpected %+v", v)
	}
}

func TestCheckRawFilterAgreesWithProfile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "d.bpf")
	if _, stderr, code := runCLI(t, nil, "compile", "docker-default", "--arch", "x86_64", "-o", f); code != 0 {
		t.Fatal(stderr)
	}
	for _, call := range [][]string{{"personality", "8"}, {"socket", "40"}, {"ptrace"}, {"mount"}, {"getpid"}} {
		a, _, c1 := runCLI(t, nil, append([]string{"check", f, "--arch", "x86_64"}, call...)...)
		b, _, c2 := runCLI(t, nil, append([]string{"check", "docker-default", "--arch", "x86_64"}, call...)...)
		if c1 != 0 || c2 != 0 || strings.SplitN(a, "\n", 2)[0] != strings.SplitN(b, "\n", 2)[0] {
			t.Errorf("%v: raw filter says %q, profile says %q", call, a, b)
		}
	}
}

func TestCheckErrors(t *testing.T) {
	dir := t.TempDir()
	odd := filepath.Join(dir, "odd.bpf")
	os.WriteFile(odd, make([]byte, 12), 0o644)
	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{"unknown-syscall", `did you mean openat?`, []string{"check", "docker-default", "opnat"}},
		{"bad-arg", `argument 0: "12x" is not a number`, []string{"check", "docker-default", "read", "12x"}},
		{"odd-file", "12 bytes is not a raw filter", []string{"check", odd, "read"}},
		{"missing-file", "no such file", []string{"check", filepath.Join(dir, "none.json"), "read"}},
		{"bad-expect", "--expect", []string{"check", "docker-default", "read", "--expect", "MAYBE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

func TestCheckReportsKernelCache(t *testing.T) {
	stdout, _, _ := runCLI(t, nil, "check", "docker-default", "--arch", "x86_64", "getpid")
	if !strings.Contains(stdout, "served by the kernel's action cache") {
		t.Errorf("getpid (allowed whatever its arguments) not reported as cached:\n%s", stdout)
	}
	stdout, _, _ = runCLI(t, nil, "check", "docker-default", "--arch", "x86_64", "socket", "2")
	if strings.Contains(stdout, "action cache") {
		t.Errorf("socket (argument-checked) reported as cached:\n%s", stdout)
	}
}

// A bare ERRNO or TRACE in --expect matches any errno or trace value (it
// used to mean ERRNO(0) and fail against ERRNO(1)); ERRNO takes names.
func TestCheckExpectKinds(t *testing.T) {
	for _, tc := range []struct {
		expect string
		code   int
	}{
		{"ERRNO", 0},
		{"errno", 0},
		{"SCMP_ACT_ERRNO", 0},
		{"ERRNO(1)", 0},
		{"ERRNO(0x1)", 0},
		{"ERRNO(EPERM)", 0},
		{"errno(eperm)", 0},
		{"ERRNO(2)", 1},
		{"ERRNO(ENOSYS)", 1},
		{"TRACE", 1},
		{"ALLOW", 1},
	} {
		t.Run("expect="+tc.expect, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, "check", "docker-default", "--arch", "x86_64", "mount", "--expect", tc.expect)
			if code != tc.code {
				t.Fatalf("mount (ERRNO(1)) --expect %s: exit %d, want %d (stderr %q)", tc.expect, code, tc.code, stderr)
			}
		})
	}
	_, stderr, _ := runCLI(t, nil, "check", "docker-default", "--arch", "x86_64", "write", "--expect", "ERRNO")
	if want := "sysfence: write() is ALLOW, expected ERRNO (any errno)\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

// Bad --expect values and arguments get one sentence naming the value,
// without Go's strconv wording.
func TestCheckValueErrors(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{"expect-data", `--expect: ERRNO(x): "x" is neither a number nor an errno name such as EPERM`, []string{"--expect", "ERRNO(x)"}},
		{"expect-errno-typo", `(did you mean EPERM?)`, []string{"--expect", "ERRNO(EPREM)"}},
		{"expect-trace-data", `--expect: TRACE(x): "x" is not a number`, []string{"--expect", "TRACE(x)"}},
		{"expect-range", `--expect: ERRNO(70000): 70000 is out of range`, []string{"--expect", "ERRNO(70000)"}},
		{"expect-empty", `write ERRNO(N) with a number N, or a bare ERRNO for any value`, []string{"--expect", "ERRNO()"}},
		{"expect-typo", `--expect: unknown action "ALOW" (did you mean ALLOW?)`, []string{"--expect", "ALOW"}},
		{"arg-range", `argument 0: 18446744073709551616 is out of range: arguments are 64-bit`, []string{"18446744073709551616"}},
		{"arg-negative-range", `argument 1: -9223372036854775809 is out of range`, []string{"--", "0", "-9223372036854775809"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, append([]string{"check", "docker-default", "read"}, tc.args...)...)
			if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, "strconv") {
				t.Fatalf("exit %d, stderr %q; want 2 and one line containing %q", code, stderr, tc.want)
			}
		})
	}
	// The extremes themselves are numbers.
	for _, arg := range []string{"18446744073709551615", "-9223372036854775808"} {
		if _, stderr, code := runCLI(t, nil, "check", "docker-default", "read", "--", arg); code != 0 {
			t.Errorf("%s: exit %d, %s", arg, code, stderr)
		}
	}
}

// libseccomp's regression test 43-sim-a2_order pins overlapping rules of
// one action kind with other data to the tighter comparison: with read
// a2 > 128 -> ERRNO(5), a2 > 256 -> ERRNO(6), a2 > 512 -> ERRNO(7),
// read(.., .., 0x101) gets ERRNO(6). sysfence used to answer with the first
// matching rule in profile order, ERRNO(5). Checked through the shipped
// (CGO_ENABLED=0) binary, on a 64- and a 32-bit ABI.
func TestCheckTighterComparisonWins(t *testing.T) {
	bin := pureGoSysfence(t)
	profile := writeFile(t, "a2order.json", []byte(`{
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
  "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5, "args": [{"index": 2, "value": 128, "op": "SCMP_CMP_GT"}]},
    {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 6, "args": [{"index": 2, "value": 256, "op": "SCMP_CMP_GT"}]},
    {"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 7, "args": [{"index": 2, "value": 512, "op": "SCMP_CMP_GT"}]}
  ]
}`))
	for _, tc := range []struct {
		arch, a2, want, entry string
	}{
		{"x86_64", "0x101", "ERRNO(6)", "syscalls[1]"},
		{"x86_64", "0x80", "ALLOW", "default action"},
		{"x86_64", "129", "ERRNO(5)", "syscalls[0]"},
		{"x86_64", "256", "ERRNO(5)", "syscalls[0]"},
		{"x86_64", "513", "ERRNO(7)", "syscalls[2]"},
		{"x86_64", "0x10000000000", "ERRNO(7)", "syscalls[2]"},
		{"x86", "0x101", "ERRNO(6)", "syscalls[1]"},
		{"x86", "0x10000000000", "ALLOW", "default action"}, // 32-bit: the low word is 0
	} {
		t.Run("arch="+tc.arch+"/a2="+tc.a2, func(t *testing.T) {
			cmd := exec.Command(bin, "check", profile, "--arch", tc.arch, "read", "0", "0", tc.a2)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v: %v\n%s", cmd.Args, err, stderr.String())
			}
			lines := strings.Split(string(out), "\n")
			if lines[0] != tc.want || !strings.Contains(string(out), "decided by "+tc.entry) {
				t.Errorf("sysfence check ... read 0 0 %s on %s:\n%s\nwant %s, decided by %s", tc.a2, tc.arch, out, tc.want, tc.entry)
			}
		})
	}
}
