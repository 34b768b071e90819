package analyze

import (
	"encoding/binary"
	"fmt"
	"sort"

	"golang.org/x/arch/x86/x86asm"
)

// Short names for the opcodes the analysis interprets.
const (
	opJMP     = x86asm.JMP
	opPUSH    = x86asm.PUSH
	maxConsts = 6
)

func decode(b []byte) (x86asm.Inst, error) { return x86asm.Decode(b, 64) }

// ripTarget returns the address a RIP-relative memory operand refers to.
func ripTarget(in *x86asm.Inst, pc uint64) (uint64, bool) {
	for _, a := range in.Args {
		if m, ok := a.(x86asm.Mem); ok && m.Base == x86asm.RIP && m.Index == 0 {
			return pc + uint64(in.Len) + uint64(m.Disp), true
		}
		if a == nil {
			break
		}
	}
	return 0, false
}

func immArg(in *x86asm.Inst) (int64, bool) {
	for _, a := range in.Args {
		if v, ok := a.(x86asm.Imm); ok {
			return int64(v), true
		}
		if a == nil {
			break
		}
	}
	return 0, false
}

// value is what the analysis knows of a register or stack slot: nothing
// (top, the zero value), one of a few constants, the value a location
// had at the function's entry (a parameter), or an address in the stack
// frame (entry stack pointer + offset).
type value struct {
	k uint8
	n uint8
	p int64 // param Loc, or stack offset
	c [maxConsts]uint64
}

const (
	kTop uint8 = iota
	kConst
	kParam
	kStack
)

func constVal(v uint64) value { return value{k: kConst, n: 1, c: [maxConsts]uint64{v}} }
func paramVal(l Loc) value    { return value{k: kParam, p: int64(l)} }
func stackVal(o int64) value  { return value{k: kStack, p: o} }

func (v value) consts() []uint64 { return v.c[:v.n] }

func join(a, b value) value {
	if a.k != b.k {
		return value{}
	}
	switch a.k {
	case kTop:
		return a
	case kParam, kStack:
		if a.p == b.p {
			return a
		}
		return value{}
	}
	out := a
	for _, c := range b.consts() {
		found := false
		for _, d := range out.consts() {
			if c == d {
				found = true
				break
			}
		}
		if !found {
			if out.n == maxConsts {
				return value{}
			}
			out.c[out.n] = c
			out.n++
		}
	}
	return out
}

func (v value) eq(w value) bool {
	if v.k != w.k || v.p != w.p || v.n != w.n {
		return false
	}
	for i := 0; i < int(v.n); i++ {
		if v.c[i] != w.c[i] {
			return false
		}
	}
	return true
}

// mapConst applies f to every constant.
func (v value) mapConst(f func(uint64) uint64) value {
	if v.k != kConst {
		return value{}
	}
	for i := 0; i < int(v.n); i++ {
		v.c[i] = f(v.c[i])
	}
	return v
}

type slot struct {
	off int64
	v   value
}

// state is the abstract machine state at a program point.
type state struct {
	r     [16]value
	slots []slot // sorted by offset
	dead  bool   // no state yet
	// local: the state of a block analysed alone, whose stack offsets are
	// relative to the block's start: an unwritten slot is unknown.
	local bool
}

func entryState() state {
	var s state
	for i := range s.r {
		s.r[i] = paramVal(Loc(i))
	}
	s.r[4] = stackVal(0)
	return s
}

func (s *state) clone() state {
	c := *s
	c.slots = append([]slot(nil), s.slots...)
	return c
}

// slotDefault is what an unwritten stack slot holds: a stack argument
// above the return address, nothing known below.
func slotDefault(off int64) value {
	if off >= 8 {
		return paramVal(locStack + Loc(off))
	}
	return value{}
}

func (s *state) load(off int64) value {
	i := sort.Search(len(s.slots), func(i int) bool { return s.slots[i].off >= off })
	if i < len(s.slots) && s.slots[i].off == off {
		return s.slots[i].v
	}
	// A write that overlaps without matching makes the slot unknown.
	if i > 0 && s.slots[i-1].off > off-8 || s.local {
		return value{}
	}
	return slotDefault(off)
}

