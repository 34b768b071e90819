// Package procfs reads the few /proc files sysfence needs about other
// processes, in one place: fields of /proc/PID/status.
package procfs

import (
	"bytes"
	"os"
	"strconv"
)

// Status returns the value of a field of /proc/PID/status ("Tgid",
// "TracerPid", "Seccomp"), trimmed; ok is false when the process or the
// field does not exist.
func Status(pid int, field string) (value string, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return "", false
	}
	return statusField(b, field)
}

func statusField(b []byte, field string) (string, bool) {
	key := []byte(field + ":")
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if v, ok := bytes.CutPrefix(line, key); ok {
			return string(bytes.TrimSpace(v)), true
		}
	}
	return "", false
}

// StatusInt is Status for a numeric field.
func StatusInt(pid int, field string) (int, bool) {
	v, ok := Status(pid, field)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}
