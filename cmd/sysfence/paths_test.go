//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/landlock"
)

// Path rules through `sysfence run`: the command runs under Landlock (or,
// with --no-landlock, under the supervisor that opens files itself), in a
// child process; nothing is ever restricted in the test process.

// buildC compiles testdata/NAME.c into dir.
func buildC(t testing.TB, dir, name string, static bool) string {
	t.Helper()
	out := filepath.Join(dir, name)
	testenv.BuildC(t, filepath.Join("testdata", name+".c"), out, static)
	return out
}

// requireLandlock skips (fails in CI) without Landlock ABI min.
func requireLandlock(t testing.TB, min int) int {
	t.Helper()
	abi, err := landlock.KernelABI()
	if err != nil || abi < min {
		testenv.Skip(t, fmt.Sprintf("Landlock ABI %d needed, kernel has %d (%v)", min, abi, err))
	}
	return abi
}

// runOut runs sysfence and returns exit code, stdout and stderr.
func runOut(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	cmd := sysfence(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return exitCode(err), stdout.String(), stderr.String()
}

// enforcers are the two ways path rules are enforced.
var enforcers = []struct {
	name  string
	flags []string
}{
	{"landlock", nil},
	{"supervisor", []string{"--no-landlock"}},
}

// The footnote scenario: a profile with what cat needs, plus
// --allow-read /etc/hostname.
func TestRunFootnote(t *testing.T) {
	requireRun(t)
	requireLandlock(t, 1)
	hostname, err := os.ReadFile("/etc/hostname")
	if err != nil {
		testenv.Skip(t, "the tests read /etc/hostname, which this machine lacks")
	}
	for _, e := range enforcers {
		t.Run("enforcer="+e.name, func(t *testing.T) {
			base := append([]string{"run", "-p", "testdata/cat.json", "--allow-read", "/etc/hostname"}, e.flags...)
			code, stdout, stderr := runOut(t, append(base, "--", "cat", "/etc/hostname")...)
			if code != 0 || stdout != string(hostname) {
				t.Errorf("cat /etc/hostname: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			if strings.Contains(stderr, "denied") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q, want only the summary line", stderr)
			}
			code, stdout, stderr = runOut(t, append(base, "--", "cat", "/etc/passwd")...)
			if code != 1 || stdout != "" || !strings.Contains(stderr, "cat: /etc/passwd: Permission denied\n") {
				t.Errorf("cat /etc/passwd: exit %d, stdout %q, stderr %q; want cat's permission error", code, stdout, stderr)
			}
		})
	}
}

// pathTree makes a directory to allow: a file, a subdirectory, a symlink
// to /etc/passwd and, where the file system allows it, a hard link to
// /etc/passwd made before the sandbox (a pre-existing link is part of the
// allowed tree: see the package documentation of landlock).
type pathTree struct {
	dir, other, probe string
	hardlink          bool
}

func newPathTree(t *testing.T) *pathTree {
	top := t.TempDir()
	pt := &pathTree{dir: filepath.Join(top, "allowed"), other: filepath.Join(top, "writable")}
	for _, d := range []string{pt.dir, filepath.Join(pt.dir, "sub"), pt.other} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(pt.dir, "ok"), []byte("fine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(pt.dir, "pw")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../../../../../../etc/passwd", filepath.Join(pt.dir, "relpw")); err != nil {
		t.Fatal(err)
	}
	pt.hardlink = os.Link("/etc/passwd", filepath.Join(pt.dir, "hardlink")) == nil
	pt.probe = buildC(t, top, "pathprobe", false)
	return pt
}

// ups is the "../" sequence that climbs from dir to /.
func ups(dir string) string { return strings.Repeat("../", strings.Count(dir, "/")) }

// TestRunPathEscapes: every way around a path rule fails to read
// /etc/passwd, through `sysfence run`, under Landlock and under the
// supervisor.
func TestRunPathEscapes(t *testing.T) {
	requireRun(t)
	requireLandlock(t, 3)
	pt := newPathTree(t)
	const (
		ok   = "ok fine"
		deny = "err" // any error
	)
	type probe struct {
		name string
		args []string
		want map[string]string // by enforcer; "*" for all
	}
	d := pt.dir
	probes := []probe{
		{"allowed-file", []string{"read", d + "/ok"}, map[string]string{"*": ok}},
		{"dotdot-inside", []string{"read", d + "/sub/../ok"}, map[string]string{"*": ok}},
		{"passwd", []string{"read", "/etc/passwd"}, map[string]string{"*": "err EACCES"}},
		{"symlink-in-allowed-dir", []string{"read", d + "/pw"}, map[string]string{"*": "err EACCES"}},
		{"relative-symlink", []string{"read", d + "/relpw"}, map[string]string{"*": "err EACCES"}},
		{"dotdot-out", []string{"read", d + "/" + ups(d) + "etc/passwd"}, map[string]string{"*": "err EACCES"}},
		{"proc-self-cwd", []string{"read", "/proc/self/root/etc/passwd"}, map[string]string{"*": "err EACCES"}},
		// Landlock lets O_PATH open anything and checks the re-open; the
		// supervisor refuses the O_PATH open already.
		{"o-path-reopen", []string{"procfd", "/etc/passwd"}, map[string]string{"*": "err EACCES"}},
		{"o-path-allowed", []string{"opath", d + "/ok"}, map[string]string{"*": "ok opath"}},
		// The sandbox cannot link /etc/passwd into a directory it may
		// write (Landlock: REFER, and the file must not gain rights) or
		// read (the supervisor refuses link).
		{"make-hardlink", []string{"link", "/etc/passwd", pt.other + "/pw"}, map[string]string{"landlock-rw": "err EXDEV", "*": "err EACCES"}},
		// openat2: under read-only Landlock rules the filter answers
		// ENOSYS (its flags could truncate, see TruncationBySeccomp).
		{"openat2-plain", []string{"openat2", d, "ok", "0"}, map[string]string{"landlock": "err ENOSYS", "*": ok}},
		{"openat2-symlink", []string{"openat2", d, "pw", "0"}, map[string]string{"landlock": "err ENOSYS", "*": "err EACCES"}},
		{"openat2-no-symlinks", []string{"openat2", d, "pw", "0x04"}, map[string]string{"landlock": "err ENOSYS", "*": "err ELOOP"}},
		{"openat2-no-magiclinks", []string{"openat2", "-", "/proc/self/root/etc/passwd", "0x02"}, map[string]string{"landlock": "err ENOSYS", "*": "err ELOOP"}},
		{"openat2-magiclink", []string{"openat2", "-", "/proc/self/root/etc/passwd", "0"}, map[string]string{"landlock": "err ENOSYS", "*": "err EACCES"}},
		{"openat2-beneath", []string{"openat2", d, ups(d) + "etc/passwd", "0x08"}, map[string]string{"landlock": "err ENOSYS", "*": "err EXDEV"}},
		{"openat2-in-root", []string{"openat2", d, "/etc/passwd", "0x10"}, map[string]string{"landlock": "err ENOSYS", "*": "err ENOENT"}},
		{"openat2-dotdot", []string{"openat2", d, ups(d) + "etc/passwd", "0"}, map[string]string{"landlock": "err ENOSYS", "*": "err EACCES"}},
	}
	if pt.hardlink {
		// A hard link that exists before the sandbox is part of the
		// allowed tree, as with a bind mount (documented): Landlock and
		// the supervisor agree.
		probes = append(probes, probe{"preexisting-hardlink", []string{"read", d + "/hardlink"}, map[string]string{"*": "ok root:"}})
	}
	modes := []struct {
		name  string
		flags []string
	}{
		{"landlock", []string{"--allow-read", d}},
		{"landlock-rw", []string{"--allow-read", d, "--allow-write", pt.other}},
		{"supervisor", []string{"--no-landlock", "--allow-read", d}},
	}
	for _, m := range modes {
		for _, p := range probes {
			t.Run("enforcer="+m.name+"/probe="+p.name, func(t *testing.T) {
				want, ok := p.want[m.name]
				if !ok {
					want = p.want["*"]
				}
				args := append(append([]string{"run"}, m.flags...), "--")
				code, stdout, stderr := runOut(t, append(append(args, pt.probe), p.args...)...)
				if code != 0 || !strings.HasPrefix(stdout, want) {
					t.Errorf("exit %d, stdout %q, want %q... (stderr %q)", code, stdout, want, stderr)
				}
				if strings.Contains(stdout, "root:") && p.name != "preexisting-hardlink" {
					t.Errorf("read /etc/passwd")
				}
			})
		}
		os.Remove(pt.other + "/pw")
	}
}

// A second thread rewrites the path buffer between /etc/hostname (allowed)
// and /etc/passwd while the first opens it in a loop: /etc/passwd is never
// read, under Landlock and under the supervisor (which opens the very path
// it checked). sandbox's tests show a CONTINUE-based check losing this race.
func TestRunPathRewritingThread(t *testing.T) {
	requireRun(t)
	requireLandlock(t, 1)
	pt := newPathTree(t)
	for _, e := range enforcers {
		t.Run("enforcer="+e.name, func(t *testing.T) {
			args := append([]string{"run", "--allow-read", "/etc/hostname"}, e.flags...)
			code, stdout, stderr := runOut(t, append(args, "--", pt.probe, "race", "/etc/hostname", "/etc/passwd", "2")...)
			var reads, bad int
			if _, err := fmt.Sscanf(stdout, "reads %d bad %d", &reads, &bad); err != nil || code != 0 {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			if bad != 0 || reads == 0 {
				t.Errorf("%d reads of /etc/hostname, %d of /etc/passwd", reads, bad)
			}
			t.Logf("%d reads of /etc/hostname in 2s, %d of /etc/passwd", reads, bad)
		})
	}
}

// Truncation: refused under read-only rules (by the filter under Landlock,
// by the supervisor without it); allowed by a write rule.
func TestRunTruncation(t *testing.T) {
	requireRun(t)
	requireLandlock(t, 3)
	pt := newPathTree(t)
	file := filepath.Join(pt.dir, "ok")
	for _, tc := range []struct {
		name  string
		flags []string
		want  string
	}{
		{"landlock-read", []string{"--allow-read", pt.dir}, "err EACCES\nerr EACCES\n"},
		{"supervisor-read", []string{"--no-landlock", "--allow-read", pt.dir}, "err EACCES\nerr EACCES\n"},
		{"landlock-write", []string{"--allow-read", pt.dir, "--allow-write", pt.dir}, "ok open\nok truncate\n"},
	} {
		t.Run("rules="+tc.name, func(t *testing.T) {
			if err := os.WriteFile(file, []byte("fine\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append(append([]string{"run"}, tc.flags...), "--", pt.probe, "trunc", file)
			code, stdout, stderr := runOut(t, args...)
			if code != 0 || stdout != tc.want {
				t.Errorf("exit %d, stdout %q, want %q (stderr %q)", code, stdout, tc.want, stderr)
			}
			b, _ := os.ReadFile(file)
			if truncated := len(b) == 0; truncated != (tc.want == "ok open\nok truncate\n") {
				t.Errorf("file holds %q afterwards", b)
			}
		})
	}
}

// The CLI refuses what it cannot enforce (exit 2) unless --best-effort,
// and then says what is UNENFORCED.
func TestRunRulesRefused(t *testing.T) {
	requireRun(t)
	requireLandlock(t, 1)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string // substring
	}{
		{"no-landlock-write", []string{"--no-landlock", "--allow-write", "/tmp"}, 2, "--allow-write cannot be enforced without Landlock"},
		{"no-landlock-ports", []string{"--no-landlock", "--allow-bind", "4000"}, 2, "cannot enforce: port rules"},
		{"no-landlock-ports-best-effort", []string{"--no-landlock", "--best-effort", "--allow-bind", "4000"}, 0,
			"sysfence: supervisor: UNENFORCED port rules: every TCP port stays usable"},
		{"no-landlock-exec", []string{"--no-landlock", "--allow-exec", "/bin/sh"}, 2, "cannot enforce: exec rules"},
		{"missing-path", []string{"--allow-read", "/no/such/path"}, 2, "--allow-read /no/such/path: lstat /no: no such file or directory"},
		{"bad-port", []string{"--allow-bind", "70000"}, 2, "--allow-bind 70000: not a TCP port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runOut(t, append(append([]string{"run"}, tc.args...), "--", "/bin/true")...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
}

// Rules in the profile's x-sysfence section act like the flags; -v lists
// what was added for the command to start, and why.
func TestRunProfileExtension(t *testing.T) {
	requireRun(t)
	requireLandlock(t, 1)
	prof := filepath.Join(t.TempDir(), "p.json")
	b, err := os.ReadFile("testdata/cat.json")
	if err != nil {
		t.Fatal(err)
	}
	withExt := strings.Replace(string(b), `"defaultAction"`, `"x-sysfence": {"allowRead": ["/etc/hostname"]}, "defaultAction"`, 1)
	if err := os.WriteFile(prof, []byte(withExt), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runOut(t, "run", "-v", "-p", prof, "--", "cat", "/etc/hostname")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"enforces 1 path rule (+", "added for cat to start: /usr/bin/cat [exec]: the command",
		"[exec]: ELF interpreter (PT_INTERP) of /usr/bin/cat", "[read]: DT_NEEDED libc.so.6 of /usr/bin/cat",
		"landlock: allow {read_file} on /etc/hostname"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code, _, stderr := runOut(t, "run", "-p", prof, "--", "cat", "/etc/passwd"); code != 1 || !strings.Contains(stderr, "Permission denied") {
		t.Errorf("cat /etc/passwd under the profile's rules: exit %d, stderr %q", code, stderr)
	}
}

// Landlock's ruleset reaches the command as an inherited descriptor that
// the command closes before it runs: descriptors sysfence inherited keep
// their numbers, and the command has the same descriptors as without
// rules.
func TestRunLandlockKeepsInheritedFds(t *testing.T) {
	requireRun(t)
	requireLandlock(t, 1)
	run := func(rules ...string) string {
		f3, err := os.Open("/etc/hostname")
		if err != nil {
			testenv.Skip(t, "the tests read /etc/hostname, which this machine lacks")
		}
		defer f3.Close()
		f4, _ := os.Open("/etc/hostname")
		defer f4.Close()
		args := append(append([]string{"run"}, rules...), "--", "/bin/sh", "-c", "cat <&4; ls /proc/self/fd")
		cmd := sysfence(args...)
		cmd.ExtraFiles = []*os.File{f3, f4}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %v: %s", args, err, stderr.String())
		}
		return stdout.String()
	}
	plain := run()
	ruled := run("--allow-read", "/proc", "--allow-exec", "/usr/bin/cat", "--allow-exec", "/usr/bin/ls")
	hostname, _ := os.ReadFile("/etc/hostname")
	if !strings.HasPrefix(ruled, string(hostname)+"0\n1\n") || !strings.Contains(ruled, "\n3\n4\n") || ruled != plain {
		t.Errorf("with rules %q, without %q", ruled, plain)
	}
}

// The rules are never dropped: not when CMD's needs cannot be worked out
// (the plan still holds the user's rules), and not when the environment
// has no PATH (the command found and the command whose needs are allowed
// are the same file).
func TestRunRulesNeverDropped(t *testing.T) {
	requireRun(t)
	requireLandlock(t, 1)
	for _, cmd := range []string{"/no/such/command", "no-such-command-x", "/etc/passwd"} {
		pp, err := planPaths(&ruleFlags{read: []string{"/etc/hostname"}, bind: []string{"4000"}}, nil, cmd, nil)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		if pp.landlock == nil || len(pp.landlock.Paths) != 1 || len(pp.landlock.Ports) != 1 {
			t.Errorf("%s: the plan lost the rules: %+v", cmd, pp.landlock)
		}
	}
	c := sysfence("run", "--allow-read", "/etc/hostname", "--", "cat", "/etc/passwd")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") {
			c.Env = append(c.Env, kv)
		}
	}
	c.Env = append(c.Env, "SYSFENCE_HELPER=1")
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	if exitCode(err) != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "Permission denied") {
		t.Errorf("without PATH: exit %d, stdout %q, stderr %q; want cat refused", exitCode(err), stdout.String(), stderr.String())
	}
}

// A rule of the profile's x-sysfence section naming a missing file is the
// profile's error, with its position.
func TestRunProfileRuleMissingPath(t *testing.T) {
	requireRun(t)
	prof := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(prof, []byte("{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"x-sysfence\": {\"allowRead\": [\"/etc/hostname\", \"/no/such/file\"]}}\n"), 0o644)
	code, _, stderr := runOut(t, "run", "-p", prof, "--", "/bin/true")
	want := "sysfence: " + prof + ":2:48: x-sysfence.allowRead[1]: /no/such/file: no such file or directory (a rule needs an existing file or directory)\n"
	if code != 2 || stderr != want {
		t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, want)
	}
}

// childOf returns the pid of a child of pid (0: none yet).
func childOf(pid int) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, the last ')' ends it.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			n, _ := strconv.Atoi(e.Name())
			return n
		}
	}
	return 0
}

