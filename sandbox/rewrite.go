package sandbox

import (
	"fmt"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
)

// errnoToNotify returns a copy of prog in which every `ret ERRNO(n)`
// answers USER_NOTIF instead, so that the supervisor sees each call the
// filter denies with an errno and can report it before answering the very
// same errno (it learns n by running the original program on the
// notification's seccomp_data). Every other return is unchanged, so
// ALLOW, LOG, KILL and TRAP behave exactly as in prog.
//
// ok is false when nothing was rewritten: prog has no ERRNO return, or it
// returns a computed value (`ret a`), whose action cannot be known
// statically; prog is then to be used as it is.
func errnoToNotify(prog bpf.Program) (out bpf.Program, ok bool) {
	out = make(bpf.Program, len(prog))
	copy(out, prog)
	for i, ins := range prog {
		if ins.Class() != bpf.ClassRET {
			continue
		}
		if ins.Op != bpf.ClassRET|bpf.RetK {
			return prog, false
		}
		if policy.Action(ins.K).Kind() == policy.ActErrno {
			out[i] = bpf.Ret(uint32(policy.ActUserNotif))
			ok = true
		}
	}
	if !ok {
		return prog, false
	}
	return out, true
}

// closeGuardLen is the number of instructions withCloseGuard prepends.
const closeGuardLen = 13

// withCloseGuard prepends to prog a check that allows exactly one call:
// close(fd, m0, m1) on the native ABI with the two 64-bit magic values in
// the arguments close ignores. sandbox installs a listener filter in the
// target and must then close the target's copy of the listener fd (a
// target holding it could answer its own notifications); the filter is
// already in force for that close, and when the program does not allow
// close this guard lets sysfence's own call through. A program that
// learned the 128 random bits could only close a file descriptor.
func withCloseGuard(prog bpf.Program, auditArch, closeNr uint32, bigEndian bool, magic [2]uint64) (bpf.Program, error) {
	if len(prog)+closeGuardLen > bpf.MaxInstructions {
		return nil, fmt.Errorf("%w: no room for the close guard in a program of %d instructions", bpf.ErrTooLong, len(prog))
	}
	type test struct{ off, val uint32 }
	tests := []test{
		{bpf.OffArch, auditArch},
		{bpf.OffNr, closeNr},
		{bpf.ArgLow(1, bigEndian), uint32(magic[0])},
		{bpf.ArgHigh(1, bigEndian), uint32(magic[0] >> 32)},
		{bpf.ArgLow(2, bigEndian), uint32(magic[1])},
		{bpf.ArgHigh(2, bigEndian), uint32(magic[1] >> 32)},
	}
	out := make(bpf.Program, 0, closeGuardLen+len(prog))
	for _, t := range tests {
		// A failed test jumps over the rest of the guard into prog.
		out = append(out, bpf.LoadAbs(t.off))
		out = append(out, bpf.Jump(bpf.JmpJEQ, t.val, 0, uint8(closeGuardLen-1-len(out))))
	}
	out = append(out, bpf.Ret(uint32(policy.ActAllow)))
	return append(out, prog...), nil
}
