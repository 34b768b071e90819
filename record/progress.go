package record

import (
	"fmt"
	"time"
)

// Progress is what a running recording has seen so far, for a live
// display.
type Progress struct {
	// Processes counts the processes seen: the command and the processes
	// it and its descendants created.
	Processes uint64
	// Syscalls counts the distinct syscalls seen, per ABI (an (ABI,
	// number) pair counts once).
	Syscalls int
}

// Coverage follows when the set of distinct syscalls of a recording last
// grew, so that a long recording can say it has seen enough ("stable for
// 4m10s"). Update it with each Progress; it is not safe for concurrent
// use.
type Coverage struct {
	syscalls int
	grew     time.Time
}

// Update notes the progress seen at now.
func (c *Coverage) Update(p Progress, now time.Time) {
	if c.grew.IsZero() || p.Syscalls > c.syscalls {
		c.syscalls, c.grew = p.Syscalls, now
	}
}

// LastGrew is when the set last grew (the first Update counts).
func (c *Coverage) LastGrew() time.Time { return c.grew }

// Stable is how long the set has not grown at now.
func (c *Coverage) Stable(now time.Time) time.Duration {
	if c.grew.IsZero() {
		return 0
	}
	return now.Sub(c.grew)
}

// String says it for a live line at now: "stable for 4m10s", or "growing"
// when the set grew within the last second.
func (c *Coverage) String(now time.Time) string {
	d := c.Stable(now)
	if d < time.Second {
		return "growing"
	}
	return "stable for " + shortDuration(d)
}

// shortDuration prints 42s, 4m10s, 2h05m.
func shortDuration(d time.Duration) string {
	s := int(d.Seconds())
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, s/60%60)
}
