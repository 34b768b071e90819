//go:build linux && !amd64

package sandbox

import (
	"golang.org/x/sys/unix"
)

// Injecting the filter at exec needs per-architecture register code; it
// exists for x86_64 only. Elsewhere Run returns ErrNotSupported before
// starting anything, and these are never called.

type regs = unix.PtraceRegs

const (
	injectSupported = false
	nativeAuditArch = 0
	auditArchI386   = 0
	sysClose        = 0
	sysSeccomp      = 0
	sysPrctl        = 0
	redZone         = 0
)

var syscallInsn []byte

func getRegs(pid int) (regs, error)                      { return regs{}, unix.ENOSYS }
func setRegs(pid int, r *regs) error                     { return unix.ENOSYS }
func pc(r *regs) uint64                                  { return 0 }
func sp(r *regs) uint64                                  { return 0 }
func isCompat(r *regs) bool                              { return false }
func compatTracee(pid int) bool                          { return false }
func prepareSyscall(r *regs, at, nr uint64, a [6]uint64) {}
func syscallResult(r *regs) int64                        { return -int64(unix.ENOSYS) }
func atExecStop(r *regs) bool                            { return false }
func killedByFilter(r *regs) bool                        { return false }
func afterSyscallInsn(b []byte) bool                     { return false }
func killedByStrict(r *regs) bool                        { return false }
func killedInCall(r *regs) bool                          { return false }
func stoppedSyscall(r *regs, b []byte) (uint32, uint32, [6]uint64, uint64, bool) {
	return 0, 0, [6]uint64{}, 0, false
}

func tscInstruction(code []byte) string { return "" }
