package bpf

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Action is a seccomp filter return value: SECCOMP_RET_* action bits in the
// high 16 bits and their data (errno, trace message) in the low 16.
type Action uint32

// The actions of <linux/seccomp.h>.
const (
	ActKillProcess Action = 0x80000000
	ActKillThread  Action = 0x00000000
	ActTrap        Action = 0x00030000
	ActErrno       Action = 0x00050000
	ActUserNotif   Action = 0x7fc00000
	ActTrace       Action = 0x7ff00000
	ActLog         Action = 0x7ffc0000
	ActAllow       Action = 0x7fff0000
)

// actionMask is SECCOMP_RET_ACTION_FULL; dataMask is SECCOMP_RET_DATA.
const (
	actionMask = 0xffff0000
	dataMask   = 0x0000ffff
)

// Errno returns ERRNO(errno).
func Errno(errno uint16) Action { return ActErrno | Action(errno) }

// Trace returns TRACE(msg).
func Trace(msg uint16) Action { return ActTrace | Action(msg) }

// Kind returns the action without its data.
func (a Action) Kind() Action { return a & actionMask }

// Data returns the errno or trace message.
func (a Action) Data() uint16 { return uint16(a & dataMask) }

// String names the action as scmp_bpf_sim prints it: ALLOW, ERRNO(1), KILL,
// KILL_PROCESS, TRAP, TRACE(n), LOG, USER_NOTIF.
func (a Action) String() string {
	switch a.Kind() {
	case ActKillProcess:
		return "KILL_PROCESS"
	case ActKillThread:
		return "KILL"
	case ActTrap:
		return "TRAP"
	case ActErrno:
		return fmt.Sprintf("ERRNO(%d)", a.Data())
	case ActUserNotif:
		return "USER_NOTIF"
	case ActTrace:
		return fmt.Sprintf("TRACE(%d)", a.Data())
	case ActLog:
		return "LOG"
	case ActAllow:
		return "ALLOW"
	}
	return fmt.Sprintf("UNKNOWN(%#x)", uint32(a))
}

// OCIName returns the Docker/OCI spelling (SCMP_ACT_*), without data.
func (a Action) OCIName() string {
	switch a.Kind() {
	case ActKillProcess:
		return "SCMP_ACT_KILL_PROCESS"
	case ActKillThread:
		return "SCMP_ACT_KILL_THREAD"
	case ActTrap:
		return "SCMP_ACT_TRAP"
	case ActErrno:
		return "SCMP_ACT_ERRNO"
	case ActUserNotif:
		return "SCMP_ACT_NOTIFY"
	case ActTrace:
		return "SCMP_ACT_TRACE"
	case ActLog:
		return "SCMP_ACT_LOG"
	case ActAllow:
		return "SCMP_ACT_ALLOW"
	}
	return ""
}

// Precedence orders actions as the kernel does when several filters
// answer: higher wins. KILL_PROCESS > KILL_THREAD > TRAP > ERRNO >
// USER_NOTIF > TRACE > LOG > ALLOW. Unknown actions rank as KILL_PROCESS
// (the kernel treats an unknown action as kill).
func (a Action) Precedence() int {
	switch a.Kind() {
	case ActAllow:
		return 0
	case ActLog:
		return 1
	case ActTrace:
		return 2
	case ActUserNotif:
		return 3
	case ActErrno:
		return 4
	case ActTrap:
		return 5
	case ActKillThread:
		return 6
	}
	return 7
}

// IsKill reports whether the action kills the thread or process.
func (a Action) IsKill() bool { return a.Kind() == ActKillThread || a.Kind() == ActKillProcess }

// ErrUnknownAction is returned by ParseAction.
var ErrUnknownAction = errors.New("unknown action")

// ParseAction reads the words scmp_bpf_sim prints (ALLOW, ERRNO(1), KILL,
// KILL_PROCESS, TRAP, TRACE(n), LOG, USER_NOTIF) or an OCI name without data.
func ParseAction(s string) (Action, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	u = strings.TrimPrefix(u, "SCMP_ACT_")
	arg := func(prefix string) (uint16, bool, error) {
		if !strings.HasPrefix(u, prefix+"(") || !strings.HasSuffix(u, ")") {
			return 0, false, nil
		}
		n, err := strconv.ParseUint(u[len(prefix)+1:len(u)-1], 0, 16)
		if err != nil {
			return 0, true, fmt.Errorf("%w %q: %v", ErrUnknownAction, s, err)
		}
		return uint16(n), true, nil
	}
	if n, ok, err := arg("ERRNO"); ok {
		return Errno(n), err
	}
	if n, ok, err := arg("TRACE"); ok {
		return Trace(n), err
	}
	switch u {
	case "ALLOW":
		return ActAllow, nil
	case "KILL", "KILL_THREAD":
		return ActKillThread, nil
	case "KILL_PROCESS":
		return ActKillProcess, nil
	case "TRAP":
		return ActTrap, nil
	case "ERRNO":
		return Errno(0), nil
	case "TRACE":
		return Trace(0), nil
	case "LOG":
		return ActLog, nil
	case "USER_NOTIF", "NOTIFY":
		return ActUserNotif, nil
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownAction, s)
}
