//go:build !linux

package landlock

import (
	"errors"
	"runtime"
)

var errNotLinux = &notSupportedError{errors.New("Landlock is Linux-only, this is " + runtime.GOOS)}

// KernelABI returns 0 and an error matching ErrNotSupported off Linux.
func KernelABI() (int, error) { return 0, errNotLinux }

// Apply restricts nothing off Linux: an empty plan gives an empty report,
// any other plan an error matching ErrNotSupported.
func Apply(p *Plan) (*Report, error) {
	if p.Empty() {
		rep := &Report{}
		if p != nil {
			rep.Unenforced, rep.Limits = p.Unenforced, p.Limits
		}
		return rep, nil
	}
	return nil, errNotLinux
}
