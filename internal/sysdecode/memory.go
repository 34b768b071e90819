package sysdecode

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"strconv"
)

// Memory is another process's address space: io.ReaderAt with addresses
// as offsets. A read that cannot be completed returns what it got and an
// error.
type Memory = io.ReaderAt

// OpenProcMem opens /proc/PID/mem for reading (the caller needs ptrace
// access to PID: its tracer, or the supervisor of its seccomp filter).
func OpenProcMem(pid int) (*os.File, error) {
	return os.Open("/proc/" + strconv.Itoa(pid) + "/mem")
}

const pageSize = 4096

// ReadString reads a NUL-terminated string of at most max bytes at addr.
// complete is false when no NUL came within max bytes. Reads never cross
// into the next page before the current one has been searched, so a
// string that ends just before an unmapped page is still read.
func ReadString(m Memory, addr uint64, max int) (s string, complete bool, err error) {
	if m == nil {
		return "", false, errors.New("sysdecode: no memory to read from")
	}
	var out []byte
	for len(out) < max {
		n := pageSize - int(addr%pageSize)
		if n > max-len(out) {
			n = max - len(out)
		}
		buf := make([]byte, n)
		got, rerr := m.ReadAt(buf, int64(addr))
		if i := indexNUL(buf[:got]); i >= 0 {
			return string(append(out, buf[:i]...)), true, nil
		}
		out = append(out, buf[:got]...)
		if got < n {
			if rerr == nil {
				rerr = io.ErrUnexpectedEOF
			}
			if len(out) == 0 {
				return "", false, rerr
			}
			return string(out), false, nil
		}
		addr += uint64(n)
	}
	return string(out), false, nil
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// readWord reads one pointer-sized word.
func readWord(m Memory, addr uint64, size int, order binary.ByteOrder) (uint64, error) {
	buf := make([]byte, size)
	if _, err := m.ReadAt(buf, int64(addr)); err != nil {
		return 0, err
	}
	if size == 4 {
		return uint64(order.Uint32(buf)), nil
	}
	return order.Uint64(buf), nil
}
