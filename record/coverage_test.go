package record

import (
	"testing"
	"time"
)

func TestCoverage(t *testing.T) {
	var c Coverage
	t0 := time.Unix(1000, 0)
	c.Update(Progress{Syscalls: 3}, t0)
	c.Update(Progress{Syscalls: 5}, t0.Add(10*time.Second))
	c.Update(Progress{Syscalls: 5}, t0.Add(20*time.Second))
	if got := c.LastGrew(); !got.Equal(t0.Add(10 * time.Second)) {
		t.Errorf("LastGrew = %v", got)
	}
	for _, tc := range []struct {
		at   time.Duration
		want string
	}{
		{10*time.Second + 500*time.Millisecond, "growing"},
		{52 * time.Second, "stable for 42s"},
		{4*time.Minute + 20*time.Second, "stable for 4m10s"},
		{2*time.Hour + 5*time.Minute + 10*time.Second, "stable for 2h05m"},
	} {
		if got := c.String(t0.Add(tc.at)); got != tc.want {
			t.Errorf("at %v: %q, want %q", tc.at, got, tc.want)
		}
	}
}
