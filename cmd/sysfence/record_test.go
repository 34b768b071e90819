package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/profile"
)

// TestRecordCommand: flags, bad input and how CMD's failures come out.
func TestRecordCommand(t *testing.T) {
	requireRun(t)
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	touch := []string{"/bin/sh", "-c", "echo x > " + marker}
	badJSON := filepath.Join(dir, "bad.json")
	os.WriteFile(badJSON, []byte("{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALOW\"}]\n}\n"), 0o644)
	killDefault := filepath.Join(dir, "kill.json")
	os.WriteFile(killDefault, []byte(`{"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": []}`), 0o644)
	out := filepath.Join(dir, "out.json")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string // prefix
		ran    bool   // CMD ran
		wrote  bool   // the profile was written
	}{
		{"unwritable-output", append([]string{"record", "-o", "/proc/version"}, touch...), 2, "sysfence: -o: cannot write /proc/version", false, false},
		{"output-in-missing-dir", append([]string{"record", "-o", filepath.Join(dir, "no/such/dir/p.json")}, touch...), 2, "sysfence: -o: cannot write ", false, false},
		{"not-found", []string{"record", "-q", "-o", out, "--", "no-such-command-x"}, 127, "sysfence: no-such-command-x: command not found\n", false, false},
		{"not-executable", []string{"record", "-q", "-o", out, "--", "/etc/passwd"}, 126, "sysfence: /etc/passwd: cannot execute", false, false},
		{"merge-invalid", append([]string{"record", "-o", out, "--merge", badJSON, "--"}, touch...), 2,
			"sysfence: --merge: " + badJSON + ":3:46: syscalls[0].action: unknown action \"SCMP_ACT_ALOW\" (did you mean SCMP_ACT_ALLOW?)\n", false, false},
		{"merge-other-default", append([]string{"record", "-o", out, "--merge", killDefault, "--"}, touch...), 2,
			"sysfence: --merge: profiles conflict: this recording: defaultAction SCMP_ACT_ERRNO(1) differs from " + killDefault + "'s SCMP_ACT_KILL_PROCESS", false, false},
		{"merge-missing", append([]string{"record", "-o", out, "--merge", filepath.Join(dir, "nope.json"), "--"}, touch...), 2, "sysfence: --merge: reading profile ", false, false},
		{"bad-backend", append([]string{"record", "--backend", "dtrace", "--"}, touch...), 2, "sysfence: unknown recorder backend \"dtrace\"", false, false},
		{"bad-for", append([]string{"record", "--for", "lxc", "--"}, touch...), 2, "sysfence: --for: unknown runtime \"lxc\"", false, false},
		{"bad-default", append([]string{"record", "--default-action", "allow", "--"}, touch...), 2, "sysfence: --default-action: unknown action \"allow\"", false, false},
		{"bad-format", append([]string{"record", "--format", "xml", "--"}, touch...), 2, "sysfence: --format: unknown profile format \"xml\"", false, false},
		{"no-command", []string{"record", "-o", out}, 2, "sysfence: sysfence record needs CMD, or --pid, --cgroup or --container", false, false},
		{"attach-and-command", append([]string{"record", "--pid", "1", "--"}, touch...), 2, "sysfence: --pid, --cgroup and --container record running processes: CMD \"/bin/sh\" has no place here", false, false},
		{"attach-two-targets", []string{"record", "--pid", "1", "--cgroup", "/"}, 2, "sysfence: --pid, --cgroup and --container select different things: give one", false, false},
		{"attach-no-process", []string{"record", "--pid", "4194303"}, 2, "sysfence: --pid 4194303: no such process", false, false},
		{"attach-no-container", []string{"record", "--container", "no-such-container-x"}, 2, cgroupRefusal("--container", "container no-such-container-x: no cgroup of that container"), false, false},
		{"attach-ptrace", []string{"record", "--pid", "1", "--backend", "ptrace", "-o", out}, 2, "sysfence: the ptrace recorder starts the commands it records", false, false},
		{"dev-null", []string{"record", "-q", "-o", "/dev/null", "--", "/bin/sh", "-c", "echo x > " + marker}, 0, "", true, false},
		{"exit-status", []string{"record", "-q", "-o", out, "--", "/bin/sh", "-c", "echo x > " + marker + "; exit 5"}, 5, "", true, true},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			os.Remove(marker)
			os.Remove(out)
			r := runIt(t, sysfence(tc.args...))
			if r.code != tc.code || !strings.HasPrefix(r.stderr, tc.stderr) || tc.stderr == "" && r.stderr != "" {
				t.Errorf("exit %d stderr %q, want %d %q", r.code, r.stderr, tc.code, tc.stderr)
			}
			if _, err := os.Stat(marker); (err == nil) != tc.ran {
				t.Errorf("CMD ran: %v, want %v", err == nil, tc.ran)
			}
			if _, err := os.Stat(out); (err == nil) != tc.wrote {
				t.Errorf("profile written: %v, want %v", err == nil, tc.wrote)
			}
		})
	}
}

