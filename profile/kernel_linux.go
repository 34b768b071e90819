package profile

import "github.com/sysfence/sysfence/internal/kversion"

// RunningKernel returns the version of the running kernel (uname -r).
func RunningKernel() (KernelVersion, error) {
	v, err := kversion.Running()
	if err != nil {
		return KernelVersion{}, err
	}
	return KernelVersion{v.Major, v.Minor}, nil
}
