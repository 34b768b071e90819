//go:build !linux

package landlock

// RulesetFD builds nothing off Linux: an empty plan gives fd -1, any
// other plan an error matching ErrNotSupported.
func (p *Plan) RulesetFD() (fd int, flags uint32, err error) {
	if p.Empty() {
		return -1, 0, nil
	}
	return -1, 0, errNotLinux
}