func (s *state) store(off int64, size int, v value) {
	// Drop the slots the write overlaps.
	out := s.slots[:0]
	for _, sl := range s.slots {
		if sl.off+8 > off && sl.off < off+int64(size) {
			continue
		}
		out = append(out, sl)
	}
	s.slots = out
	if size < 4 {
		v = value{}
	}
	i := sort.Search(len(s.slots), func(i int) bool { return s.slots[i].off >= off })
	s.slots = append(s.slots, slot{})
	copy(s.slots[i+1:], s.slots[i:])
	s.slots[i] = slot{off, v}
	if len(s.slots) > 64 { // keep states small: forget the deepest slots
		s.slots = s.slots[len(s.slots)-64:]
	}
}

// clobberStack forgets the slots in [lo, hi).
func (s *state) clobberStack(lo, hi int64) {
	out := s.slots[:0]
	for _, sl := range s.slots {
		if sl.off+8 > lo && sl.off < hi {
			if sl.off >= 8 {
				out = append(out, slot{sl.off, value{}})
			}
			continue
		}
		out = append(out, sl)
	}
	s.slots = out
}

func joinStates(a, b state) state {
	if a.dead {
		return b.clone()
	}
	if b.dead {
		return a
	}
	for i := range a.r {
		a.r[i] = join(a.r[i], b.r[i])
	}
	var out []slot
	i, j := 0, 0
	for i < len(a.slots) || j < len(b.slots) {
		switch {
		case j >= len(b.slots) || i < len(a.slots) && a.slots[i].off < b.slots[j].off:
			v := join(a.slots[i].v, slotDefault(a.slots[i].off))
			out = append(out, slot{a.slots[i].off, v})
			i++
		case i >= len(a.slots) || b.slots[j].off < a.slots[i].off:
			v := join(b.slots[j].v, slotDefault(b.slots[j].off))
			out = append(out, slot{b.slots[j].off, v})
			j++
		default:
			out = append(out, slot{a.slots[i].off, join(a.slots[i].v, b.slots[j].v)})
			i++
			j++
		}
	}
	a.slots = out
	return a
}

func statesEqual(a, b *state) bool {
	if a.dead != b.dead || len(a.slots) != len(b.slots) {
		return false
	}
	for i := range a.r {
		if !a.r[i].eq(b.r[i]) {
			return false
		}
	}
	for i := range a.slots {
		if a.slots[i].off != b.slots[i].off || !a.slots[i].v.eq(b.slots[i].v) {
			return false
		}
	}
	return true
}

// reg maps an x86asm register to (index, size in bytes, high byte).
func reg(r x86asm.Reg) (idx int, size int, high bool, ok bool) {
	switch {
	case r >= x86asm.AL && r <= x86asm.BL:
		return int(r - x86asm.AL), 1, false, true
	case r >= x86asm.AH && r <= x86asm.BH:
		return int(r - x86asm.AH), 1, true, true
	case r >= x86asm.SPB && r <= x86asm.R15B:
		return int(r-x86asm.SPB) + 4, 1, false, true
	case r >= x86asm.AX && r <= x86asm.R15W:
		return int(r - x86asm.AX), 2, false, true
	case r >= x86asm.EAX && r <= x86asm.R15L:
		return int(r - x86asm.EAX), 4, false, true
	case r >= x86asm.RAX && r <= x86asm.R15:
		return int(r - x86asm.RAX), 8, false, true
	}
	return 0, 0, false, false
}

// machine interprets instructions over states.
type machine struct {
	goABI bool // Go's ABIInternal: every register but rsp and rbp is caller-saved
	im    *image
}

func (m *machine) readReg(s *state, r x86asm.Reg) value {
	idx, size, high, ok := reg(r)
	if !ok {
		return value{}
	}
	v := s.r[idx]
	switch {
	case high:
		return v.mapConst(func(c uint64) uint64 { return c >> 8 & 0xff })
	case size == 8:
		return v
	case v.k == kParam && size == 4:
		return v // only the low half of a syscall number counts
	}
	mask := uint64(1)<<(8*size) - 1
	return v.mapConst(func(c uint64) uint64 { return c & mask })
}

