//go:build !linux

package sandbox

import (
	"fmt"
	"runtime"
)

// Run is Linux-only: elsewhere it returns ErrNotSupported.
func Run(cmd *Command, opts *Options) (*Result, error) {
	return nil, fmt.Errorf("sandbox: %s has no seccomp: %w", runtime.GOOS, ErrNotSupported)
}

// Exec is Linux-only: elsewhere it returns ErrNotSupported.
func Exec(cmd *Command, opts *Options) error {
	return fmt.Errorf("sandbox: %s has no seccomp: %w", runtime.GOOS, ErrNotSupported)
}

// testHooks exist on Linux only.
type testHooks struct{}
