package policy

import "github.com/sysfence/sysfence/bpf"

// Action is a seccomp filter return value. It is bpf.Action: the return
// values belong to the BPF model (the kernel's SECCOMP_RET_*), which the
// layers below policy use without importing it.
type Action = bpf.Action

// The actions of <linux/seccomp.h> (see bpf.Action).
const (
	ActKillProcess = bpf.ActKillProcess
	ActKillThread  = bpf.ActKillThread
	ActTrap        = bpf.ActTrap
	ActErrno       = bpf.ActErrno
	ActUserNotif   = bpf.ActUserNotif
	ActTrace       = bpf.ActTrace
	ActLog         = bpf.ActLog
	ActAllow       = bpf.ActAllow
)

// ErrUnknownAction is returned by ParseAction.
var ErrUnknownAction = bpf.ErrUnknownAction

// Errno returns ERRNO(errno).
func Errno(errno uint16) Action { return bpf.Errno(errno) }

// Trace returns TRACE(msg).
func Trace(msg uint16) Action { return bpf.Trace(msg) }

// ParseAction reads an action as scmp_bpf_sim prints it or an OCI name
// without data (see bpf.ParseAction).
func ParseAction(s string) (Action, error) { return bpf.ParseAction(s) }