func (m *machine) writeReg(s *state, r x86asm.Reg, v value) {
	idx, size, high, ok := reg(r)
	if !ok {
		return
	}
	switch {
	case size == 8:
		s.r[idx] = v
	case size == 4:
		if v.k == kStack {
			v = value{}
		}
		s.r[idx] = v.mapConstKeepParam(func(c uint64) uint64 { return c & 0xffffffff })
	default:
		old := s.r[idx]
		if old.k != kConst || v.k != kConst || old.n != 1 || v.n != 1 {
			s.r[idx] = value{}
			return
		}
		mask := uint64(1)<<(8*size) - 1
		shift := uint(0)
		if high {
			shift = 8
		}
		s.r[idx] = constVal(old.c[0]&^(mask<<shift) | (v.c[0]&mask)<<shift)
	}
}

func (v value) mapConstKeepParam(f func(uint64) uint64) value {
	if v.k == kParam {
		return v
	}
	return v.mapConst(f)
}

// stackAddr returns the frame offset a memory operand addresses, if its
// base holds a stack address and it has no index.
func (m *machine) stackAddr(s *state, mem x86asm.Mem) (int64, bool) {
	if mem.Index != 0 || mem.Segment != 0 {
		return 0, false
	}
	idx, size, _, ok := reg(mem.Base)
	if !ok || size != 8 {
		return 0, false
	}
	if b := s.r[idx]; b.k == kStack {
		return b.p + mem.Disp, true
	}
	return 0, false
}

func (m *machine) read(s *state, a x86asm.Arg, in *x86asm.Inst, pc uint64) value {
	switch a := a.(type) {
	case x86asm.Reg:
		return m.readReg(s, a)
	case x86asm.Imm:
		return constVal(uint64(int64(a)))
	case x86asm.Mem:
		if off, ok := m.stackAddr(s, a); ok {
			v := s.load(off)
			if in.MemBytes == 4 && v.k == kConst {
				v = v.mapConst(func(c uint64) uint64 { return c & 0xffffffff })
			} else if in.MemBytes < 4 {
				v = value{}
			}
			return v
		}
		if a.Base == x86asm.RIP && a.Index == 0 && (in.MemBytes == 4 || in.MemBytes == 8) {
			// A constant in read-only data.
			addr := pc + uint64(in.Len) + uint64(a.Disp)
			if sec := m.im.sectionAt(addr); sec != nil && sec.Flags&0x1 == 0 && sec.Type == 1 { // !SHF_WRITE, PROGBITS
				if b := m.im.read(addr, in.MemBytes); b != nil {
					if in.MemBytes == 4 {
						return constVal(uint64(binary.LittleEndian.Uint32(b)))
					}
					return constVal(binary.LittleEndian.Uint64(b))
				}
			}
		}
	}
	return value{}
}

func (m *machine) write(s *state, a x86asm.Arg, in *x86asm.Inst, v value) {
	switch a := a.(type) {
	case x86asm.Reg:
		m.writeReg(s, a, v)
	case x86asm.Mem:
		if off, ok := m.stackAddr(s, a); ok {
			size := in.MemBytes
			if size == 0 {
				size = 8
			}
			s.store(off, size, v)
		}
	}
}

// effect of one instruction; call sites and syscall sites are reported
// through the visitor, with the state before the instruction.
type visitor interface {
	syscall(pc uint64, s *state, x86 bool)
	call(pc uint64, in *x86asm.Inst, s *state)
}

var clobberOnCallC = []int{0, 1, 2, 6, 7, 8, 9, 10, 11}

