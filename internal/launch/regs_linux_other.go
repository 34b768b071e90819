//go:build linux && !amd64

package launch

import "golang.org/x/sys/unix"

// Injecting at exec needs per-architecture register code; it exists for
// x86_64 only. Elsewhere callers check Supported before starting
// anything, and these are never called.

// Regs are a tracee's registers as PTRACE_GETREGS gives them.
type Regs = unix.PtraceRegs

// Supported tells whether commands can be started at their exec stop on
// this architecture (the injection is written for x86_64).
const Supported = false

const (
	sysClose   = 0
	sysSeccomp = 0
	sysPrctl   = 0
	redZone    = 0
)

var syscallInsn []byte

// GetRegs reads a stopped tracee's registers.
func GetRegs(pid int) (Regs, error) { return Regs{}, unix.ENOSYS }

// PC is the instruction pointer.
func PC(r *Regs) uint64 { return 0 }

// IsCompat reports whether the tracee runs 32-bit code.
func IsCompat(r *Regs) bool { return false }

func setRegs(pid int, r *Regs) error                     { return unix.ENOSYS }
func sp(r *Regs) uint64                                  { return 0 }
func compatTracee(pid int) bool                          { return false }
func prepareSyscall(r *Regs, at, nr uint64, a [6]uint64) {}
func syscallResult(r *Regs) int64                        { return -int64(unix.ENOSYS) }
func atExecStop(r *Regs) bool                            { return false }
