//go:build libseccomp

package e2e

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/internal/reference/libseccomp"
	"github.com/sysfence/sysfence/syscalls"
)

var (
	libOnce sync.Once
	libPath string
	libErr  error
)

// With the tag, the syscall-cost benchmark also measures libseccomp's
// compilation of Docker's default, built from the same resolved OCI
// profile exactly as runc builds it (binary tree past 32 names, runc's
// ENOSYS stub in front).
func init() {
	libseccompFilter = func(b testing.TB) string {
		b.Helper()
		libOnce.Do(func() {
			var res *build.Result
			if res, libErr = build.Build(build.Request{Ref: "docker-default"}); libErr != nil {
				return
			}
			native, err := syscalls.Native()
			if err != nil {
				libErr = err
				return
			}
			prog, err := libseccomp.Build(res.Resolved.OCI, native, libseccomp.Options{Tree: libseccomp.TreeLikeRunc, ENOSYS: true})
			if err != nil {
				libErr = err
				return
			}
			libPath = filepath.Join(workDir, "docker-default-libseccomp.bpf")
			libErr = os.WriteFile(libPath, prog.Encode(binary.NativeEndian), 0o644)
		})
		if libErr != nil {
			b.Fatal(libErr)
		}
		return libPath
	}
}
