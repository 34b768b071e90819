package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

func runSysfence(t *testing.T, dir string, args ...string) ran {
	t.Helper()
	cmd := sysfence(args...)
	cmd.Dir = dir
	return runIt(t, cmd)
}

// TestLintCommand runs lint through the binary: what it prints, its exit
// status, formats, acknowledgements, and its errors.
func TestLintCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("clean.json", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": [{"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"}]}`)
	write("acked.json", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
  {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "comment": "gdb runs here; sysfence:ack dangerous-call"}
]}`)
	write("typo.json", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["write", "opnat"], "action": "SCMP_ACT_ALLOW"}]}`)
	write("broken.json", "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALOW\"}]}")
	if b, err := sysfence("compile", "docker-default", "--arch", "x86_64").Output(); err != nil {
		t.Fatal(err)
	} else {
		write("filter.bpf", string(b))
	}
	target := []string{"--arch", "x86_64", "--kernel", "6.8"}

	r := runSysfence(t, dir, append(target, "lint", "docker-default")...)
	if r.code != 1 || !strings.Contains(r.stdout, "docker-default:374:5: error[indirect-call]: on x86, socket is filtered") ||
		!strings.Contains(r.stdout, "docker-default:432:5: warning[dangerous-call]: ptrace is allowed for any arguments on x86_64, x86 and x32") ||
		!strings.HasSuffix(r.stdout, "docker-default: 4 findings (1 error, 3 warnings)\n") || r.stderr != "" {
		t.Errorf("lint docker-default: %+v", r)
	}
	r = runSysfence(t, dir, append(target, "lint", "--severity", "error", "docker-default")...)
	if r.code != 1 || strings.Contains(r.stdout, "dangerous-call") || !strings.HasSuffix(r.stdout, "docker-default: 1 finding (1 error)\n") {
		t.Errorf("--severity error: %+v", r)
	}
	r = runSysfence(t, dir, append(target, "lint", "clean.json", "acked.json")...)
	if r.code != 0 || r.stdout != "clean.json: no findings\nacked.json: 0 findings; 1 acknowledged in comments\n" {
		t.Errorf("clean and acknowledged: %+v", r)
	}
	r = runSysfence(t, dir, append(target, "lint", "--json", "typo.json")...)
	var out struct {
		Reports []struct {
			File     string
			Findings []struct {
				Rule, Severity, Message, File, Path string
				Line, Column                        int
			}
		}
		Rules []struct{ ID string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != 1 {
		t.Fatalf("--json: %v %+v", err, r)
	}
	if f := out.Reports[0].Findings; len(f) != 1 || f[0].Rule != "unknown-name" || f[0].Severity != "warning" || f[0].Line != 1 || f[0].Column != 70 ||
		f[0].Path != "syscalls[0].names[1]" || !strings.Contains(f[0].Message, "did you mean openat?") || len(out.Rules) != 13 {
		t.Errorf("--json: %+v", out)
	}
	r = runSysfence(t, dir, append(target, "lint", "--format", "sarif", "docker-default")...)
	if r.code != 1 || !strings.Contains(r.stdout, `"version": "2.1.0"`) || !strings.Contains(r.stdout, `"ruleId": "indirect-call"`) {
		t.Errorf("--format sarif: %+v", r)
	}
	// Profiles come in as everywhere else: stdin too.
	cmd := sysfence(append(target, "lint", "-")...)
	cmd.Stdin = strings.NewReader(`{"defaultAction": "SCMP_ACT_ALLOW"}`)
	r = runIt(t, cmd)
	if r.code != 1 || !strings.Contains(r.stdout, "standard input:1:19: warning[deny-list]") {
		t.Errorf("stdin: %+v", r)
	}

	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"lint", "--format", "xml", "clean.json"}, "sysfence: --format: unknown format \"xml\": one of text, json, sarif\n"},
		{[]string{"lint", "--severity", "fatal", "clean.json"}, "sysfence: --severity: unknown severity \"fatal\": one of note, warning, error\n"},
		{[]string{"lint", "missing.json"}, "sysfence: missing.json: cannot read it: no such file or directory\n"},
		{[]string{"lint", "broken.json"}, "sysfence: broken.json:2:45: syscalls[0].action: unknown action \"SCMP_ACT_ALOW\" (did you mean SCMP_ACT_ALLOW?)\n"},
		{[]string{"lint"}, "sysfence: sysfence lint needs at least 1 argument(s), got 0 (see 'sysfence lint --help')\n"},
	} {
		r := runSysfence(t, dir, c.args...)
		if r.code != 2 || r.stderr != c.stderr || r.stdout != "" {
			t.Errorf("%v: %+v, want exit 2 and %q", c.args, r, c.stderr)
		}
	}
}