func (m *machine) step(s *state, in *x86asm.Inst, pc uint64, vis visitor) {
	args := in.Args
	switch in.Op {
	case x86asm.NOP, x86asm.CMP, x86asm.TEST, x86asm.JMP, x86asm.RET, x86asm.PREFETCHT0, x86asm.PREFETCHNTA, x86asm.PAUSE, x86asm.LFENCE, x86asm.MFENCE, x86asm.SFENCE:
		return
	case x86asm.MOV, x86asm.MOVZX, x86asm.MOVSXD, x86asm.MOVSX:
		v := m.read(s, args[1], in, pc)
		if in.Op == x86asm.MOVSXD && v.k == kConst {
			v = v.mapConst(func(c uint64) uint64 { return uint64(int64(int32(c))) })
		}
		m.write(s, args[0], in, v)
		return
	case x86asm.XOR, x86asm.SUB:
		if r0, ok := args[0].(x86asm.Reg); ok {
			if r1, ok := args[1].(x86asm.Reg); ok && r0 == r1 {
				m.writeReg(s, r0, constVal(0))
				return
			}
		}
		fallthrough
	case x86asm.ADD, x86asm.AND, x86asm.OR:
		a := m.read(s, args[0], in, pc)
		b := m.read(s, args[1], in, pc)
		var v value
		switch {
		case a.k == kStack && b.k == kConst && b.n == 1 && (in.Op == x86asm.ADD || in.Op == x86asm.SUB):
			d := int64(b.c[0])
			if in.Op == x86asm.SUB {
				d = -d
			}
			v = stackVal(a.p + d)
		case a.k == kConst && b.k == kConst && b.n == 1:
			c := b.c[0]
			v = a.mapConst(func(x uint64) uint64 {
				switch in.Op {
				case x86asm.XOR:
					return x ^ c
				case x86asm.SUB:
					return x - c
				case x86asm.ADD:
					return x + c
				case x86asm.AND:
					return x & c
				}
				return x | c
			})
		}
		m.write(s, args[0], in, v)
		return
	case x86asm.LEA:
		mem, ok := args[1].(x86asm.Mem)
		var v value
		if ok {
			if off, ok := m.stackAddr(s, mem); ok {
				v = stackVal(off)
			} else if mem.Base == x86asm.RIP && mem.Index == 0 {
				v = constVal(pc + uint64(in.Len) + uint64(mem.Disp))
			} else if mem.Index == 0 && mem.Base != 0 {
				if b := m.readReg(s, mem.Base); b.k == kConst {
					v = b.mapConst(func(c uint64) uint64 { return c + uint64(mem.Disp) })
				}
			} else if mem.Base == 0 && mem.Index == 0 {
				v = constVal(uint64(mem.Disp))
			}
		}
		m.write(s, args[0], in, v)
		return
	case x86asm.PUSH:
		v := m.read(s, args[0], in, pc)
		sp := s.r[4]
		if sp.k == kStack {
			s.r[4] = stackVal(sp.p - 8)
			s.store(sp.p-8, 8, v)
		} else {
			s.r[4] = value{}
		}
		return
	case x86asm.POP:
		sp := s.r[4]
		var v value
		if sp.k == kStack {
			v = s.load(sp.p)
			s.r[4] = stackVal(sp.p + 8)
		}
		m.write(s, args[0], in, v)
		return
	case x86asm.LEAVE:
		bp := s.r[5]
		if bp.k == kStack {
			s.r[5] = s.load(bp.p)
			s.r[4] = stackVal(bp.p + 8)
		} else {
			s.r[4], s.r[5] = value{}, value{}
		}
		return
	case x86asm.XCHG:
		a := m.read(s, args[0], in, pc)
		b := m.read(s, args[1], in, pc)
		m.write(s, args[0], in, b)
		m.write(s, args[1], in, a)
		return
	case x86asm.CMOVA, x86asm.CMOVAE, x86asm.CMOVB, x86asm.CMOVBE, x86asm.CMOVE, x86asm.CMOVG, x86asm.CMOVGE, x86asm.CMOVL, x86asm.CMOVLE, x86asm.CMOVNE, x86asm.CMOVNO, x86asm.CMOVNP, x86asm.CMOVNS, x86asm.CMOVO, x86asm.CMOVP, x86asm.CMOVS:
		m.write(s, args[0], in, join(m.read(s, args[0], in, pc), m.read(s, args[1], in, pc)))
		return
	case x86asm.SYSCALL:
		vis.syscall(pc, s, false)
		s.r[0], s.r[1], s.r[11] = value{}, value{}, value{}
		return
	case x86asm.INT:
		if v, ok := args[0].(x86asm.Imm); ok && v == 0x80 {
			vis.syscall(pc, s, true)
		}
		s.r[0] = value{}
		return
	case x86asm.CALL:
		vis.call(pc, in, s)
		if m.goABI {
			for i := range s.r {
				if i != 4 && i != 5 {
					s.r[i] = value{}
				}
			}
		} else {
			for _, i := range clobberOnCallC {
				s.r[i] = value{}
			}
		}
		if sp := s.r[4]; sp.k == kStack {
			// The callee owns its stack arguments (and Go's results),
			// below this function's return address: not the slots of
			// this function's own arguments, where Go spills them.
			n := int64(64)
			if m.goABI {
				n = 128
			}
			s.clobberStack(sp.p, min(sp.p+n, 0))
		}
		return
	case x86asm.MUL, x86asm.DIV, x86asm.IDIV, x86asm.RDTSC, x86asm.RDTSCP, x86asm.XGETBV, x86asm.RDPMC:
		s.r[0], s.r[2] = value{}, value{}
		if in.Op == x86asm.RDTSCP {
			s.r[1] = value{}
		}
		return
	case x86asm.IMUL:
		if args[1] == nil {
			s.r[0], s.r[2] = value{}, value{}
			return
		}
	case x86asm.CPUID:
		s.r[0], s.r[1], s.r[2], s.r[3] = value{}, value{}, value{}, value{}
		return
	case x86asm.CDQ, x86asm.CQO, x86asm.CWD:
		s.r[2] = value{}
		return
	case x86asm.CDQE, x86asm.CWDE, x86asm.CBW, x86asm.LODSB, x86asm.LODSW, x86asm.LODSD, x86asm.LODSQ:
		s.r[0] = value{}
		if in.Op >= x86asm.LODSB && in.Op <= x86asm.LODSW {
			s.r[6], s.r[1] = value{}, value{}
		}
		return
	case x86asm.CMPXCHG, x86asm.CMPXCHG8B, x86asm.CMPXCHG16B:
		s.r[0], s.r[2] = value{}, value{}
		m.write(s, args[0], in, value{})
		return
	case x86asm.XADD:
		m.write(s, args[0], in, value{})
		m.write(s, args[1], in, value{})
		return
	case x86asm.MOVSB, x86asm.MOVSW, x86asm.MOVSD, x86asm.MOVSQ, x86asm.STOSB, x86asm.STOSW, x86asm.STOSD, x86asm.STOSQ,
		x86asm.CMPSB, x86asm.CMPSW, x86asm.CMPSD, x86asm.CMPSQ, x86asm.SCASB, x86asm.SCASW, x86asm.SCASD, x86asm.SCASQ:
		s.r[1], s.r[6], s.r[7] = value{}, value{}, value{}
		if sp := s.r[4]; sp.k == kStack {
			s.clobberStack(sp.p-4096, sp.p+4096) // a string store may hit the frame
		}
		return
	case x86asm.LOOP, x86asm.LOOPE, x86asm.LOOPNE:
		s.r[1] = value{}
		return
	case x86asm.SYSENTER:
		vis.syscall(pc, s, true)
		s.r[0] = value{}
		return
	}
	// Anything else: its first operand is written (conservatively).
	if args[0] != nil {
		m.write(s, args[0], in, value{})
	}
	if in.Op == x86asm.RDRAND {
		return
	}
}

