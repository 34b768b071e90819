//go:build !linux

package sandbox

import (
	"fmt"
	"runtime"
)

// Trace is Linux-only: elsewhere it returns ErrNotSupported.
func Trace(cmd *Command, opts *TraceOptions) (*Result, error) {
	return nil, fmt.Errorf("sandbox: %s has no seccomp: %w", runtime.GOOS, ErrNotSupported)
}
