//go:build linux && amd64

package ebpf

import (
	"context"
	"testing"

	"github.com/sysfence/sysfence/sandbox"
)

// TestTrackAtExecStop: a process tracked at its exec stop (sandbox.Trace)
// is recorded from its first instruction; its exec is counted once, and
// nothing of the launcher or of the set-up sandbox injects.
func TestTrackAtExecStop(t *testing.T) {
	bin := buildC(t, "tiny", "-nostdlib", "-static", "-O1")
	r := newRecorder(t, Options{})
	var trackErr error
	res, err := sandbox.Trace(&sandbox.Command{Path: bin}, &sandbox.TraceOptions{Ready: func(pid int) error {
		trackErr = r.Track(pid)
		if live, _ := r.Live(); live != 1 {
			t.Errorf("live = %d after Track, want 1", live)
		}
		if p, _ := r.Progress(); p.Processes != 1 || p.Syscalls != 1 {
			t.Errorf("progress after Track: %+v, want 1 process and its execve", p)
		}
		return trackErr
	}})
	if err != nil || trackErr != nil {
		t.Fatal(err, trackErr)
	}
	if res.ExitCode != 0 {
		t.Errorf("exit %d", res.ExitCode)
	}
	if err := r.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	o, err := r.Stop()
	if err != nil {
		t.Fatal(err)
	}
	got := names(o, "x86_64")
	if len(o.ABIs) != 1 || len(got) != 2 || got["execve"] != 1 || got["exit"] != 1 || o.Processes != 1 {
		t.Errorf("recorded %v (%d processes), want execve and exit once", got, o.Processes)
	}
	for _, w := range o.Warnings {
		t.Errorf("warning: %s", w)
	}
	if err := r.Track(1); err == nil {
		t.Error("a second Track was accepted")
	}
}
