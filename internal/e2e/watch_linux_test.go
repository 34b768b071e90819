package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/internal/cgroups"
	"github.com/sysfence/sysfence/internal/runctest"
	"github.com/sysfence/sysfence/internal/spotest"
	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/profile"
)

// startWatch starts `sysfence watch ARGS...`, waits until it says it is
// watching, and returns a function that ends it with SIGINT and returns
// how it ended.
func startWatch(t testing.TB, args ...string) func() result {
	t.Helper()
	testenv.RequireRoot(t)
	return startSysfence(t, "Ctrl-C ends", true, 30*time.Second, append([]string{"watch"}, args...)...)
}

// actionsProg builds the watch package's C program, which loads its
// own libseccomp filter.
func actionsProg(t testing.TB) string {
	t.Helper()
	return libseccompC(t, "../../watch/testdata/actions.c", "actions")
}

// held is a command started by a shell that waits for a line on stdin.
type held struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   bytes.Buffer
}

func hold(t testing.TB, argv ...string) *held {
	t.Helper()
	h := &held{cmd: exec.Command("/bin/sh", append([]string{"-c", `read go; exec "$@"`, "sh"}, argv...)...)}
	var err error
	if h.stdin, err = h.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	h.cmd.Stdout, h.cmd.Stderr = &h.out, &h.out
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.cmd.Process.Kill(); h.cmd.Wait() })
	return h
}

func (h *held) release(t testing.TB) string {
	t.Helper()
	io.WriteString(h.stdin, "go\n")
	h.stdin.Close()
	h.cmd.Wait()
	return h.out.String()
}

