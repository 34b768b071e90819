package landlock

import (
	"fmt"

	golandlock "github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// Isolation: any Landlock domain, whatever it handles, confines
// ptrace-mode access of the processes in it to their own domain and the
// domains nested in it (the kernel's ptrace_access_check and
// ptrace_traceme hooks, from ABI 1). That covers PTRACE_ATTACH/SEIZE,
// process_vm_readv/writev, pidfd_getfd, kcmp and opening /proc/PID/mem
// (and the other ptrace-checked /proc files) of any process outside the
// sandbox: the launcher, the user's shell, an unrelated process of the
// same uid, as root too (Landlock does not yield to capabilities). From
// ABI 6 a domain can also be scoped, so that signals and connections to
// abstract UNIX sockets only reach processes of the same domain.
//
// A ruleset must handle something for the kernel to accept it. A plan
// with rules handles what its rules need. An isolating plan without
// rules is scoped (ABI 6) when it has scopes; otherwise it handles one
// right nobody uses unawares, MAKE_BLOCK, and grants it on / (see
// isolationFS), which makes the domain without restricting anything
// that is reachable from /.

// Scopes is a set of Landlock IPC scopes (ABI 6): what of the processes
// outside the sandbox its commands may not reach besides ptrace.
type Scopes = golandlock.ScopedSet

const (
	// ScopeAbstractUnix keeps connections to abstract UNIX sockets inside
	// the sandbox (a host's containerd-shim or X server listens on one).
	ScopeAbstractUnix Scopes = llsys.ScopeAbstractUnixSocket
	// ScopeSignal keeps signals inside the sandbox: kill(2), tgkill(2),
	// pidfd_send_signal(2) and F_SETOWN-directed signals to processes
	// outside it fail with EPERM.
	ScopeSignal Scopes = llsys.ScopeSignal
	// DefaultScopes is what sysfence run scopes unless told otherwise:
	// everything the kernel can, as a container reaches no host process.
	DefaultScopes = ScopeAbstractUnix | ScopeSignal
)

const abiScoped = 6 // LANDLOCK_SCOPE_*

// Isolate makes the plan put the command into a Landlock domain even if
// it has no rule, for ptrace scoping, with the given IPC scopes where
// the plan's ABI has them. Scopes the ABI lacks become Limits (not
// refusals: the kernel simply cannot confine them). On a plan for ABI 0
// (no Landlock) isolation is impossible: it is listed in Unenforced,
// and the caller must refuse unless it runs best effort.
func (p *Plan) Isolate(scopes Scopes) {
	if p.ABI == 0 {
		p.Unenforced = append(p.Unenforced, Gap{What: "isolation from other processes", ABI: 1,
			Detail: "without Landlock the command can ptrace, read and write the memory of, and take descriptors from processes outside its sandbox"})
		return
	}
	p.Isolated = true
	if p.ABI >= abiScoped {
		p.Scoped = scopes
	} else if scopes != 0 {
		p.Limits = append(p.Limits, Gap{What: "signals and abstract UNIX sockets", ABI: abiScoped,
			Detail: fmt.Sprintf("the command can still %v processes outside its sandbox", scopeVerbs(scopes))})
	}
	if p.isolationOnly() {
		p.Limits = append(p.Limits, isolationLimits(p.ABI)...)
	}
}

func scopeVerbs(s Scopes) string {
	switch s {
	case ScopeSignal:
		return "signal"
	case ScopeAbstractUnix:
		return "connect to abstract UNIX sockets of"
	}
	return "signal, and connect to abstract UNIX sockets of,"
}

// isolationFS is what a ruleset that must exist only for its domain
// handles, and grants on /: MAKE_BLOCK, which only creating block device
// nodes asks for (opens, execs and everything else never walk the rules
// for it), plus REFER from ABI 2, which the kernel handles implicitly in
// every domain that handles a file-system right and which would
// otherwise make renames and links between directories fail with EXDEV.
// At ABI 1 REFER cannot be granted: such renames fail (a Limit).
func isolationFS(abi int) AccessFS {
	if abi >= abiRefer {
		return llsys.AccessFSMakeBlock | llsys.AccessFSRefer
	}
	return llsys.AccessFSMakeBlock
}

// isolationOnly reports whether the plan's ruleset exists only for its
// domain: it isolates and handles nothing else.
func (p *Plan) isolationOnly() bool {
	return p.Isolated && p.HandledFS == 0 && p.HandledNet == 0 && p.Scoped == 0
}

// isolationLimits are the Limits of an isolation-only ruleset at abi.
func isolationLimits(abi int) []Gap {
	if abi >= abiRefer {
		return nil
	}
	return []Gap{{What: "cross-directory rename and link", ABI: abiRefer,
		Detail: "fail with EXDEV at this ABI (the domain that isolates the command handles a file-system right, which implies REFER)"}}
}

// isolationLine says how the plan isolates, for Lines.
func (p *Plan) isolationLine() string {
	s := fmt.Sprintf("landlock: ABI %d isolates the command: no ptrace, process_vm_readv/writev, pidfd_getfd or /proc/PID/mem of processes outside its sandbox", p.ABI)
	switch {
	case p.Scoped == DefaultScopes:
		s += ", nor signals to them or connections to their abstract UNIX sockets"
	case p.Scoped == ScopeSignal:
		s += ", nor signals to them"
	case p.Scoped == ScopeAbstractUnix:
		s += ", nor connections to their abstract UNIX sockets"
	}
	if p.isolationOnly() {
		s += fmt.Sprintf(" (the ruleset handles %v and grants it on /)", isolationFS(p.ABI))
	}
	return s
}
