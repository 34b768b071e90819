//go:build !linux || !amd64

package ebpf

import (
	"context"
	"runtime"

	"github.com/sysfence/sysfence/record"
)

// Recorder is unavailable on this system; New always fails.
type Recorder struct{}

func unsupported() error {
	return &record.NotSupportedError{Backend: "ebpf", Missing: "Linux on x86_64 (this is " + runtime.GOOS + "/" + runtime.GOARCH + ")"}
}

// New fails with an error matching ErrNotSupported.
func New(Options) (*Recorder, error) { return nil, unsupported() }

// Follow fails with ErrNotSupported.
func (*Recorder) Follow(int) error { return unsupported() }

// Track fails with ErrNotSupported.
func (*Recorder) Track(int) error { return unsupported() }

// Progress fails with ErrNotSupported.
func (*Recorder) Progress() (record.Progress, error) { return record.Progress{}, unsupported() }

// Kill fails with ErrNotSupported.
func (*Recorder) Kill() error { return unsupported() }

// Live fails with ErrNotSupported.
func (*Recorder) Live() (int64, error) { return 0, unsupported() }

// Wait fails with ErrNotSupported.
func (*Recorder) Wait(context.Context) error { return unsupported() }

// Stop fails with ErrNotSupported.
func (*Recorder) Stop() (*record.Observations, error) { return nil, unsupported() }

// Close does nothing.
func (*Recorder) Close() error { return nil }

// Attach fails with ErrNotSupported.
func (*Recorder) Attach(int) error { return unsupported() }
