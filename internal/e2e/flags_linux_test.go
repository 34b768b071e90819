package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/seccomp"
)

// A profile's "flags" reach the kernel with `sysfence run -p` (they were
// dropped: only the Go API honoured them). In place (quiet, a filter that
// allows execve) the test reads the flags back from the kernel
// (PTRACE_SECCOMP_GET_METADATA); with sysfence attached, which keeps
// other tracers out, it watches the kernel's seccomp action log, where
// SECCOMP_FILTER_FLAG_LOG makes an errno answer appear.
func TestRunProfileFlags(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	write := func(name, flags string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(`{"defaultAction":"SCMP_ACT_ALLOW",`+flags+`"syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO"}]}`), 0o644)
		return p
	}
	withLog := write("log.json", `"flags":["SECCOMP_FILTER_FLAG_LOG","SECCOMP_FILTER_FLAG_SPEC_ALLOW"],`)
	without := write("nolog.json", "")

	t.Run("in-place/metadata", func(t *testing.T) {
		for _, tc := range []struct {
			prof string
			want uint64
		}{{withLog, uint64(seccomp.FlagLog)}, {without, 0}} { // the kernel reports LOG, not SPEC_ALLOW
			got := filterFlagsOf(t, sysfenceBin(t), "run", "-q", "-p", tc.prof, "--", "/bin/sleep", "30")
			if got != tc.want {
				t.Errorf("%s: the kernel has flags %v, want %v", filepath.Base(tc.prof), seccomp.FilterFlag(got), seccomp.FilterFlag(tc.want))
			}
		}
	})
	for _, mode := range []string{"reporting", "quiet-exec-stop"} {
		t.Run(mode+"/log", func(t *testing.T) {
			args := func(prof string) []string {
				a := []string{sysfenceBin(t), "run", "-p", prof, "--", "/bin/sh", "-c", "echo $$"}
				if mode == "quiet-exec-stop" {
					a = []string{sysfenceBin(t), "run", "-q", "-p", prof, "--allow-read", "/", "--", "/bin/sh", "-c", "echo $$"}
				}
				return a
			}
			// The log is rate-limited by printk: a record suppressed by other
			// tests' kills is tried again, a few times.
			var logged, unlogged bool
			for try := 0; try < 5 && !logged; try++ {
				logged = seccompLogged(t, args(withLog))
			}
			unlogged = !seccompLogged(t, args(without))
			if !logged || !unlogged {
				t.Errorf("with SECCOMP_FILTER_FLAG_LOG logged %v (want true), without it logged %v (want false)", logged, !unlogged)
			}
		})
	}
}

// filterFlagsOf runs argv, which must become a long-running confined
// process with nothing attached (sysfence's exec in place), and reads the
// flags of its first filter back from the kernel.
func filterFlagsOf(t *testing.T, argv ...string) uint64 {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	pid := cmd.Process.Pid
	// Wait for the exec: the process runs sleep, under its filter.
	for i := 0; ; i++ {
		if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); strings.HasSuffix(exe, "sleep") {
			break
		}
		if i == 500 {
			t.Fatalf("%v did not become sleep", argv)
		}
		time.Sleep(10 * time.Millisecond)
	}
	done := make(chan uint64, 1)
	errc := make(chan error, 1)
	go func() {
		// ptrace requests come from one thread.
		runtime.LockOSThread()
		if err := unix.PtraceAttach(pid); err != nil {
			errc <- fmt.Errorf("PTRACE_ATTACH: %w", err)
			return
		}
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, unix.WALL, nil)
		meta := struct{ FilterOff, Flags uint64 }{}
		_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_METADATA, uintptr(pid), unsafe.Sizeof(meta), uintptr(unsafe.Pointer(&meta)), 0, 0)
		unix.PtraceDetach(pid)
		if e != 0 {
			errc <- fmt.Errorf("PTRACE_SECCOMP_GET_METADATA: %w", e)
			return
		}
		done <- meta.Flags
	}()
	select {
	case f := <-done:
		return f
	case err := <-errc:
		t.Fatal(err)
	}
	return 0
}

