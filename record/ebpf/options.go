package ebpf

import "github.com/sysfence/sysfence/record"

// Options configures a Recorder.
type Options struct {
	// Args records the deciding argument values of the syscalls listed by
	// record.ArgSpecs (--args).
	Args bool
	// Cgroup, when its ID is set, records every task whose cgroup (in
	// the unified hierarchy) is that one or below it, instead of the
	// trees of Follow, Track and Attach.
	Cgroup CgroupSelector
}

// CgroupSelector names a cgroup of the unified hierarchy by its id (the
// inode number of its directory) and level (0 for the root).
type CgroupSelector struct {
	ID    uint64
	Level int
}

// ErrNotSupported is record.ErrNotSupported: errors from New match it when
// eBPF recording cannot work on this system.
var ErrNotSupported = record.ErrNotSupported