// TestWatchOwnFilter: a process that loads its own libseccomp filter,
// watched by pid: each kind of answer is reported with its process,
// call, verdict and the filter's instruction; --json gives one object
// per line and a summary object.
func TestWatchOwnFilter(t *testing.T) {
	prog := actionsProg(t)
	t.Run("format=text", func(t *testing.T) {
		h := hold(t, prog, "errno", "3")
		stop := startWatch(t, "--pid", fmt.Sprint(h.cmd.Process.Pid))
		if out := h.release(t); out != "errno: 3 failed (Permission denied), 0 succeeded\n" {
			t.Fatalf("the program wrote %q", out)
		}
		r := stop()
		want := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3} actions\[` + fmt.Sprint(h.cmd.Process.Pid) + `\] \(\S+/actions errno 3\): mkdirat\(AT_FDCWD, "/nonexistent/watch-errno", 0750\) was denied: EACCES \(its filter returns ERRNO\(13\) at instruction \d+\)( ×3)?$`)
		if r.code != 0 || !want.MatchString(r.stdout) || !strings.Contains(r.stdout, "sysfence watch: ") || !strings.Contains(r.stdout, ": 3 decisions in 1 group (ERRNO 3)") {
			t.Errorf("watch:\n%v", r)
		}
	})
	t.Run("format=json", func(t *testing.T) {
		h := hold(t, prog, "kill", "1")
		stop := startWatch(t, "--pid", fmt.Sprint(h.cmd.Process.Pid), "--json")
		h.release(t)
		r := stop()
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if r.code != 0 || len(lines) != 2 {
			t.Fatalf("watch:\n%v", r)
		}
		var ev, sum map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &ev); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(lines[1]), &sum); err != nil {
			t.Fatal(err)
		}
		for k, v := range map[string]any{"comm": "actions", "syscall": "getppid", "abi": "x86_64", "action": "KILL_PROCESS",
			"outcome": "killed", "count": 1.0, "pid": float64(h.cmd.Process.Pid), "actionFromFilter": true} {
			if ev[k] != v {
				t.Errorf("%s = %v, want %v: %s", k, ev[k], v, lines[0])
			}
		}
		if sum["summary"] != true || sum["calls"] != 1.0 || sum["undelivered"] != 0.0 {
			t.Errorf("summary %s", lines[1])
		}
	})
}

// TestWatchSystemdCgroup: a service's cgroup of the systemd layout,
// made here; its process's denials are reported with the cgroup, an
// identical process outside it is not.
func TestWatchSystemdCgroup(t *testing.T) {
	prog := actionsProg(t)
	testenv.RequireRoot(t)
	mnt, err := cgroups.UnifiedMount()
	if err != nil {
		testenv.Skip(t, err.Error())
	}
	rel := fmt.Sprintf("/system.slice/sysfence-watch-%d.service", os.Getpid())
	dir := filepath.Join(mnt, rel)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i := 0; i < 100 && os.Remove(dir) != nil; i++ {
			time.Sleep(20 * time.Millisecond)
		}
		os.Remove(filepath.Dir(dir)) // the slice, if this test made it and it is empty
	})
	inside, outside := hold(t, prog, "nested", "4"), hold(t, prog, "nested", "4")
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(fmt.Sprint(inside.cmd.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	stop := startWatch(t, "--cgroup", rel)
	inside.release(t)
	outside.release(t)
	r := stop()
	if !strings.Contains(r.stdout, fmt.Sprintf("actions[%d] in cgroup %s (", inside.cmd.Process.Pid, rel)) ||
		!strings.Contains(r.stdout, `mkdirat(AT_FDCWD, "/nonexistent/watch-errno", 0750) was denied: EPERM (filter 2 of 2 returns ERRNO(1)`) {
		t.Errorf("the process in the cgroup is not reported:\n%v", r)
	}
	if strings.Contains(r.stdout, fmt.Sprintf("actions[%d]", outside.cmd.Process.Pid)) {
		t.Errorf("a process outside the cgroup is reported:\n%v", r)
	}
	if !strings.Contains(r.stdout, ": 4 decisions in 1 group (ERRNO 4)") {
		t.Errorf("summary:\n%v", r)
	}
}

// mkdirScript waits for /tmp/go, then makes a directory (in /dev/shm: the
// root file system of runc's default configuration is read-only).
const mkdirScript = `while [ ! -e /tmp/go ]; do sleep 0.05; done; mkdir /dev/shm/newdir; echo mkdir status $?`

// mkdirRun is mkdirScript in container id under the profile prof.
func mkdirRun(t *testing.T, id, prof string) runctest.Run {
	return runctest.Run{ID: id, Args: []string{"sh", "-c", mkdirScript}, Seccomp: runctest.ResolvedOCI(t, prof)}
}

// runHeld starts run, whose command waits for /tmp/go, in the
// background: it returns once the container's cgroup exists, and a
// function that lets the command go and waits for the result.
func runHeld(t *testing.T, b *runctest.Bundle, run runctest.Run) func() *runctest.Result {
	t.Helper()
	os.Remove(filepath.Join(b.Rootfs, "tmp", "go"))
	done := make(chan *runctest.Result, 1)
	go func() {
		res, err := b.Run(context.Background(), run)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := cgroups.FindContainer(run.ID); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s: no cgroup after 20s", run.ID)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return func() *runctest.Result {
		if err := os.WriteFile(filepath.Join(b.Rootfs, "tmp", "go"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		select {
		case res := <-done:
			if res == nil {
				t.FailNow()
			}
			return res
		case <-time.After(40 * time.Second):
			t.Fatalf("container %s did not end", run.ID)
		}
		return nil
	}
}

// TestWatchRuncContainer: a runc container started with a profile that
// lacks mkdir; `watch --container ID --profile` reports its denial with
// the container's ID, the path and the profile's deciding rule. Then the
// heal loop: `watch --update` merges what it saw into the profile, and
// the container runs cleanly under the result.
func TestWatchRuncContainer(t *testing.T) {
	b := runctest.NewT(t, runctest.Config{})
	prof := writeProfile(t, without(dockerDefault(t), "mkdir", "mkdirat"), "nomkdir.json")
	id := fmt.Sprintf("sfwatch-%d", os.Getpid())

	t.Run("report", func(t *testing.T) {
		let := runHeld(t, b, mkdirRun(t, id, prof))
		stop := startWatch(t, "--container", id, "--profile", prof)
		res := let()
		r := stop()
		if res.ExitCode != 0 || res.Stdout != "mkdir status 1\n" || !strings.Contains(res.Stderr, "Operation not permitted") {
			t.Fatalf("container:\n%v", res)
		}
		// (busybox's shell runs mkdir in a child that does not exec: the
		// command line is the shell's.)
		want := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{3} mkdir\[\d+\] in container ` + id + ` \(.*\): mkdir\("/dev/shm/newdir", 0777\) was denied: EPERM \(default action ERRNO\(1\)\)$`)
		if !want.MatchString(r.stdout) {
			t.Errorf("watch --container %s:\n%v", id, r)
		}
		if strings.Contains(r.stdout, "but the filter returned") {
			t.Errorf("the profile does not explain what the kernel did:\n%v", r)
		}
	})

	// The heal loop, on a Docker profile and on a SeccompProfile (which
	// stays one, valid for the operator).
	for _, format := range []profile.Format{profile.FormatDocker, profile.FormatSPO} {
		t.Run(fmt.Sprintf("update=%v", format), func(t *testing.T) {
			src := prof
			if format == profile.FormatSPO {
				// A SeccompProfile has no Docker conditions: start from
				// the profile resolved for this machine, as runc gets it.
				oci, err := json.Marshal(runctest.ResolvedOCI(t, prof))
				if err != nil {
					t.Fatal(err)
				}
				src = filepath.Join(t.TempDir(), "resolved.json")
				if err := os.WriteFile(src, oci, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			p, err := profile.Load(src)
			if err != nil {
				t.Fatal(err)
			}
			healed := filepath.Join(t.TempDir(), "healed.json")
			if format == profile.FormatSPO {
				healed = filepath.Join(t.TempDir(), "healed.yaml")
			}
			data, err := profile.Marshal(p, profile.WriteOptions{Format: format})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(healed, data, 0o644); err != nil {
				t.Fatal(err)
			}
			let := runHeld(t, b, mkdirRun(t, id, healed))
			stop := startWatch(t, "--container", id, "--update", healed)
			if res := let(); res.Stdout != "mkdir status 1\n" {
				t.Fatalf("container:\n%v", res)
			}
			r := stop()
			if !regexp.MustCompile(`sysfence: watch: ` + regexp.QuoteMeta(healed) + ` updated: \d syscalls? allowed \([a-z_, ]*\bmkdir\b`).MatchString(r.stderr) {
				t.Fatalf("watch --update:\n%v", r)
			}
			hp, err := profile.Load(healed)
			if err != nil {
				t.Fatal(err)
			}
			allowed := false
			for _, sc := range hp.Seccomp.Syscalls {
				allowed = allowed || sc.Action == specs.ActAllow && len(sc.Args) == 0 && slices.Contains(profile.EntryNames(sc), "mkdir")
			}
			if !allowed || hp.Seccomp.DefaultAction != specs.ActErrno || hp.Format != format {
				t.Errorf("healed profile (%v):\n%s", hp.Format, mustRead(t, healed))
			}
			if format == profile.FormatSPO {
				if err := spotest.Validate(mustRead(t, healed)); err != nil {
					t.Errorf("the healed SeccompProfile is not valid for the operator: %v", err)
				}
			}
			// The healed profile runs the container cleanly.
			let = runHeld(t, b, mkdirRun(t, id, healed))
			if res := let(); res.ExitCode != 0 || res.Stdout != "mkdir status 0\n" || res.Stderr != "" {
				t.Errorf("under the healed profile:\n%v", res)
			}
		})
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