// block is a basic block: instructions [first, last) of a function.
type block struct {
	first, last int
	succ        []int
	in          state
	indirect    bool // ends in an indirect jump
}

// funcCode is a decoded function.
type funcCode struct {
	insts []x86asm.Inst
	pcs   []uint64
}

func isJcc(op x86asm.Op) bool {
	switch op {
	case x86asm.JA, x86asm.JAE, x86asm.JB, x86asm.JBE, x86asm.JCXZ, x86asm.JE, x86asm.JECXZ, x86asm.JG, x86asm.JGE, x86asm.JL, x86asm.JLE, x86asm.JNE, x86asm.JNO, x86asm.JNP, x86asm.JNS, x86asm.JO, x86asm.JP, x86asm.JRCXZ, x86asm.JS, x86asm.LOOP, x86asm.LOOPE, x86asm.LOOPNE:
		return true
	}
	return false
}

func relTarget(in *x86asm.Inst, pc uint64) (uint64, bool) {
	if r, ok := in.Args[0].(x86asm.Rel); ok {
		return pc + uint64(in.Len) + uint64(int64(r)), true
	}
	return 0, false
}

func endsBlock(op x86asm.Op) bool {
	switch op {
	case x86asm.JMP, x86asm.RET, x86asm.LRET, x86asm.UD2, x86asm.UD1, x86asm.UD0, x86asm.HLT, x86asm.IRET, x86asm.IRETD, x86asm.IRETQ, x86asm.SYSRET:
		return true
	}
	return false
}

