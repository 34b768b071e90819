package profile

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// RunningKernel returns the version of the running kernel (uname -r).
func RunningKernel() (KernelVersion, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return KernelVersion{}, fmt.Errorf("reading the kernel version: %w", err)
	}
	return ParseKernel(unix.ByteSliceToString(u.Release[:]))
}