// TestLintLiftedFilter: a raw filter is linted from what it decides,
// lifted: the findings of the profile it was compiled from, without
// positions.
func TestLintLiftedFilter(t *testing.T) {
	dir := t.TempDir()
	b, err := sysfence("compile", "docker-default", "--arch", "x86_64").Output()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "filter.bpf"), b, 0o644)
	ids := func(out string) []string {
		var l []string
		for _, f := range strings.Split(out, "\n") {
			if i, j := strings.Index(f, "["), strings.Index(f, "]"); i > 0 && j > i && !strings.HasPrefix(f, " ") {
				l = append(l, f[strings.LastIndex(f[:i], " ")+1:j+1])
			}
		}
		slices.Sort(l)
		return slices.Compact(l)
	}
	rb := runSysfence(t, dir, "lint", "filter.bpf")
	rp := runSysfence(t, dir, "lint", "--arch", "x86_64", "docker-default")
	if rb.code != 1 || len(ids(rb.stdout)) == 0 || !slices.Equal(ids(rb.stdout), ids(rp.stdout)) {
		t.Errorf("lint of the filter found %v (exit %d), of its profile %v", ids(rb.stdout), rb.code, ids(rp.stdout))
	}
	if !strings.HasPrefix(rb.stdout, "filter.bpf: ") {
		t.Errorf("findings of a filter name it, without a position: %q", rb.stdout)
	}
}

// TestLintSocketcallFindingIsReal: the finding lint reports first for
// Docker's default on x86_64 is a working bypass. Under that profile, a
// 64-bit program is refused socket(AF_VSOCK) as x86_64's socket(2), and
// gets past the filter with the same call as i386's socketcall(2) through
// int $0x80 (the kernel then answers it: a socket, or EAFNOSUPPORT where
// vsock is missing, never the filter's EPERM).
func TestLintSocketcallFindingIsReal(t *testing.T) {
	requireRun(t)
	prog := filepath.Join(t.TempDir(), "socketcall")
	testenv.BuildC(t, "testdata/lint/socketcall.c", prog, false)

	r := runSysfence(t, "", "lint", "--arch", "x86_64", "docker-default")
	if !strings.Contains(r.stdout, "on x86, socket is filtered") || !strings.Contains(r.stdout, "socketcall(1, …), which makes the same call, is allowed") {
		t.Fatalf("lint does not report the socketcall finding: %+v", r)
	}
	r = runSysfence(t, "", "run", "--quiet", "--", prog)
	if !strings.HasPrefix(r.stdout, "socket: errno 1\n") {
		t.Fatalf("direct socket(AF_VSOCK) under docker-default: %+v (want EPERM from the filter)", r)
	}
	if !testenv.Int80Works(t) {
		// int $0x80 faults before reaching seccomp: nothing to bypass here.
		if r.code != 128+int(syscall.SIGSEGV) {
			t.Errorf("int $0x80 should fault on this machine: %+v", r)
		}
		t.Log("machine fact: int $0x80 faults here; the socketcall route is not exercised")
		return
	}
	if r.code != 0 || strings.Contains(r.stdout, "socketcall: errno 1\n") || !strings.Contains(r.stdout, "socketcall: ") {
		t.Errorf("socketcall(SYS_SOCKET, AF_VSOCK) through int $0x80 under docker-default: %+v (want the kernel's answer, not the filter's EPERM)", r)
	}
	t.Logf("under docker-default: %q", r.stdout)
	// Without the filter both calls get the same answer from the kernel.
	out, err := exec.Command(prog).Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || strings.TrimPrefix(lines[0], "socket: ") != strings.TrimPrefix(lines[1], "socketcall: ") {
		t.Errorf("unfiltered: %q", out)
	}
}
