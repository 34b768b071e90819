//go:build !linux

package profile

import "fmt"

// RunningKernel fails outside Linux: there is no running Linux kernel to
// resolve minKernel conditions against; give the version explicitly.
func RunningKernel() (KernelVersion, error) {
	return KernelVersion{}, fmt.Errorf("%w: not running on Linux; give the kernel version explicitly", ErrInvalidKernel)
}
