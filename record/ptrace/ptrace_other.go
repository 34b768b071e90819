//go:build !linux

package ptrace

import (
	"runtime"

	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/sandbox"
)

// Recorder is unavailable on this system; New always fails.
type Recorder struct{}

func unsupported() error {
	return &record.NotSupportedError{Backend: "ptrace", Missing: "Linux (this is " + runtime.GOOS + ")"}
}

// New fails with an error matching ErrNotSupported.
func New(Options) (*Recorder, error) { return nil, unsupported() }

// Run fails with ErrNotSupported.
func (*Recorder) Run(*sandbox.Command) (*record.Observations, *sandbox.Result, error) {
	return nil, nil, unsupported()
}

// Progress returns nothing.
func (*Recorder) Progress() record.Progress { return record.Progress{} }

// CommandExited returns false.
func (*Recorder) CommandExited() bool { return false }

// Kill does nothing.
func (*Recorder) Kill() {}
