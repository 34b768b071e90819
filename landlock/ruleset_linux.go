//go:build linux

package landlock

import (
	"fmt"

	golandlock "github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// RulesetFD builds the plan's Landlock ruleset and returns its file
// descriptor (close-on-exec) and the flags to pass to
// landlock_restrict_self, without restricting anything. It is for a
// launcher that enforces the ruleset in another task: package sandbox
// hands the descriptor to the command and makes the command call
// landlock_restrict_self at its exec stop, so that sysfence itself is
// never restricted. Apply uses it too.
//
// An empty plan gives fd -1. A plan made for a higher ABI than the
// kernel's is refused (ErrUnenforceable), as in Apply.
func (p *Plan) RulesetFD() (fd int, flags uint32, err error) {
	if p.Empty() {
		return -1, 0, nil
	}
	kabi, kerr := KernelABI()
	if kerr != nil {
		return -1, 0, kerr
	}
	if p.ABI > kabi {
		return -1, 0, fmt.Errorf("plan made for Landlock ABI %d, the kernel has %d: %w", p.ABI, kabi, ErrUnenforceable)
	}
	cfg := golandlock.Config{HandledAccessFS: p.HandledFS, HandledAccessNet: p.HandledNet, Scoped: p.Scoped}
	rules := make([]golandlock.Rule, 0, len(p.Paths)+len(p.Ports)+1)
	if p.isolationOnly() {
		// The kernel takes no ruleset that handles nothing: see isolationFS.
		cfg.HandledAccessFS = isolationFS(p.ABI)
		rules = append(rules, golandlock.PathAccess(cfg.HandledAccessFS, "/"))
	}
	for _, pr := range p.Paths {
		if pr.Access != 0 {
			rules = append(rules, golandlock.PathAccess(pr.Access, pr.Path))
		}
	}
	for _, pr := range p.Ports {
		if pr.Access&llsys.AccessNetBindTCP != 0 {
			rules = append(rules, golandlock.BindTCP(pr.Port))
		}
		if pr.Access&llsys.AccessNetConnectTCP != 0 {
			rules = append(rules, golandlock.ConnectTCP(pr.Port))
		}
	}
	// Not BestEffort: go-landlock refuses a config the kernel cannot take
	// instead of quietly downgrading it.
	fd, flags, err = cfg.NewRulesetFD(rules...)
	if err != nil {
		return -1, 0, fmt.Errorf("building the Landlock ruleset: %w", err)
	}
	if fd < 0 {
		return -1, 0, fmt.Errorf("building the Landlock ruleset: go-landlock had nothing to enforce for %v: %w", cfg, ErrUnenforceable)
	}
	return fd, flags, nil
}
