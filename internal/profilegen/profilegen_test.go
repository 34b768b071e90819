package profilegen

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/moby/profiles/seccomp"
)

// The profile is as large as asked (within a few entries), moby reads it,
// and a seed gives the same bytes.
func TestDocker(t *testing.T) {
	for _, shape := range []Shape{Entries, HugeNames} {
		for _, indent := range []bool{false, true} {
			size := 1 << 20
			data := Docker(shape, size, indent, 7)
			if len(data) < size || len(data) > size+size/50 {
				t.Errorf("%s indent=%v: %d bytes, want %d", shape, indent, len(data), size)
			}
			var s seccomp.Seccomp
			if err := json.Unmarshal(data, &s); err != nil {
				t.Fatalf("%s: moby cannot read it: %v", shape, err)
			}
			if shape == HugeNames && (len(s.Syscalls) != 1 || len(s.Syscalls[0].Names) < 40000) {
				t.Errorf("%s: %d entries", shape, len(s.Syscalls))
			}
			if shape == Entries && len(s.Syscalls) < 1000 {
				t.Errorf("%s: %d entries", shape, len(s.Syscalls))
			}
			if !bytes.Equal(data, Docker(shape, size, indent, 7)) {
				t.Errorf("%s: not deterministic", shape)
			}
		}
	}
}
