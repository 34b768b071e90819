//go:build linux && !amd64

package sandbox

import "github.com/sysfence/sysfence/internal/launch"

// The observer's register code exists for x86_64 only, as does the
// launcher's injection; elsewhere Run returns ErrNotSupported before
// starting anything, and these are never called.

type regs = launch.Regs

const (
	nativeAuditArch = 0
	auditArchI386   = 0
	sysClose        = 0
)

func getRegs(pid int) (regs, error)  { return launch.GetRegs(pid) }
func pc(r *regs) uint64              { return 0 }
func isCompat(r *regs) bool          { return false }
func killedByFilter(r *regs) bool    { return false }
func afterSyscallInsn(b []byte) bool { return false }
func killedByStrict(r *regs) bool    { return false }
func killedInCall(r *regs) bool      { return false }
func stoppedSyscall(r *regs, b []byte) (uint32, uint32, [6]uint64, uint64, bool) {
	return 0, 0, [6]uint64{}, 0, false
}

func tscInstruction(code []byte) string { return "" }
