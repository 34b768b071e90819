package profile

import "testing"

// plain's bitmap is the byte class it names: printable ASCII but the
// quote and the backslash.
func TestPlainBytes(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := c >= 0x20 && c < 0x7f && c != '"' && c != '\\'
		if got := plain(byte(c)); got != want {
			t.Errorf("plain(%#x) = %v, want %v", c, got, want)
		}
	}
}
