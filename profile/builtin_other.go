//go:build !linux

package profile

import "github.com/moby/profiles/seccomp"

// dockerDefault: moby defines its default profile for Linux only.
var dockerDefault func() *seccomp.Seccomp
