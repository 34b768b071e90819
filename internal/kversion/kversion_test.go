package kversion

import "testing"

func TestParse(t *testing.T) {
	for in, want := range map[string]Version{"6.8.0-45-generic": {6, 8}, "3.12-1-amd64": {3, 12}, "5.10": {5, 10}, "6.18.44-fc-v1300": {6, 18}} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "6", "x.y", ".5"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if v, err := Running(); err != nil || v.Major < 3 {
		t.Errorf("Running() = %v, %v", v, err)
	}
	if !AtLeast(3, 0) || AtLeast(999, 0) {
		t.Error("AtLeast")
	}
}