// seccompLogged runs argv (a shell that prints its pid, whose getppid the
// profile answers with an errno) and reports whether the kernel's
// seccomp action log has a record of that call by that process.
func seccompLogged(t *testing.T, argv []string) bool {
	t.Helper()
	// The kernel logs only the actions this sysctl names (errno is among
	// them by default).
	if b, err := os.ReadFile("/proc/sys/kernel/seccomp/actions_logged"); err != nil || !slices.Contains(strings.Fields(string(b)), "errno") {
		testenv.Skip(t, fmt.Sprintf("the kernel does not log seccomp errno actions (kernel.seccomp.actions_logged %q, %v)", strings.TrimSpace(string(b)), err))
	}
	// Raw reads: os.File would park a non-blocking read in the poller.
	kmsg, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		testenv.Skip(t, "the kernel log cannot be read: "+err.Error())
	}
	defer unix.Close(kmsg)
	if _, err := unix.Seek(kmsg, 0, 2); err != nil { // only what comes from now on
		t.Fatal(err)
	}
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		t.Fatalf("%v: %v", argv, err)
	}
	pid := strings.TrimSpace(string(out))
	want := fmt.Sprintf(" pid=%s ", pid)
	deadline := time.Now().Add(300 * time.Millisecond)
	buf := make([]byte, 8192)
	for time.Now().Before(deadline) {
		n, err := unix.Read(kmsg, buf)
		if errors.Is(err, unix.EAGAIN) {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if err != nil && !errors.Is(err, unix.EPIPE) { // EPIPE: records were overwritten
			t.Fatal(err)
		}
		rec := string(buf[:max(n, 0)])
		if strings.Contains(rec, "type=1326") && strings.Contains(rec, want) && strings.Contains(rec, " syscall=110 ") {
			return true
		}
	}
	return false
}

// TestRunListenerPath: a profile's listenerPath hands the notification
// listener to a seccomp agent, as runc does (it was ignored): the agent
// gets the process state with the profile's listenerMetadata and the
// listener, and answers the calls the profile sends it.
func TestRunListenerPath(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "agent.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	prof := filepath.Join(dir, "agent.json")
	os.WriteFile(prof, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"`+sock+`","listenerMetadata":"from-the-profile",
"syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_NOTIFY"}]}`), 0o644)

	for _, mode := range []string{"reporting", "quiet"} {
		t.Run(mode, func(t *testing.T) {
			states := make(chan specs.ContainerProcessState, 1)
			agentErr := make(chan error, 1)
			go func() { agentErr <- serveAgent(ln, states) }()
			target := filepath.Join(dir, "made-"+mode)
			args := []string{"run", "-p", prof, "--", "/bin/sh", "-c", "mkdir " + target + "; echo mkdir=$?"}
			if mode == "quiet" {
				args = append([]string{"run", "-q"}, args[1:]...)
			}
			r := sysfence(t, args...)
			if r.code != 0 || r.stdout != "mkdir=0\n" {
				t.Errorf("%v", r)
			}
			if _, err := os.Stat(target); err == nil {
				t.Errorf("mkdir ran: the agent answered it without running it")
			}
			var st specs.ContainerProcessState
			select {
			case st = <-states:
			case err := <-agentErr:
				if err != nil {
					t.Fatalf("agent: %v", err)
				}
				st = <-states // sent before the agent serves
			case <-time.After(10 * time.Second):
				t.Fatal("the agent got nothing")
			}
			{
				if st.Metadata != "from-the-profile" || len(st.Fds) != 1 || st.Fds[0] != specs.SeccompFdName || st.Pid <= 0 || st.State.Pid != st.Pid {
					t.Errorf("process state %+v", st)
				}
			}
		})
	}

	t.Run("no-agent", func(t *testing.T) {
		missing := filepath.Join(dir, "missing.json")
		os.WriteFile(missing, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","listenerPath":"`+filepath.Join(dir, "nobody.sock")+`",
"syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_NOTIFY"}]}`), 0o644)
		r := sysfence(t, "run", "-p", missing, "--", "/bin/true")
		if r.code != 2 || !strings.Contains(r.stderr, "seccomp agent "+filepath.Join(dir, "nobody.sock")+" (the profile's listenerPath)") {
			t.Errorf("%v", r)
		}
	})
}

// serveAgent accepts one connection, takes the listener and the state,
// and answers every notification with success, without running the call.
func serveAgent(ln *net.UnixListener, states chan<- specs.ContainerProcessState) error {
	c, err := ln.AcceptUnix()
	if err != nil {
		return err
	}
	defer c.Close()
	buf, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return fmt.Errorf("no descriptor: %v", err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return fmt.Errorf("no descriptor: %v", err)
	}
	var st specs.ContainerProcessState
	if err := json.Unmarshal(buf[:n], &st); err != nil {
		return err
	}
	states <- st
	l, err := seccomp.NewListener(fds[0])
	if err != nil {
		return err
	}
	defer l.Close()
	for {
		nt, err := l.Receive()
		if err != nil {
			return nil // the command is gone
		}
		l.Return(nt.ID, 0)
	}
}
