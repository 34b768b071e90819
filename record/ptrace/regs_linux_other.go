//go:build linux && !amd64

package ptrace

import "github.com/sysfence/sysfence/syscalls"

// setArg0 is implemented for x86_64 only (as is sandbox.Trace, which
// starts the command).
func setArg0(tid int, arch *syscalls.Arch, v func(old uint64) uint64) (old uint64, err error) {
	return 0, errUnknownABI
}
