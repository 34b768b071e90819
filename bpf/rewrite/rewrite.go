// Package rewrite transforms compiled seccomp programs: the answers a
// launcher changes (errno answers made notifications for a supervisor
// that reports them, every denial made a notification for audit mode),
// the rules it adds behind a program's ALLOWs (Chain), and a guard that
// lets exactly one call through (CloseGuard). Each keeps what the
// program decides for every other call; each is tested here against the
// emulator.
//
// A program that returns a computed action (`ret a`) cannot be rewritten:
// its answers are not known statically (ErrComputedReturn).
package rewrite

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/syscalls"
)

// ErrComputedReturn: the program returns `ret a`, whose action is not
// known statically.
var ErrComputedReturn = errors.New("the filter returns a computed action")

// returns calls f on every return of prog; a computed return is an error.
func returns(prog bpf.Program, f func(i int, a bpf.Action)) error {
	for i, ins := range prog {
		if ins.Class() != bpf.ClassRET {
			continue
		}
		if ins.Op != bpf.ClassRET|bpf.RetK {
			return ErrComputedReturn
		}
		f(i, bpf.Action(ins.K))
	}
	return nil
}

// Has reports whether prog can answer an action of the given kind (false
// for a program with a computed return).
func Has(prog bpf.Program, kind bpf.Action) bool {
	found := false
	err := returns(prog, func(_ int, a bpf.Action) { found = found || a.Kind() == kind })
	return err == nil && found
}

// ErrnoToNotify returns a copy of prog in which every `ret ERRNO(n)`
// answers USER_NOTIF instead, so that a supervisor sees each call the
// filter denies with an errno and can report it before answering the
// very same errno (it learns n by running the original program on the
// notification's seccomp_data). Every other return is unchanged. ok is
// false when nothing was rewritten: prog has no ERRNO return, or a
// computed one; prog is then to be used as it is.
func ErrnoToNotify(prog bpf.Program) (out bpf.Program, ok bool) {
	out = slices.Clone(prog)
	err := returns(prog, func(i int, a bpf.Action) {
		if a.Kind() == bpf.ActErrno {
			out[i] = bpf.Ret(uint32(bpf.ActUserNotif))
			ok = true
		}
	})
	if err != nil || !ok {
		return prog, false
	}
	return out, true
}

// NotifyDenials returns a copy of prog in which every return that is not
// ALLOW or LOG answers USER_NOTIF: an auditing supervisor then sees each
// call the program would deny, reports it and lets it run.
func NotifyDenials(prog bpf.Program) (bpf.Program, error) {
	out := slices.Clone(prog)
	err := returns(prog, func(i int, a bpf.Action) {
		if k := a.Kind(); k != bpf.ActAllow && k != bpf.ActLog {
			out[i] = bpf.Ret(uint32(bpf.ActUserNotif))
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Chain returns prog with every ALLOW and LOG return replaced by a jump
// to tail, which is appended (twice when prog returns LOG: once as it is
// and once with its ALLOW returns made LOG, so that a logged call stays
// logged). The result is the stricter of the two programs' answers, as
// if they were stacked filters, with one program and one listener.
func Chain(prog, tail bpf.Program) (bpf.Program, error) {
	hasLog := false
	if err := returns(prog, func(_ int, a bpf.Action) { hasLog = hasLog || a.Kind() == bpf.ActLog }); err != nil {
		return nil, err
	}
	out := make(bpf.Program, 0, len(prog)+2*len(tail))
	out = append(out, prog...)
	tailAt := len(prog)
	logTailAt := tailAt + len(tail)
	returns(prog, func(i int, a bpf.Action) {
		switch a.Kind() {
		case bpf.ActAllow:
			out[i] = bpf.JumpAlways(uint32(tailAt - i - 1))
		case bpf.ActLog:
			out[i] = bpf.JumpAlways(uint32(logTailAt - i - 1))
		}
	})
	out = append(out, tail...)
	if hasLog {
		for _, ins := range tail {
			if ins.Class() == bpf.ClassRET && bpf.Action(ins.K).Kind() == bpf.ActAllow {
				ins = bpf.Ret(uint32(bpf.ActLog))
			}
			out = append(out, ins)
		}
	}
	if len(out) > bpf.MaxInstructions {
		return nil, fmt.Errorf("the filter and the rules chained behind it need %d instructions: %w", len(out), bpf.ErrTooLong)
	}
	return out, nil
}

// CloseGuardLen is the number of instructions CloseGuard prepends.
const CloseGuardLen = 13

// CloseGuard prepends to prog a check that allows exactly one call:
// close(fd, m0, m1) on the ABI auditArch (closeNr) with the two 64-bit
// magic values in the arguments close ignores. A launcher that installs a
// listener filter in its target must then close the target's copy of the
// listener fd (a target holding it could answer its own notifications);
// the filter is already in force for that close, and when the program
// does not allow close this guard lets the launcher's own call through.
// A program that learned the 128 random bits could only close a file
// descriptor.
func CloseGuard(prog bpf.Program, auditArch, closeNr uint32, bigEndian bool, magic [2]uint64) (bpf.Program, error) {
	if len(prog)+CloseGuardLen > bpf.MaxInstructions {
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
	out := make(bpf.Program, 0, CloseGuardLen+len(prog))
	for _, t := range tests {
		// A failed test jumps over the rest of the guard into prog.
		out = append(out, bpf.LoadAbs(t.off))
		out = append(out, bpf.Jump(bpf.JmpJEQ, t.val, 0, uint8(CloseGuardLen-1-len(out))))
	}
	out = append(out, bpf.Ret(uint32(bpf.ActAllow)))
	return append(out, prog...), nil
}

// CloneUntraced is CLONE_UNTRACED.
const CloneUntraced = 0x00800000

// CloneForClone3 returns prog with, in front, a check that allows clone
// without CLONE_UNTRACED on each ABI of the native architecture's kernel
// where prog allows clone3 unconditionally but not clone for a thread or
// a fork. A launcher that answers clone3 with ENOSYS (its flags are out
// of a filter's sight) makes libc fall back to clone: a profile that
// allows clone3 alone, as one recorded on a recent glibc does, would
// otherwise lose threads and forks. Nothing is granted that clone3 did
// not grant already: clone3 can do everything clone can. ok is false
// when prog is returned unchanged. clone's flags are its first argument
// on every ABI of x86 kernels (on s390 they would be its second).
func CloneForClone3(prog bpf.Program, native *syscalls.Arch) (out bpf.Program, ok bool) {
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
			return err == nil && bpf.Action(res.Ret).Kind() == bpf.ActAllow
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
			bpf.Jump(bpf.JmpJSET, CloneUntraced, 1, 0),
			bpf.Ret(uint32(bpf.ActAllow)))
	}
	return append(out, prog...), true
}
