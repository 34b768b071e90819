//go:build !linux || !amd64

package watch

import (
	"context"
	"runtime"
	"time"
)

// Watcher is unavailable on this system; New always fails.
type Watcher struct{}

// New fails with an error matching ErrNotSupported.
func New(Options) (*Watcher, error) {
	return nil, &NotSupportedError{Missing: "Linux on x86_64 (this is " + runtime.GOOS + "/" + runtime.GOARCH + ")"}
}

// Run does nothing.
func (*Watcher) Run(context.Context, time.Duration, func(Report)) error { return nil }

// Summary is empty.
func (*Watcher) Summary() Summary { return Summary{} }

// Close does nothing.
func (*Watcher) Close() error { return nil }
