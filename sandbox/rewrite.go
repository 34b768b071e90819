package sandbox

import (
	"fmt"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
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

// cloneUntraced is CLONE_UNTRACED.
const cloneUntraced = 0x00800000

// withCloneForClone3 returns prog with, in front, a check that allows
// clone without CLONE_UNTRACED on each ABI where prog allows clone3
// unconditionally but not clone for a thread or a fork. sandbox answers
// clone3 with ENOSYS (its flags are out of the filter's sight; see
// lifetimeRules) and libc falls back to clone: a profile that allows
// clone3 alone, as one recorded on a recent glibc does, would otherwise
// lose threads and forks. Nothing is granted that clone3 did not grant
// already: clone3 can do everything clone can. ok is false when prog is
// returned unchanged.
func withCloneForClone3(prog bpf.Program, native *syscalls.Arch) (out bpf.Program, ok bool) {
	type pair struct{ token, nr uint32 }
	var pairs []pair
	for _, a := range bpf.CacheABIs(native) {
		clone, ok1 := a.Arch.Number("clone")
		clone3, ok2 := a.Arch.Number("clone3")
		if !ok1 || !ok2 || a.Arch.BigEndian != native.BigEndian {
			continue
		}
		allows := func(nr uint32, args [6]uint64) bool {
			d := bpf.Data{Arch: a.Arch.AuditArch, Nr: nr, Args: args}
			res, err := bpf.Run(prog, &d, native.BigEndian, false)
			return err == nil && policy.Action(res.Ret).Kind() == policy.ActAllow
		}
		const threadFlags = 0x3d0f00 // what glibc's pthread_create passes to clone
		const forkFlags = 0x01200011 // fork(): CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD
		if !allows(clone3, [6]uint64{0x7ffc00001000, 88}) || !allows(clone3, [6]uint64{0xc000010000, 64}) ||
			allows(clone, [6]uint64{threadFlags}) && allows(clone, [6]uint64{forkFlags}) {
			continue
		}
		pairs = append(pairs, pair{a.Arch.AuditArch, clone})
	}
	if len(pairs) == 0 || len(prog)+7*len(pairs) > bpf.MaxInstructions {
		return prog, false
	}
	out = make(bpf.Program, 0, len(prog)+7*len(pairs))
	for _, p := range pairs {
		// Each block falls into the next one (or prog) unless it is the
		// clone it looks for, without CLONE_UNTRACED.
		out = append(out,
			bpf.LoadAbs(bpf.OffArch),
			bpf.Jump(bpf.JmpJEQ, p.token, 0, 5),
			bpf.LoadAbs(bpf.OffNr),
			bpf.Jump(bpf.JmpJEQ, p.nr, 0, 3),
			bpf.LoadAbs(bpf.ArgLow(0, native.BigEndian)),
			bpf.Jump(bpf.JmpJSET, cloneUntraced, 1, 0),
			bpf.Ret(uint32(policy.ActAllow)))
	}
	return append(out, prog...), true
}
