// Package kversion reads the running kernel's version once, for the few
// checks that cannot be feature probes (a behaviour that no call reports)
// and for profiles' minKernel conditions. Prefer a probe where one exists.
package kversion

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Running returns the running kernel's MAJOR.MINOR (uname -r), read once.
var Running = sync.OnceValues(func() (Version, error) {
	rel, err := release()
	if err != nil {
		return Version{}, fmt.Errorf("reading the kernel version: %w", err)
	}
	return Parse(rel)
})

// Version is a kernel's MAJOR.MINOR.
type Version struct{ Major, Minor uint64 }

// AtLeast reports whether v >= major.minor.
func (v Version) AtLeast(major, minor uint64) bool {
	return v.Major > major || v.Major == major && v.Minor >= minor
}

// AtLeast reports whether the running kernel is at least major.minor
// (false if its version cannot be read).
func AtLeast(major, minor uint64) bool {
	v, err := Running()
	return err == nil && v.AtLeast(major, minor)
}

// Parse reads the leading MAJOR.MINOR of a release as uname -r prints it
// ("6.8.0-45-generic", "3.12-1-amd64"), as moby reads it; the rest is
// ignored.
func Parse(s string) (Version, error) {
	t := strings.TrimSpace(s)
	maj, rest, ok := strings.Cut(t, ".")
	end := 0
	for end < len(rest) && '0' <= rest[end] && rest[end] <= '9' {
		end++
	}
	a, err1 := strconv.ParseUint(maj, 10, 32)
	b, err2 := strconv.ParseUint(rest[:end], 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return Version{}, fmt.Errorf("kernel version %q: want MAJOR.MINOR such as 5.10", s)
	}
	return Version{a, b}, nil
}
