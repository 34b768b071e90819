package sysfence

import (
	"syscall"

	"github.com/sysfence/sysfence/policy"
)

// Action is what the filter answers for a system call: a SECCOMP_RET_*
// value with its data (the errno of Errno, the message of Trace). It is
// policy.Action, so filters, policies and reports share one type.
type Action = policy.Action

// The actions without data.
const (
	// Allow lets the call through.
	Allow Action = policy.ActAllow
	// KillProcess kills the whole process with SIGSYS (Linux 4.14); the
	// right "deny" for a Go program.
	KillProcess Action = policy.ActKillProcess
	// KillThread kills only the calling thread with SIGSYS. A Go program
	// whose thread dies this way usually hangs: prefer KillProcess.
	KillThread Action = policy.ActKillThread
	// Trap sends SIGSYS to the calling thread; the Go runtime turns it into
	// a crash with a stack trace unless the program handles SIGSYS.
	Trap Action = policy.ActTrap
	// Log allows the call and logs it to the kernel's audit log (4.14).
	Log Action = policy.ActLog
)

// maxErrno is the kernel's MAX_ERRNO: larger SECCOMP_RET_ERRNO data is
// clamped by the kernel, so the API refuses it instead.
const maxErrno = 4095

// Errno makes the call fail with errno e without running it. Values above
// 4095 (the kernel's MAX_ERRNO) are refused by Add with ErrInvalidRule.
func Errno(e syscall.Errno) Action {
	if e > 0xffff {
		e = 0xffff // out of range either way; Add reports it
	}
	return policy.Errno(uint16(e))
}

// Trace hands the call to a ptrace tracer with PTRACE_EVENT_SECCOMP and msg
// as the event message; without a tracer the call fails with ENOSYS.
func Trace(msg uint16) Action { return policy.Trace(msg) }