// waitNotified waits until a child of sysfence (pid) is held in a
// notified call (its wchan is seccomp_do_user_notification).
func waitNotified(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if c := childOf(pid); c != 0 {
			if w, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", c)); strings.HasPrefix(string(w), "seccomp_do_user_notif") {
				return
			}
		}
	}
	t.Fatal("CMD never waited for the supervisor")
}

// Without Landlock the supervisor opens files for CMD, and opening a FIFO
// waits for a writer. The supervisor must never be stuck on CMD's behalf:
// SIGTERM to sysfence ends a run whose CMD waits for a writer within a
// second (CMD dies of it, as it would outside), and a writer that comes
// later is seen as usual.
func TestRunSupervisedFIFO(t *testing.T) {
	requireRun(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	start := func(argv ...string) (*exec.Cmd, *bytes.Buffer) {
		cmd := sysfence(append([]string{"run", "--no-landlock", "--allow-read", dir, "--"}, argv...)...)
		var stdout bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		waitNotified(t, cmd.Process.Pid)
		return cmd, &stdout
	}
	wait := func(cmd *exec.Cmd, limit time.Duration) (int, time.Duration) {
		done := make(chan error, 1)
		t0 := time.Now()
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			return exitCode(err), time.Since(t0)
		case <-time.After(limit):
			cmd.Process.Kill()
			<-done
			return -1, time.Since(t0)
		}
	}

	t.Run("sigterm", func(t *testing.T) {
		cmd, _ := start("cat", fifo)
		cmd.Process.Signal(syscall.SIGTERM)
		code, took := wait(cmd, 5*time.Second)
		t.Logf("SIGTERM ended the run in %v (exit %d)", took, code)
		if code != 128+int(syscall.SIGTERM) || took > time.Second {
			t.Errorf("after SIGTERM: exit %d after %v; want 143 within 1s", code, took)
		}
	})
	write := func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(w, "through the fifo")
		w.Close()
	}
	t.Run("writer", func(t *testing.T) {
		cmd, stdout := start("cat", fifo)
		write()
		code, _ := wait(cmd, 5*time.Second)
		if code != 0 || stdout.String() != "through the fifo\n" {
			t.Errorf("exit %d, stdout %q", code, stdout.String())
		}
	})
	// A handled signal: the open restarts (SA_RESTART) and then gets the
	// writer, or fails with EINTR, as outside the sandbox.
	probe := buildC(t, dir, "pathprobe", false)
	for _, tc := range []struct{ mode, want string }{{"restart", "ok through the fifo\n"}, {"intr", "err EINTR\n"}} {
		t.Run("signal="+tc.mode, func(t *testing.T) {
			cmd, stdout := start(probe, "fifo", fifo, tc.mode)
			var before []string
			for deadline := time.Now().Add(5 * time.Second); len(before) != 1; time.Sleep(5 * time.Millisecond) {
				if before = fifoOpeners(cmd.Process.Pid); time.Now().After(deadline) {
					t.Fatalf("threads of sysfence opening the FIFO: %v", before)
				}
			}
			syscall.Kill(childOf(cmd.Process.Pid), syscall.SIGUSR1)
			if tc.mode == "restart" {
				// The restarted open waits for the supervisor again, and
				// the supervisor's interrupted open is gone: one thread
				// of sysfence opens the FIFO, and not the one before (the
				// window in which a writer would meet the interrupted
				// open is documented).
				for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
					now := fifoOpeners(cmd.Process.Pid)
					if len(before) == 1 && len(now) == 1 && now[0] != before[0] {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("threads of sysfence opening the FIFO: %v before the signal, %v after", before, now)
					}
				}
				waitNotified(t, cmd.Process.Pid)
				write()
			}
			code, _ := wait(cmd, 5*time.Second)
			if code != 0 || stdout.String() != tc.want {
				t.Errorf("exit %d, stdout %q, want %q", code, stdout.String(), tc.want)
			}
		})
	}
}

