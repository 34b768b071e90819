package watch

import (
	"errors"
	"fmt"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
)

// Filter is one seccomp filter of a process, as the kernel keeps it: the
// program as it was loaded (the kernel saves it for its action cache and
// for PTRACE_SECCOMP_GET_FILTER) and its flags.
type Filter struct {
	Prog bpf.Program
	// Log is SECCOMP_FILTER_FLAG_LOG: the kernel logs the filter's
	// denials to the audit log.
	Log bool
	// Listener is set when a user-notification listener was created with
	// the filter (SECCOMP_FILTER_FLAG_NEW_LISTENER).
	Listener bool
}

// Verdict is what a process's filters answered a call.
type Verdict struct {
	// Action is the return value that decided: the most restrictive
	// action of all filters, data included.
	Action policy.Action
	// Filter is the deciding filter's position in the process's chain,
	// counted from the first installed (1); 0 when every filter allowed
	// the call.
	Filter int
	// PC is the instruction of the deciding filter that returned Action.
	PC int
}

// actionOnly is the kernel's ACTION_ONLY: the action bits as a signed
// number, so that KILL_PROCESS (0x80000000) is the smallest.
func actionOnly(ret uint32) int32 { return int32(ret & 0xffff0000) }

// RunChain decides a call as seccomp_run_filters does: every filter runs
// on the same data, newest first, and the lowest action wins; among equal
// actions the newest filter's answer (with its data) is the one kept.
// chain is in installation order (chain[0] is the first filter).
func RunChain(chain []Filter, d *bpf.Data) (Verdict, error) {
	if len(chain) == 0 {
		return Verdict{}, errors.New("watch: no filter")
	}
	v := Verdict{Action: policy.ActAllow}
	for i := len(chain) - 1; i >= 0; i-- {
		r, err := bpf.Run(chain[i].Prog, d, false, false)
		if err != nil {
			return Verdict{}, fmt.Errorf("watch: filter %d: %w", i+1, err)
		}
		if actionOnly(r.Ret) < actionOnly(uint32(v.Action)) {
			v = Verdict{Action: policy.Action(r.Ret), Filter: i + 1, PC: r.PC}
		}
	}
	return v, nil
}

// consistent reports whether a call skipped with result ret is what the
// answer a does: an errno answer returns exactly its errno (at most
// MAX_ERRNO), a trap rolls the registers back (rax holds the number
// again), TRACE without a tracer returns ENOSYS; a tracer or a
// supervisor may make it return anything.
func consistent(a policy.Action, ret int64, nr uint32) bool {
	switch a.Kind() {
	case policy.ActErrno:
		return ret == -int64(min(a.Data(), 4095))
	case policy.ActTrap:
		return uint64(ret) == uint64(nr)
	case policy.ActTrace, policy.ActUserNotif:
		return true
	}
	return false // ALLOW and LOG run the call; a kill is kindDead
}

// proceeding reports whether a filter's return value lets the call run
// although it is not ALLOW: LOG, TRACE (when a tracer lets it), or
// USER_NOTIF (when the supervisor answers CONTINUE).
func proceeding(ret uint32) bool {
	switch policy.Action(ret).Kind() {
	case policy.ActLog, policy.ActTrace, policy.ActUserNotif:
		return true
	}
	return false
}

// MayProceed reports whether some call of syscall nr on the ABI auditArch
// could get an answer from prog that lets it run without being ALLOW
// (LOG, TRACE, USER_NOTIF), whatever its arguments and instruction
// pointer. It follows every path the number and architecture leave open,
// tracking what is known of A, X and scratch memory; when a path returns
// A unknown, or the search grows beyond its budget, it answers true.
func MayProceed(prog bpf.Program, auditArch, nr uint32) bool {
	s := &search{prog: prog, arch: auditArch, nr: nr, seen: map[absState]bool{}, budget: 1 << 16}
	return s.walk(absState{})
}

// absVal is a 32-bit value that is either known or not.
type absVal struct {
	known bool
	v     uint32
}

type absState struct {
	pc   int
	a, x absVal
	mem  [bpf.MemWords]absVal
}

type search struct {
	prog     bpf.Program
	arch, nr uint32
	seen     map[absState]bool
	budget   int
}

// walk returns true as soon as a path can return a proceeding action.
func (s *search) walk(st absState) bool {
	for {
		if st.pc < 0 || st.pc >= len(s.prog) {
			return true // not a program the kernel accepted: say maybe
		}
		if s.seen[st] {
			return false
		}
		s.seen[st] = true
		if s.budget--; s.budget < 0 {
			return true
		}
		ins := s.prog[st.pc]
		op := ins.Op
		switch op & 0x07 {
		case bpf.ClassRET:
			switch op &^ 0x07 {
			case bpf.RetK:
				return proceeding(ins.K)
			case bpf.RetA:
				return !st.a.known || proceeding(st.a.v)
			}
			return true
		case bpf.ClassLD, bpf.ClassLDX:
			var v absVal
			switch op & 0xe0 {
			case bpf.ModeABS:
				switch ins.K {
				case bpf.OffNr:
					v = absVal{true, s.nr}
				case bpf.OffArch:
					v = absVal{true, s.arch}
				}
			case bpf.ModeIMM:
				v = absVal{true, ins.K}
			case bpf.ModeLEN:
				v = absVal{true, bpf.SeccompDataSize}
			case bpf.ModeMEM:
				if ins.K < bpf.MemWords {
					v = st.mem[ins.K]
				}
			}
			if op&0x07 == bpf.ClassLD {
				st.a = v
			} else {
				st.x = v
			}
		case bpf.ClassST:
			if ins.K < bpf.MemWords {
				st.mem[ins.K] = st.a
			}
		case bpf.ClassSTX:
			if ins.K < bpf.MemWords {
				st.mem[ins.K] = st.x
			}
		case bpf.ClassMISC:
			if op&0xf8 == bpf.MiscTXA {
				st.a = st.x
			} else {
				st.x = st.a
			}
		case bpf.ClassALU:
			src := absVal{true, ins.K}
			if op&bpf.SrcX != 0 {
				src = st.x
			}
			if op&0xf0 == bpf.AluNEG {
				if st.a.known {
					st.a.v = -st.a.v
				}
				break
			}
			if op&0xf0 == bpf.AluDIV && src.known && src.v == 0 {
				return false // the kernel's filter returns 0 (KILL_THREAD)
			}
			if !st.a.known || !src.known {
				// (A division by an unknown X may also end the filter
				// with 0, KILL_THREAD: not a proceeding answer.)
				st.a = absVal{}
				break
			}
			st.a.v = bpf.ALU(op, st.a.v, src.v)
		case bpf.ClassJMP:
			if op&0xf0 == bpf.JmpJA {
				st.pc += 1 + int(ins.K)
				continue
			}
			src := absVal{true, ins.K}
			if op&bpf.SrcX != 0 {
				src = st.x
			}
			if st.a.known && src.known {
				if bpf.Taken(op, st.a.v, src.v) {
					st.pc += 1 + int(ins.Jt)
				} else {
					st.pc += 1 + int(ins.Jf)
				}
				continue
			}
			t := st
			t.pc += 1 + int(ins.Jt)
			if s.walk(t) {
				return true
			}
			st.pc += 1 + int(ins.Jf)
			continue
		}
		st.pc++
	}
}