// leaders returns the block starts of a decoded function.
func leaders(fc *funcCode, lo, hi uint64) map[uint64]bool {
	n := len(fc.insts)
	leader := make(map[uint64]bool)
	if n == 0 {
		return leader
	}
	leader[fc.pcs[0]] = true
	for i := range fc.insts {
		in := &fc.insts[i]
		pc := fc.pcs[i]
		if in.Op == x86asm.JMP || isJcc(in.Op) {
			if t, ok := relTarget(in, pc); ok && t >= lo && t < hi {
				leader[t] = true
			}
		}
		if (in.Op == x86asm.JMP || isJcc(in.Op) || endsBlock(in.Op)) && i+1 < n {
			leader[fc.pcs[i+1]] = true
		}
	}
	return leader
}

// local analyses each basic block alone, from nothing known: cheap, and
// what it finds holds on every path (no path enters a block but at its
// start). Most syscall numbers are set in the block of their syscall.
func (m *machine) local(fc *funcCode, lo, hi uint64, vis visitor) {
	leader := leaders(fc, lo, hi)
	var s state
	for i := range fc.insts {
		if leader[fc.pcs[i]] {
			s = state{local: true, slots: s.slots[:0]}
			s.r[4] = stackVal(0)
		}
		in := &fc.insts[i]
		m.step(&s, in, fc.pcs[i], vis)
		if in.Op == x86asm.JMP {
			vis.call(fc.pcs[i], in, &s)
		} else if isJcc(in.Op) {
			if t, ok := relTarget(in, fc.pcs[i]); ok && (t < lo || t >= hi) {
				vis.call(fc.pcs[i], in, &s)
			}
		}
	}
}