// TestRecordCrash: a command that dies from a signal still gets its
// profile, with a warning, and sysfence exits 128+N.
func TestRecordCrash(t *testing.T) {
	requireRun(t)
	out := filepath.Join(t.TempDir(), "p.json")
	r := runIt(t, sysfence("record", "-q", "-o", out, "--", "/bin/sh", "-c", "kill -SEGV $$"))
	if r.code != 139 || !strings.Contains(r.stderr, "sysfence: warning: /bin/sh was killed by SIGSEGV: the profile holds what was recorded until then") {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
	if _, names := rules(t, out); !containsAll(names, "execve", "kill") {
		t.Errorf("profile %v lacks the calls made", names)
	}
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

// TestRecordInterrupt: Ctrl-C (SIGINT to sysfence, passed on to the
// command) ends the recording with what was recorded so far; once the
// command has exited, the first one also kills its leftovers; a command
// that ignores SIGINT is killed at the second one.
func TestRecordInterrupt(t *testing.T) {
	requireRun(t)
	for _, be := range backends(t) {
		for _, tc := range []struct {
			name    string
			script  string
			signals int
			code    int
			warning string
			calls   []string // recorded before the interrupt
		}{
			{"command-dies", `echo $$; echo ready; exec sleep 30`, 1, 130, "was killed by SIGINT: the profile holds what was recorded until then", []string{"write", "clock_nanosleep"}},
			{"leftover-killed", `sleep 30 & echo $$; echo ready`, 1, 0, "the recording was stopped before every process of /bin/sh had exited", []string{"exit_group", "clock_nanosleep"}},
			{"second-interrupt", `trap '' INT; echo $$; echo ready; while :; do sleep 0.05; done`, 2, 137, "the recording was stopped before every process", []string{"wait4", "clock_nanosleep"}},
		} {
			t.Run("backend="+be+"/case="+tc.name, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "p.json")
				cmd := sysfence("record", "-q", "--backend", be, "-o", out, "--", "/bin/sh", "-c", tc.script)
				var stderr bytes.Buffer
				pr, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
				buf := make([]byte, 64)
				var said string
				for !strings.Contains(said, "ready\n") {
					n, err := pr.Read(buf)
					if err != nil {
						t.Fatalf("command said %q: %v", said, err)
					}
					said += string(buf[:n])
				}
				// The sleep reaches clock_nanosleep (a fixed pause was too
				// short on a loaded machine).
				if pid, err := strconv.Atoi(strings.Fields(said)[0]); err == nil {
					waitInSleep(t, pid)
				}
				for i := range tc.signals {
					if i > 0 {
						time.Sleep(200 * time.Millisecond)
					}
					cmd.Process.Signal(syscall.SIGINT)
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case err := <-done:
					if code := exitCode(err); code != tc.code {
						t.Errorf("exit %d, want %d; stderr %q", code, tc.code, stderr.String())
					}
				case <-time.After(20 * time.Second):
					t.Fatalf("sysfence did not end; stderr %q", stderr.String())
				}
				if !strings.Contains(stderr.String(), tc.warning) {
					t.Errorf("stderr %q lacks %q", stderr.String(), tc.warning)
				}
				if _, names := rules(t, out); !containsAll(names, append(tc.calls, "execve")...) {
					t.Errorf("profile %v lacks what was recorded", names)
				}
			})
		}
	}
}