// fifoOpeners lists the threads of pid waiting in a FIFO open.
func fifoOpeners(pid int) []string {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var out []string
	for _, e := range ents {
		if w, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/wchan", pid, e.Name())); string(w) == "wait_for_partner" {
			out = append(out, e.Name())
		}
	}
	return out
}

// Descriptors the supervisor does not open itself: fanotify hands its
// listener a descriptor of every file another process opens, so a CMD
// that may read only one directory read /etc/hostname through an event
// without Landlock (Landlock checks the event's open against CMD's
// rules: EACCES). Every way of getting a descriptor that the supervisor
// does not police is refused without Landlock (the list and the reasons
// are in sandbox/added_linux.go), whatever the profile allows.
func TestRunSupervisedDescriptorSources(t *testing.T) {
	requireRun(t)
	requireLandlock(t, 1)
	testenv.RequireRoot(t) // fanotify with descriptors needs CAP_SYS_ADMIN
	hostname, err := os.ReadFile("/etc/hostname")
	if err != nil || len(hostname) < 2 {
		testenv.Skip(t, "the tests read /etc/hostname, which this machine lacks")
	}
	dir := t.TempDir()
	probe := buildC(t, dir, "fdprobe", false)
	allowAll := filepath.Join(dir, "all.json")
	os.WriteFile(allowAll, []byte(`{"defaultAction": "SCMP_ACT_ALLOW"}`), 0o644)
	for _, e := range []struct{ name, want string }{{"landlock", "err EACCES"}, {"supervisor", "err EPERM"}} {
		t.Run("enforcer="+e.name+"/source=fanotify", func(t *testing.T) {
			args := []string{"run", "-q", "-p", allowAll, "--allow-read", dir}
			if e.name == "supervisor" {
				args = append(args, "--no-landlock")
			}
			cmd := sysfence(append(args, "--", probe, "fanotify", "/etc/hostname")...)
			var stdout bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			// Another process opens the file until the probe is done.
			var err error
		loop:
			for {
				select {
				case err = <-done:
					break loop
				case <-time.After(50 * time.Millisecond):
					os.ReadFile("/etc/hostname")
				}
			}
			out := stdout.String()
			t.Logf("probe: %q", out)
			if err != nil || strings.Contains(out, "ok "+strings.TrimSpace(string(hostname))) || !strings.HasSuffix(out, e.want+"\n") {
				t.Errorf("exit %v, stdout %q; want the file refused (%s)", err, out, e.want)
			}
		})
	}
	t.Run("enforcer=supervisor/source=others", func(t *testing.T) {
		code, stdout, stderr := runOut(t, "run", "-q", "-p", allowAll, "--no-landlock", "--allow-read", dir, "--", probe, "calls")
		want := strings.Join([]string{
			"socketpair-unix ok",           // both ends are CMD's
			"socket-unix err EACCES",       // a peer outside could pass descriptors
			"socket-inet ok",               // no files
			"memfd_create ok",              // new and anonymous
			"bpf-obj-get err EPERM",        // pinned objects by path
			"perf_event_open err EPERM",    // uprobes name files; samples read other processes
			"open_tree err EPERM",          // an O_PATH descriptor by name, or a mount
			"open_tree_attr err EPERM",     // the same (Linux 6.15)
			"name_to_handle_at ok",         // a handle, no descriptor
			"open_by_handle_at err EACCES", // a handle names a file the supervisor does not open
		}, "\n") + "\n"
		if code != 0 || stdout != want {
			t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, stderr, stdout, want)
		}
	})
}

