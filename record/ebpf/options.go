package ebpf

import "github.com/sysfence/sysfence/record"

// Options configures a Recorder.
type Options struct {
	// Args records the deciding argument values of the syscalls listed by
	// record.ArgSpecs (--args).
	Args bool
}

// ErrNotSupported is record.ErrNotSupported: errors from New match it when
// eBPF recording cannot work on this system.
var ErrNotSupported = record.ErrNotSupported
