package seccomp

import "github.com/sysfence/sysfence/bpf"

// Notif is one user notification (struct seccomp_notif): a syscall of a
// filtered task that the filter answered with SECCOMP_RET_USER_NOTIF and
// that now waits for a Response.
type Notif struct {
	ID    uint64
	Pid   uint32 // thread id of the caller, in the supervisor's pid namespace
	Flags uint32
	Data  bpf.Data
}

// Response answers a notification (struct seccomp_notif_resp). Error is a
// negative errno (-EPERM) or 0; when it is 0 the syscall returns Val. With
// Continue the kernel runs the syscall itself (Error and Val must be 0):
// never answer Continue after a decision based on memory the target can
// still change.
type Response struct {
	ID       uint64
	Val      int64
	Error    int32
	Continue bool
}

// AddFD asks the kernel to install a file descriptor of the supervisor
// into the target (struct seccomp_notif_addfd). With Send the same call
// also answers the notification with the new fd number, atomically.
type AddFD struct {
	ID      uint64
	SrcFD   int
	NewFD   int  // target fd number to use (with SetFD), else ignored
	SetFD   bool // install at NewFD (SECCOMP_ADDFD_FLAG_SETFD)
	CloExec bool // O_CLOEXEC on the new fd
	Send    bool // SECCOMP_ADDFD_FLAG_SEND
}

// NotifSizesInfo is the kernel's struct seccomp_notif_sizes.
type NotifSizesInfo struct {
	Notif     uint16
	NotifResp uint16
	Data      uint16
}