// TestRecordNoOrphan: a recorder killed with SIGKILL leaves nothing of
// the command running, traced or stopped.
func TestRecordNoOrphan(t *testing.T) {
	requireRun(t)
	for _, be := range backends(t) {
		t.Run("backend="+be, func(t *testing.T) {
			cmd := sysfence("record", "-q", "--backend", be, "-o", filepath.Join(t.TempDir(), "p.json"), "--",
				"/bin/sh", "-c", "echo $$; echo ready; exec sleep 60")
			pid, _ := startReady(t, cmd)
			cmd.Process.Kill()
			cmd.Wait()
			deadline := time.Now().Add(5 * time.Second)
			for alive(pid) {
				if time.Now().After(deadline) {
					t.Fatalf("command %d still alive 5s after sysfence was killed (state %c)", pid, state(pid))
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// TestRecordMerge: several recordings of one program become one profile
// that counts in how many of them each syscall was seen.
func TestRecordMerge(t *testing.T) {
	requireRun(t)
	hello := recordProg(t, "testdata/record/hello.c")
	out := filepath.Join(t.TempDir(), "p.json")
	if r := runIt(t, sysfence("record", "-q", "-o", out, "--", hello)); r.code != 0 {
		t.Fatal(r)
	}
	if r := runIt(t, sysfence("record", "-q", "--merge", out, "-o", out, "--", hello, "sysinfo")); r.code != 0 {
		t.Fatal(r)
	}
	if r := runIt(t, sysfence("record", "-q", "--merge", out, "-o", out, "--", hello)); r.code != 0 {
		t.Fatal(r)
	}
	p, err := profile.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range p.Seccomp.Syscalls {
		got[s.Names[0]] = s.Comment
	}
	if c := got["sysinfo"]; c != "1 call, in 1 of 3 recordings" {
		t.Errorf("sysinfo: %q", c)
	}
	if c := got["execve"]; c != "3 calls, in 3 of 3 recordings" {
		t.Errorf("execve: %q", c)
	}
	// The merged profile runs both variants.
	r := runIt(t, sysfence("run", "-q", "-p", out, "--", hello, "sysinfo"))
	if r.stdout != "Hello, world!\nsysinfo: ok\n" {
		t.Errorf("merged profile: %+v", r)
	}
}

// TestRecordFormats: every output format reads back as that format.
func TestRecordFormats(t *testing.T) {
	requireRun(t)
	for _, tc := range []struct {
		flags  []string
		format profile.Format
		enc    profile.Encoding
	}{
		{nil, profile.FormatDocker, profile.JSON},
		{[]string{"--yaml"}, profile.FormatDocker, profile.YAML},
		{[]string{"--format", "oci-config"}, profile.FormatOCIConfig, profile.JSON},
		{[]string{"--format", "spo"}, profile.FormatSPO, profile.YAML},
		{[]string{"--format", "spo", "--args", "--default-action", "kill-process"}, profile.FormatSPO, profile.YAML},
	} {
		t.Run("flags="+strings.Join(tc.flags, " "), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "p")
			r := runIt(t, sysfence(append(append([]string{"record", "-q", "-o", out}, tc.flags...), "--", "/bin/true")...))
			if r.code != 0 {
				t.Fatalf("%+v", r)
			}
			p, err := profile.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			if p.Format != tc.format || p.Encoding != tc.enc {
				t.Errorf("read back as %v %v, want %v %v", p.Format, p.Encoding, tc.format, tc.enc)
			}
			if strings.Contains(strings.Join(tc.flags, " "), "kill-process") && p.Seccomp.DefaultAction != "SCMP_ACT_KILL_PROCESS" {
				t.Errorf("default action %s", p.Seccomp.DefaultAction)
			}
		})
	}
	// Without -o the profile goes to stdout, after the command's output.
	r := runIt(t, sysfence("record", "-q", "--", "/bin/echo", "hi"))
	if !strings.HasPrefix(r.stdout, "hi\n{\n\t\"defaultAction\": \"SCMP_ACT_ERRNO\"") {
		t.Errorf("stdout %q", r.stdout)
	}
}

// TestRecordSummary: without a terminal, a summary table and no escape
// sequences; on a terminal (script(1) gives one), the live line too; and
// --quiet silences both.
func TestRecordSummary(t *testing.T) {
	requireRun(t)
	r := runIt(t, sysfence("record", "-o", filepath.Join(t.TempDir(), "p.json"), "--", "/bin/sh", "-c", "exit 0"))
	for _, want := range []string{"sysfence: recording with ", "sysfence: recorded with ", "calls    errors  syscall", "execve", "  total\n", "sysfence: wrote "} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "\033") {
		t.Errorf("escape sequences without a terminal: %q", r.stderr)
	}

	// On a terminal: script(1) gives one; with a size the line sits in a
	// row of its own below a scroll region; without one there is no line
	// (drawn in place, it would be glued to CMD's output), only the
	// summary.
	script := testenv.LookPath(t, "script", "bsdutils")
	self := sysfence().Args // the test binary and its helper arguments
	for _, tc := range []struct {
		name  string
		setup string
		want  []string
	}{
		{"sized", "stty rows 24 cols 80; ", []string{"\0337\033[1;23r\0338", "\0337\033[24;1H\033[2K\033[2msysfence record (", "\033[r"}},
		{"unsized", "", nil},
	} {
		t.Run("terminal="+tc.name, func(t *testing.T) {
			dir := t.TempDir()
			line := tc.setup + "exec " + shellQuote(append(self, "record", "-o", filepath.Join(dir, "p.json"), "--", "/bin/sh", "-c", "sleep 0.6; echo done")...)
			tty := exec.Command(script, "-qfec", line, "/dev/null")
			tty.Env = append(os.Environ(), "SYSFENCE_HELPER=1")
			got := runIt(t, tty)
			for _, want := range append(tc.want, " processes, ", "done", "calls    errors  syscall") {
				if !strings.Contains(got.stdout, want) {
					t.Errorf("on a terminal, output lacks %q:\n%q", want, got.stdout)
				}
			}
			if tc.want == nil && strings.Contains(got.stdout, "sysfence record (") {
				t.Errorf("a live line on a terminal of unknown size:\n%q", got.stdout)
			}
		})
	}

	q := runIt(t, sysfence("record", "-q", "-o", filepath.Join(t.TempDir(), "p.json"), "--", "/bin/true"))
	if q.stderr != "" {
		t.Errorf("--quiet: stderr %q", q.stderr)
	}
}

func shellQuote(args ...string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// TestRecordBackendChoice: auto says which backend it used; as an
// unprivileged user auto falls back to ptrace, and --backend ebpf names
// the missing privilege.
func TestRecordBackendChoice(t *testing.T) {
	requireRun(t)
	testenv.RequireRoot(t)
	r := runIt(t, sysfence("record", "-o", filepath.Join(t.TempDir(), "p.json"), "--", "/bin/true"))
	if !strings.HasPrefix(r.stderr, "sysfence: recording with ebpf\n") {
		t.Errorf("auto as root: %q", r.stderr)
	}
	// The test binary's directory is private to root: copy it.
	dir, err := os.MkdirTemp("", "sysfence-record-user")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "sysfence.test")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	asNobody := func(args ...string) ran {
		cmd := exec.Command(bin, append([]string{"-test.run=^TestHelperSysfence$", "--"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "SYSFENCE_HELPER=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		return runIt(t, cmd)
	}
	u := asNobody("record", "-o", filepath.Join(dir, "p.json"), "--", "/bin/true")
	if u.code != 0 || !strings.HasPrefix(u.stderr, "sysfence: recording with ptrace (not eBPF: ebpf recorder not supported: needs CAP_BPF and CAP_PERFMON (run as root))\n") {
		t.Errorf("auto as nobody: %+v", u)
	}
	e := asNobody("record", "--backend", "ebpf", "-o", filepath.Join(dir, "q.json"), "--", "/bin/true")
	if e.code != 2 || e.stderr != "sysfence: ebpf recorder not supported: needs CAP_BPF and CAP_PERFMON (run as root)\n" {
		t.Errorf("--backend ebpf as nobody: %+v", e)
	}
	if _, err := os.Stat(filepath.Join(dir, "q.json")); err == nil {
		t.Error("a profile was written")
	}
}

// TestRecordUnknownNumber: a number without a name is left out of the
// profile, with a warning that names it.
func TestRecordUnknownNumber(t *testing.T) {
	requireRun(t)
	probe := recordProg(t, "testdata/record/probe.c", "-nostdlib", "-static", "-fno-stack-protector")
	for _, be := range backends(t) {
		t.Run("backend="+be, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "p.json")
			r := runIt(t, sysfence("record", "-q", "--backend", be, "-o", out, "--", probe, "999"))
			if r.code != 0 || r.stdout != "-38\n" || r.stderr != "sysfence: warning: syscall 999 on x86_64 (1 call) has no name, and a profile can only name syscalls: it is left out, so under the profile the call gets the default action rather than the kernel's own answer\n" {
				t.Errorf("%+v", r)
			}
			if _, names := rules(t, out); !containsAll(names, "execve", "write", "exit_group") || len(names) != 4 {
				t.Errorf("profile %v, want execve, write, exit_group and restart_syscall", names)
			}
		})
	}
}

// record's --format names are profile.ParseFormat's: "oci" is a bare
// LinuxSeccomp object (it meant a whole config.json, which is
// "oci-config", and disagreed with every other command).
func TestRecordFormatNames(t *testing.T) {
	requireRun(t)
	for format, want := range map[string]profile.Format{"oci": profile.FormatOCI, "oci-config": profile.FormatOCIConfig, "docker": profile.FormatDocker, "spo": profile.FormatSPO} {
		out := filepath.Join(t.TempDir(), "p")
		cmd := sysfence("record", "--backend", "ptrace", "--format", format, "-o", out, "--", "/bin/true")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", format, err, b)
		}
		p, err := profile.Load(out)
		if err != nil || p.Format != want {
			t.Errorf("--format %s wrote %v (%v), want %v", format, p.Format, err, want)
		}
	}
}

// waitInSleep waits (up to 10 s) until pid, or a child of it, is blocked
// in clock_nanosleep (230 on x86_64), as /proc/PID/syscall shows.
func waitInSleep(t *testing.T, pid int) {
	t.Helper()
	inSleep := func(p string) bool {
		b, _ := os.ReadFile("/proc/" + p + "/syscall")
		return strings.HasPrefix(string(b), "230 ")
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if inSleep(strconv.Itoa(pid)) {
			return
		}
		kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
		for _, k := range strings.Fields(string(kids)) {
			if inSleep(k) {
				return
			}
		}
	}
	t.Logf("process %d never showed clock_nanosleep", pid)
}

// TestRecordAttachEnds: a recording of a running process that has not
// exited ends at Ctrl-C or after --duration, says that the process was
// still running, and writes what it recorded until then.
func TestRecordAttachEnds(t *testing.T) {
	requireRun(t)
	if !slices.Contains(backends(t), "ebpf") {
		testenv.Skip(t, "recording running processes needs the eBPF recorder")
	}
	for _, tc := range []struct {
		name string
		args []string
	}{{"interrupt", nil}, {"duration", []string{"--duration", "1s"}}} {
		t.Run("end="+tc.name, func(t *testing.T) {
			loop := exec.Command("/bin/sh", "-c", "while :; do cat /etc/hostname >/dev/null; sleep 0.05; done")
			if err := loop.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { loop.Process.Kill(); loop.Wait() })
			out := filepath.Join(t.TempDir(), "p.json")
			cmd := sysfence(append([]string{"record", "--pid", strconv.Itoa(loop.Process.Pid), "-q", "-o", out}, tc.args...)...)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			var said []byte
			buf := make([]byte, 256)
			for !bytes.Contains(said, []byte("from now on")) {
				n, err := stderr.Read(buf)
				if err != nil {
					t.Fatalf("sysfence said %q: %v", said, err)
				}
				said = append(said, buf[:n]...)
			}
			if tc.args == nil {
				time.Sleep(500 * time.Millisecond) // a few rounds of the loop
				cmd.Process.Signal(syscall.SIGINT)
			}
			done := make(chan error, 1)
			go func() {
				rest, _ := io.ReadAll(stderr)
				said = append(said, rest...)
				done <- cmd.Wait()
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("sysfence: %v; stderr %q", err, said)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("sysfence did not end; stderr %q", said)
			}
			if want := fmt.Sprintf("the recording ended with processes of process %d still running", loop.Process.Pid); !bytes.Contains(said, []byte(want)) {
				t.Errorf("stderr %q lacks %q", said, want)
			}
			if _, names := rules(t, out); !containsAll(names, "execve", "openat", "wait4") {
				t.Errorf("profile %v lacks what the loop did", names)
			}
		})
	}
}
