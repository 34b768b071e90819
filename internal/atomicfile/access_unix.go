//go:build unix

package atomicfile

import "golang.org/x/sys/unix"

// canWrite asks the kernel whether the caller may open path for writing,
// without opening it.
func canWrite(path string) error { return unix.Access(path, unix.W_OK) }
