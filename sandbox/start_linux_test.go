package sandbox

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
)

// procStatus reads a field of /proc/PID/status.
func procStatus(t *testing.T, pid int, field string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// TestTraceReady: without a loop, Ready sees the command stopped before its
// first instruction, with the filter in and back in our process group;
// then the command runs detached and its status comes back.
func TestTraceReady(t *testing.T) {
	requireSandbox(t)
	out := tempFile(t)
	var state, seccompMode, tracer string
	var pgrp int
	var tracerIsUs bool
	res, err := Trace(&Command{Path: "/bin/sh", Args: []string{"sh", "-c", "echo hi; exit 3"}, Stdout: out}, &TraceOptions{
		Filter: bpf.Program{bpf.Ret(uint32(policy.ActAllow))},
		Ready: func(pid int) error {
			state = procStatus(t, pid, "State")
			seccompMode = procStatus(t, pid, "Seccomp")
			tracer = procStatus(t, pid, "TracerPid")
			// Ready runs on the tracer thread.
			tracerIsUs = tracer == strconv.Itoa(unix.Gettid())
			pgrp, _ = unix.Getpgid(pid)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(state, "t") || seccompMode != "2" || !tracerIsUs {
		t.Errorf("at Ready: state %q, seccomp %q, tracer %q; want a tracing stop, filter mode 2, traced by the thread Ready runs on", state, seccompMode, tracer)
	}
	if pgrp != unix.Getpgrp() {
		t.Errorf("process group %d, want ours %d", pgrp, unix.Getpgrp())
	}
	if res.ExitCode != 3 || readBack(t, out) != "hi\n" {
		t.Errorf("exit %d output %q", res.ExitCode, readBack(t, out))
	}
}

// TestTraceNoFilter: a nil filter installs nothing.
func TestTraceNoFilter(t *testing.T) {
	requireSandbox(t)
	var mode string
	res, err := Trace(&Command{Path: "/bin/true"}, &TraceOptions{Ready: func(pid int) error {
		mode = procStatus(t, pid, "Seccomp")
		return nil
	}})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%v %+v", err, res)
	}
	if mode != "0" {
		t.Errorf("seccomp mode %q, want 0", mode)
	}
}

// TestTraceLoop: the loop gets the command seized with the options asked
// for and a RET_TRACE filter in, and sees every syscall stop; the status
// it returns is the result.
func TestTraceLoop(t *testing.T) {
	requireSandbox(t)
	stops, events := 0, 0
	res, err := Trace(&Command{Path: "/bin/sh", Args: []string{"sh", "-c", "/bin/true; exit 7"}}, &TraceOptions{
		Filter:        bpf.Program{bpf.Ret(uint32(policy.ActTrace))},
		PtraceOptions: unix.PTRACE_O_TRACESECCOMP | unix.PTRACE_O_TRACEFORK | unix.PTRACE_O_TRACEVFORK | unix.PTRACE_O_TRACECLONE,
		Loop: func(root int) (syscall.WaitStatus, error) {
			if err := unix.PtraceCont(root, 0); err != nil {
				return 0, err
			}
			var rootWS unix.WaitStatus
			for {
				var ws unix.WaitStatus
				pid, err := unix.Wait4(-1, &ws, unix.WALL, nil)
				if errors.Is(err, unix.ECHILD) {
					return syscall.WaitStatus(rootWS), nil
				}
				if err != nil {
					return 0, err
				}
				if !ws.Stopped() {
					if pid == root {
						rootWS = ws
					}
					continue
				}
				sig := 0
				switch ev := uint32(ws) >> 16 & 0xff; ev {
				case unix.PTRACE_EVENT_SECCOMP:
					stops++
				case 0:
					sig = int(ws.StopSignal())
				default:
					events++
				}
				unix.PtraceCont(pid, sig)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 7 {
		t.Errorf("exit %d, want 7", res.ExitCode)
	}
	if stops < 20 || events == 0 {
		t.Errorf("%d seccomp stops, %d other events: the loop did not trace the tree", stops, events)
	}
}

func TestTraceExecErrors(t *testing.T) {
	requireSandbox(t)
	_, err := Trace(&Command{Path: "no-such-command-x"}, &TraceOptions{})
	var ee *ExecError
	if !errors.As(err, &ee) || ee.ExitCode() != 127 {
		t.Errorf("missing command: %v", err)
	}
	if _, err := Trace(&Command{Path: "/bin/true"}, &TraceOptions{PtraceOptions: unix.PTRACE_O_TRACESECCOMP}); err == nil {
		t.Error("ptrace options without a loop accepted")
	}
}
