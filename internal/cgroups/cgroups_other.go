//go:build !linux

package cgroups

import "errors"

// ErrNoUnified is returned when the machine has no unified (v2) cgroup
// hierarchy, which selection needs.
var ErrNoUnified = errors.New("no cgroup v2 (unified) hierarchy: cgroups are Linux only")

// Cgroup is a cgroup of the unified hierarchy.
type Cgroup struct {
	Path  string
	Dir   string
	ID    uint64
	Level int
}

// UnifiedMount fails: cgroups are Linux only.
func UnifiedMount() (string, error) { return "", ErrNoUnified }

// Resolve fails: cgroups are Linux only.
func Resolve(string) (*Cgroup, error) { return nil, ErrNoUnified }

// FindContainer fails: cgroups are Linux only.
func FindContainer(string) (*Cgroup, error) { return nil, ErrNoUnified }

// ProcessCgroup fails: cgroups are Linux only.
func ProcessCgroup(int) (string, error) { return "", ErrNoUnified }

// Pids fails: cgroups are Linux only.
func Pids(*Cgroup) ([]int, error) { return nil, ErrNoUnified }

// Populated fails: cgroups are Linux only.
func Populated(*Cgroup) (bool, error) { return false, ErrNoUnified }

// Names maps cgroup ids to paths; there are none here.
type Names struct{}

// Path returns "".
func (*Names) Path(uint64) string { return "" }
