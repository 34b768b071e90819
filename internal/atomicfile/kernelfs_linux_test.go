package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// A file on /proc, existing or not, cannot be written: the error says
// why (procfs answers a creation with ENOENT, which once read as
// "directory /proc does not exist") and matches ErrKernelFS.
func TestKernelFS(t *testing.T) {
	if _, err := os.Stat("/proc/version"); err != nil {
		t.Fatalf("no procfs: %v", err)
	}
	for _, path := range []string{"/proc/version", "/proc/atomicfile-new", "/proc/sys/kernel/hostname"} {
		want := "directory " + filepath.Dir(path) + " is on the kernel's proc file system, where files cannot be created or replaced"
		err := CheckWritable(path)
		if !errors.Is(err, ErrKernelFS) || errors.Is(err, fs.ErrNotExist) || err.Error() != "cannot write "+path+": "+want {
			t.Errorf("CheckWritable(%s) = %v", path, err)
		}
		err = WriteFile(path, []byte("x"), 0o644)
		if !errors.Is(err, ErrKernelFS) || err.Error() != "writing "+path+": "+want {
			t.Errorf("WriteFile(%s) = %v", path, err)
		}
	}
	// /proc/self/fd/N names what the descriptor is: a pipe is written
	// directly, as /dev/stdout is.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := CheckWritable("/proc/self/fd/" + strconv.Itoa(int(w.Fd()))); err != nil {
		t.Errorf("a pipe through /proc/self/fd: %v", err)
	}
}
