package profile

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestErrnoTable checks the errno table against the kernel headers' numbers
// as golang.org/x/sys/unix has them (asm-generic numbering, as on x86).
func TestErrnoTable(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" && runtime.GOARCH != "386" && runtime.GOARCH != "riscv64" {
		t.Skip("the table uses asm-generic numbers; this GOARCH numbers some errnos differently")
	}
	for _, name := range ErrnoNames() {
		n, _ := ErrnoNumber(name)
		alias := map[string]string{"ENOTSUP": "EOPNOTSUPP", "EOPNOTSUPP": "ENOTSUP", "EDEADLK": "EDEADLOCK", "EAGAIN": "EWOULDBLOCK"}
		if got := unix.ErrnoName(unix.Errno(n)); got != name && got != alias[name] {
			t.Errorf("%s = %d, but unix names %d %s", name, n, n, got)
		}
	}
}