// The supervisor opens regular files with O_NONBLOCK (so that a file
// replaced by a FIFO meanwhile cannot make it wait) and takes it off
// again: CMD's descriptor has the flags it asked for.
func TestRunSupervisedOpenFlags(t *testing.T) {
	requireRun(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "file"), []byte("x\n"), 0o644)
	script := `exec 3<"$1"; while read -r k v; do if [ "$k" = flags: ]; then echo "$v"; fi; done </proc/self/fdinfo/3`
	code, stdout, stderr := runOut(t, "run", "--no-landlock", "--allow-read", dir, "--allow-read", "/proc", "--", "/bin/sh", "-c", script, "sh", filepath.Join(dir, "file"))
	flags, err := strconv.ParseUint(strings.TrimSpace(stdout), 8, 64)
	if code != 0 || err != nil || flags&unix.O_NONBLOCK != 0 || flags&unix.O_ACCMODE != unix.O_RDONLY {
		t.Errorf("exit %d, flags %q, stderr %q; want O_RDONLY without O_NONBLOCK", code, stdout, stderr)
	}
}

// TestRunProcOutside: the attack testdata/procpeek.c makes, under
// --allow-read / (all of /proc readable by the rules): read through /proc
// the memory of sysfence, its parent, which is outside the sandbox.
// Landlock refuses that in the kernel (the command's domain may not
// ptrace-access sysfence). Without Landlock the supervisor opens files
// with sysfence's own rights, so it refuses every file of a process
// outside the command's tree itself (before, it opened sysfence's
// /proc/PID/mem for the command, and the command read sysfence's stack).
// The command's own files and its child's stay readable.
func TestRunProcOutside(t *testing.T) {
	requireRun(t)
	requireLandlock(t, 1)
	probe := buildC(t, t.TempDir(), "procpeek", false)
	// A second procfs, where no path check would look for one.
	other := t.TempDir()
	if err := unix.Mount("proc", other, "proc", 0, ""); err != nil {
		testenv.Skip(t, fmt.Sprintf("mounting a procfs: %v", err))
	}
	t.Cleanup(func() { unix.Unmount(other, unix.MNT_DETACH) })
	cases := []struct{ name, proc string }{{"landlock", "/proc"}, {"supervisor", "/proc"}, {"supervisor", other}}
	for _, c := range cases {
		e := enforcers[0]
		if c.name == "supervisor" {
			e = enforcers[1]
		}
		t.Run("enforcer="+e.name+",proc="+c.proc, func(t *testing.T) {
			args := append(append([]string{"run"}, e.flags...), "--allow-read", "/", "--", probe, c.proc)
			code, stdout, stderr := runOut(t, args...)
			if code != 0 {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			got := map[string]string{}
			for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
				who, rest, _ := strings.Cut(line, " ")
				file, verdict, _ := strings.Cut(rest, " ")
				got[who+" "+file] = verdict
			}
			want := map[string]string{
				"self environ": "ok", "self maps": "ok", "self mem": "ok", "self stat": "ok", "self root/etc/hostname": "ok",
				"child environ": "ok", "child maps": "ok", "child stat": "ok", "child root/etc/hostname": "ok",
				"parent mem": "err EACCES",
			}
			if e.name == "supervisor" {
				// Stricter than Landlock, which leaves a process's
				// non-ptrace files (stat) readable and, on some kernels,
				// a root command its environ, maps and root link.
				for _, f := range []string{"environ", "maps", "stat", "root/etc/hostname"} {
					want["parent "+f] = "err EACCES"
				}
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: %q, want %q\nstdout:\n%s\nstderr: %s", k, got[k], v, stdout, stderr)
				}
			}
			t.Logf("%s: %v", e.name, got)
		})
	}
}