// flow runs the dataflow analysis of one function and visits its sites
// with their final states.
func (m *machine) flow(fc *funcCode, lo, hi uint64, vis visitor) {
	n := len(fc.insts)
	if n == 0 {
		return
	}
	leader := leaders(fc, lo, hi)
	at := make(map[uint64]int, len(leader))
	var blocks []block
	for i := 0; i < n; i++ {
		if leader[fc.pcs[i]] || i == 0 {
			if len(blocks) > 0 {
				blocks[len(blocks)-1].last = i
			}
			at[fc.pcs[i]] = len(blocks)
			blocks = append(blocks, block{first: i, in: state{dead: true}})
		}
	}
	blocks[len(blocks)-1].last = n
	hasPred := make([]bool, len(blocks))
	hasPred[0] = true
	for bi := range blocks {
		b := &blocks[bi]
		in := &fc.insts[b.last-1]
		pc := fc.pcs[b.last-1]
		if in.Op == x86asm.JMP || isJcc(in.Op) {
			if t, ok := relTarget(in, pc); ok {
				if j, ok := at[t]; ok {
					b.succ = append(b.succ, j)
					hasPred[j] = true
				}
			} else if in.Op == x86asm.JMP {
				if _, ok := ripTarget(in, pc); !ok {
					b.indirect = true
				}
			}
		}
		if !endsBlock(in.Op) && bi+1 < len(blocks) {
			b.succ = append(b.succ, bi+1)
			hasPred[bi+1] = true
		}
	}
	blocks[0].in = entryState()
	work := []int{0}
	inWork := make([]bool, len(blocks))
	inWork[0] = true
	var orphanIn state
	orphanIn.dead = true
	seeded := false
	nop := nopVisitor{}
	budget := len(blocks) * 30
	for {
		for len(work) > 0 && budget > 0 {
			budget--
			bi := work[len(work)-1]
			work = work[:len(work)-1]
			inWork[bi] = false
			b := &blocks[bi]
			s := b.in.clone()
			for i := b.first; i < b.last; i++ {
				m.step(&s, &fc.insts[i], fc.pcs[i], nop)
			}
			if b.indirect {
				orphanIn = joinStates(orphanIn, s)
				seeded = false
			}
			for _, j := range b.succ {
				nj := joinStates(blocks[j].in.clone(), s)
				if !statesEqual(&nj, &blocks[j].in) {
					blocks[j].in = nj
					if !inWork[j] {
						inWork[j] = true
						work = append(work, j)
					}
				}
			}
		}
		if seeded || budget <= 0 {
			break
		}
		// Blocks no direct edge reaches (jump-table targets) start from
		// what the indirect jumps had, or from nothing known.
		seeded = true
		for bi := range blocks {
			if hasPred[bi] || padding(fc, &blocks[bi]) {
				continue
			}
			in := orphanIn
			if in.dead {
				in = state{}
				for i := range in.r {
					in.r[i] = value{}
				}
			}
			nj := joinStates(blocks[bi].in.clone(), in)
			if !statesEqual(&nj, &blocks[bi].in) {
				blocks[bi].in = nj
				if !inWork[bi] {
					inWork[bi] = true
					work = append(work, bi)
				}
			}
		}
		if len(work) == 0 {
			break
		}
	}
	if budget <= 0 {
		// No fixed point within the budget: start every block from
		// nothing known, which cannot give a wrong constant.
		for bi := range blocks {
			blocks[bi].in = state{}
		}
	}
	for bi := range blocks {
		b := &blocks[bi]
		s := b.in.clone()
		if s.dead {
			s = state{}
		}
		for i := b.first; i < b.last; i++ {
			m.step(&s, &fc.insts[i], fc.pcs[i], vis)
			in := &fc.insts[i]
			if in.Op == x86asm.JMP {
				vis.call(fc.pcs[i], in, &s)
			} else if isJcc(in.Op) {
				if t, ok := relTarget(in, fc.pcs[i]); ok && (t < lo || t >= hi) {
					vis.call(fc.pcs[i], in, &s)
				}
			}
		}
	}
}

// padding reports whether a block holds only alignment padding (NOPs,
// INT3): unreachable code between a jump and the next target.
func padding(fc *funcCode, b *block) bool {
	for i := b.first; i < b.last; i++ {
		in := &fc.insts[i]
		if in.Op == x86asm.INT && in.Args[0] == x86asm.Imm(3) {
			continue
		}
		switch in.Op {
		case x86asm.NOP:
		default:
			return false
		}
	}
	return true
}

type nopVisitor struct{}

func (nopVisitor) syscall(uint64, *state, bool)      {}
func (nopVisitor) call(uint64, *x86asm.Inst, *state) {}

// argLocs are the locations a wrapper may take its syscall number in,
// recorded at calls of imported functions.
var argLocs = []Loc{0, 1, 2, 3, 6, 7, 8, 9, 10, 11, locStack + 8, locStack + 16, locStack + 24}

// valueAtCallee returns, at a call (jump=false) or jump, the value the
// callee will see in location l at its entry.
func valueAtCallee(s *state, l Loc, jump bool) value {
	if l < locStack {
		return s.r[l]
	}
	sp := s.r[4]
	if sp.k != kStack {
		return value{}
	}
	off := int64(l - locStack)
	if !jump {
		off -= 8 // the call pushes the return address
	}
	return s.load(sp.p + off)
}

func (v value) String() string {
	switch v.k {
	case kConst:
		return fmt.Sprint(v.consts())
	case kParam:
		return "param " + Loc(v.p).String()
	case kStack:
		return fmt.Sprintf("stack%+d", v.p)
	}
	return "?"
}
