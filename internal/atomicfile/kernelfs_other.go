//go:build !linux

package atomicfile

// kernelFS names the kernel file system dir is on; only Linux is known.
func kernelFS(string) string { return "" }
