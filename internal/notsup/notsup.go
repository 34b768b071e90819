// Package notsup holds the one ErrNotSupported that every sysfence package
// re-exports (sysfence.ErrNotSupported, seccomp, landlock, record,
// sandbox), as cilium/ebpf re-exports its internal one: a caller tests
// any refusal of the operating system, the architecture or the kernel
// with a single errors.Is, whichever layer said it.
package notsup

import "errors"

// ErrNotSupported is wrapped by every error about something the running
// operating system, architecture or kernel cannot do.
var ErrNotSupported = errors.New("not supported")
