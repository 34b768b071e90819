package recorder

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/sandbox"
	"github.com/sysfence/sysfence/seccomp"
)

func requireRecord(t *testing.T) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		testenv.Skip(t, "sandbox.Trace is implemented for x86_64 only")
	}
	if err := seccomp.CheckFilter(); err != nil {
		testenv.Skip(t, err.Error())
	}
}

func TestPrepareChoices(t *testing.T) {
	requireRecord(t)
	if _, err := Prepare(Options{Backend: "dtrace"}); !errors.Is(err, ErrUnknownBackend) {
		t.Errorf("unknown backend: %v", err)
	}
	if _, err := Prepare(Options{Backend: EBPF, Errors: true}); err == nil || !strings.Contains(err.Error(), "does not count errors") {
		t.Errorf("eBPF with errors: %v", err)
	}
	s, err := Prepare(Options{Errors: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Backend() != Ptrace || s.Fallback() == nil || !strings.Contains(s.Fallback().Error(), "does not count errors") {
		t.Errorf("auto with errors: %s (%v)", s.Backend(), s.Fallback())
	}
	a, err := Prepare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	switch {
	case os.Geteuid() == 0 && a.Backend() != EBPF && testenv.InCI():
		t.Errorf("auto as root chose %s: %v", a.Backend(), a.Fallback())
	case a.Backend() == Ptrace && !errors.Is(a.Fallback(), record.ErrNotSupported):
		t.Errorf("auto fell back to ptrace without saying why: %v", a.Fallback())
	}
}

// backends returns the backends that can run here (eBPF as root; in CI
// it must).
func backends(t *testing.T) []Backend {
	out := []Backend{Ptrace}
	s, err := Prepare(Options{Backend: EBPF})
	switch {
	case err == nil:
		s.Close()
		out = append(out, EBPF)
	case testenv.InCI():
		t.Errorf("eBPF backend unavailable in CI: %v", err)
	}
	return out
}

func TestRunAndStop(t *testing.T) {
	requireRecord(t)
	for _, be := range backends(t) {
		t.Run("backend="+string(be), func(t *testing.T) {
			s, err := Prepare(Options{Backend: be})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rec, err := s.Run(&sandbox.Command{Path: "/bin/sh", Args: []string{"sh", "-c", "exit 3"}})
			if err != nil {
				t.Fatal(err)
			}
			if rec.Result.ExitCode != 3 || rec.Stopped || rec.Processes != 1 {
				t.Errorf("exit %d stopped %v processes %d", rec.Result.ExitCode, rec.Stopped, rec.Processes)
			}
			if !s.CommandExited() {
				t.Error("CommandExited false after Run")
			}

			// Stop while a leftover runs: the leftover is killed and the
			// recording returns.
			s2, err := Prepare(Options{Backend: be})
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			done := make(chan *Recording, 1)
			go func() {
				r, err := s2.Run(&sandbox.Command{Path: "/bin/sh", Args: []string{"sh", "-c", "sleep 30 & exit 0"}})
				if err != nil {
					t.Error(err)
				}
				done <- r
			}()
			deadline := time.Now().Add(10 * time.Second)
			for !s2.CommandExited() || s2.Progress().Processes < 2 {
				if time.Now().After(deadline) {
					t.Fatalf("the command never exited: %+v", s2.Progress())
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond) // the sleep is in its nanosleep
			s2.Stop()
			select {
			case r := <-done:
				if r == nil || !r.Stopped || r.Result.ExitCode != 0 {
					t.Fatalf("after Stop: %+v", r)
				}
				if r.Processes < 2 {
					t.Errorf("processes %d, want the sleep too", r.Processes)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Stop did not end the recording")
			}
		})
	}
}
