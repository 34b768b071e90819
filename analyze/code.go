package analyze

import (
	"debug/elf"
	"fmt"
	"slices"

	"golang.org/x/arch/x86/x86asm"
)

// funcVisitor collects the sites of one function.
type funcVisitor struct {
	im     *image
	fi     int32
	lo, hi uint64
	// wrappers, when set, resolves calls of these local wrappers (second
	// pass) instead of collecting everything.
	wrappers map[int32][]Loc
	resolved []SysRef
	newLocs  []Loc
	unres    []Site
	// sysOnly: only the syscall sites are collected (a second, full
	// analysis of a function whose numbers the local one missed).
	sysOnly bool
	// needFull: a syscall site the local analysis could not resolve.
	needFull bool
}

func (v *funcVisitor) fn() *Func { return &v.im.obj.Funcs[v.fi] }

func (v *funcVisitor) syscall(pc uint64, s *state, x86 bool) {
	if v.wrappers != nil {
		return
	}
	f := v.fn()
	r := s.r[0]
	if s.local && r.k != kConst {
		v.needFull = true
		return
	}
	switch r.k {
	case kConst:
		for _, c := range r.consts() {
			f.Sys = append(f.Sys, SysRef{Nr: uint32(c), X86: x86, Via: -1, At: pc})
		}
	case kParam:
		if !slices.Contains(f.WrapLocs, Loc(r.p)) {
			f.WrapLocs = append(f.WrapLocs, Loc(r.p))
		}
	default:
		f.Unresolved = append(f.Unresolved, Site{At: pc, Why: "syscall number not found"})
	}
}

func (v *funcVisitor) call(pc uint64, in *x86asm.Inst, s *state) {
	if v.sysOnly {
		return
	}
	jump := in.Op != x86asm.CALL
	var target uint64
	if t, ok := relTarget(in, pc); ok {
		target = t
		if jump && t >= v.lo && t < v.hi {
			return // a jump inside the function
		}
	} else if slotAddr, ok := ripTarget(in, pc); ok {
		if v.wrappers != nil {
			return
		}
		if ref, ok := v.im.gotSlot[slotAddr]; ok {
			v.addRef(ref, pc, s, jump)
		} else if res, ok := v.im.gotIrel[slotAddr]; ok {
			v.localEdge(res)
		} else if !jump {
			v.im.obj.Indirect++
		}
		return
	} else {
		if v.wrappers == nil && !jump {
			v.im.obj.Indirect++
		}
		return
	}
	if v.im.inPLT(target) {
		if v.wrappers != nil {
			return
		}
		if ref, ok := v.im.pltStub[target]; ok {
			v.addRef(ref, pc, s, jump)
		} else if res, ok := v.im.pltIrel[target]; ok {
			v.localEdge(res)
		} else {
			v.fn().Unresolved = append(v.fn().Unresolved, Site{At: pc, Why: fmt.Sprintf("call of PLT entry %#x without a symbol", target)})
		}
		return
	}
	callee := v.im.funcAt(target)
	if callee < 0 {
		return
	}
	if v.wrappers != nil {
		locs, ok := v.wrappers[callee]
		if !ok {
			return
		}
		for _, l := range locs {
			val := valueAtCallee(s, l, jump)
			switch val.k {
			case kConst:
				for _, c := range val.consts() {
					v.resolved = append(v.resolved, SysRef{Nr: uint32(c), Via: callee, At: pc})
				}
			case kParam:
				v.newLocs = append(v.newLocs, Loc(val.p))
			default:
				name := v.im.obj.Funcs[callee].Name
				if name == "" {
					name = fmt.Sprintf("%#x", v.im.obj.Funcs[callee].Addr)
				}
				v.unres = append(v.unres, Site{At: pc, Why: fmt.Sprintf("syscall number passed to %s in %s not found", name, l)})
			}
		}
		return
	}
	if callee != v.fi {
		f := v.fn()
		f.Calls = append(f.Calls, callee)
	}
}

// localEdge adds an edge to the local function at addr (an IFUNC
// resolver: the implementation it picks is taken by address there).
func (v *funcVisitor) localEdge(addr uint64) {
	if i, ok := v.im.index[addr]; ok && i != v.fi {
		v.fn().Calls = append(v.fn().Calls, i)
	}
}

func (v *funcVisitor) addRef(ref int32, pc uint64, s *state, jump bool) {
	site := SymSite{Sym: ref, At: pc, Call: true}
	for _, l := range argLocs {
		if val := valueAtCallee(s, l, jump); val.k == kConst {
			site.Args = append(site.Args, LocVal{Loc: l, Vals: slices.Clone(val.consts())})
		}
	}
	// The library dlopen loads (first argument) and the symbol dlsym
	// looks up (second), when they are string constants.
	if strLoc, ok := stringArg(v.im.obj.Syms[ref].Name); ok {
		if val := valueAtCallee(s, strLoc, jump); val.k == kConst {
			for _, a := range val.consts() {
				if str, ok := v.im.cString(a); ok {
					site.Strings = append(site.Strings, str)
				}
			}
		}
	}
	f := v.fn()
	f.Refs = append(f.Refs, site)
}

// stringArg is where dlopen and dlsym take the name they resolve, and
// the exec functions the program they run: rdi (7) or rsi (6). A switch,
// not a map: nothing is built at start-up.
func stringArg(name string) (Loc, bool) {
	switch name {
	case "dlopen", "__libc_dlopen_mode",
		"execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle":
		return 7, true
	case "dlmopen", "dlsym", "dlvsym", "__libc_dlsym", "posix_spawn", "posix_spawnp":
		return 6, true
	}
	return 0, false
}

// decodeFunc decodes function i (nil code when unreadable).
func (im *image) decodeFunc(i int, fc *funcCode) (lo, hi uint64) {
	lo, hi = im.starts[i], im.end(i)
	fc.insts, fc.pcs = fc.insts[:0], fc.pcs[:0]
	if hi <= lo {
		return
	}
	code := im.read(lo, int(hi-lo))
	for p := 0; p < len(code); {
		in, err := decode(code[p:])
		if err != nil || in.Len == 0 {
			// Not an instruction x86asm knows: skip a byte (as objdump
			// does); the analysis treats it as writing nothing it tracks.
			p++
			continue
		}
		fc.insts = append(fc.insts, in)
		fc.pcs = append(fc.pcs, lo+uint64(p))
		p += in.Len
	}
	return
}

// analyzeCode decodes every function, collects its sites, then resolves
// the local wrappers' numbers at their call sites.
func (im *image) analyzeCode() {
	o := im.obj
	m := &machine{goABI: o.Go, im: im}
	var fc funcCode
	nonPIE := im.f.Type == elf.ET_EXEC
	for i := range o.Funcs {
		lo, hi := im.decodeFunc(i, &fc)
		v := &funcVisitor{im: im, fi: int32(i), lo: lo, hi: hi}
		m.local(&fc, lo, hi, v)
		if v.needFull {
			o.Funcs[i].Sys = o.Funcs[i].Sys[:0]
			m.flow(&fc, lo, hi, &funcVisitor{im: im, fi: int32(i), lo: lo, hi: hi, sysOnly: true})
		}
		// Addresses taken in code: RIP-relative operands (and immediates
		// in a non-PIE executable) that name a function or a GOT slot.
		f := &o.Funcs[i]
		for k := range fc.insts {
			in := &fc.insts[k]
			if in.Op == x86asm.CALL || in.Op == x86asm.JMP {
				continue
			}
			if t, ok := ripTarget(in, fc.pcs[k]); ok {
				if j, ok := im.index[t]; ok && j != int32(i) {
					f.Calls = append(f.Calls, j)
				} else if ref, ok := im.gotSlot[t]; ok {
					f.Refs = append(f.Refs, SymSite{Sym: ref, At: fc.pcs[k]})
				}
			}
			if nonPIE {
				if c, ok := immArg(in); ok && c > 0 {
					if j, ok := im.index[uint64(c)]; ok && j != int32(i) {
						f.Calls = append(f.Calls, j)
					}
				}
			}
		}
		// Code that runs off its end continues in the next function
		// (a function split where a jump target was found).
		if j := int32(i + 1); int(j) < len(o.Funcs) && o.Funcs[j].Addr == hi && fallsThrough(&fc) {
			f.Calls = append(f.Calls, j)
		}
		f.Calls = dedup32(f.Calls)
	}
	im.resolveWrappers(m, &fc)
}

func dedup32(s []int32) []int32 {
	if len(s) < 2 {
		return s
	}
	slices.Sort(s)
	return slices.Compact(s)
}

// resolveWrappers finds the numbers of local wrappers at their callers:
// a constant there is a syscall of the caller; the caller's own
// parameter makes the caller a wrapper too, resolved at its callers.
func (im *image) resolveWrappers(m *machine, fc *funcCode) {
	o := im.obj
	callers := map[int32][]int32{}
	for i := range o.Funcs {
		for _, c := range o.Funcs[i].Calls {
			callers[c] = append(callers[c], int32(i))
		}
	}
	done := map[int32]int{} // wrapper -> how many of its locations were resolved at callers
	var queue []int32
	for i := range o.Funcs {
		if len(o.Funcs[i].WrapLocs) > 0 {
			queue = append(queue, int32(i))
		}
	}
	for len(queue) > 0 {
		w := queue[0]
		queue = queue[1:]
		locs := o.Funcs[w].WrapLocs
		if done[w] == len(locs) {
			continue
		}
		done[w] = len(locs)
		for _, c := range dedup32(slices.Clone(callers[w])) {
			lo, hi := im.decodeFunc(int(c), fc)
			v := &funcVisitor{im: im, fi: c, lo: lo, hi: hi, wrappers: map[int32][]Loc{w: locs}}
			m.local(fc, lo, hi, v)
			if len(v.unres) > 0 {
				v = &funcVisitor{im: im, fi: c, lo: lo, hi: hi, wrappers: map[int32][]Loc{w: locs}}
				m.flow(fc, lo, hi, v)
			}
			cf := &o.Funcs[c]
			cf.Sys = append(cf.Sys, v.resolved...)
			cf.Unresolved = append(cf.Unresolved, v.unres...)
			grew := false
			for _, l := range v.newLocs {
				if !slices.Contains(cf.WrapLocs, l) {
					cf.WrapLocs = append(cf.WrapLocs, l)
					grew = true
				}
			}
			if grew {
				queue = append(queue, c)
			}
		}
	}
	for i := range o.Funcs {
		f := &o.Funcs[i]
		slices.SortFunc(f.Sys, func(a, b SysRef) int {
			if a.Nr != b.Nr {
				return int(a.Nr) - int(b.Nr)
			}
			if a.X86 != b.X86 {
				if a.X86 {
					return 1
				}
				return -1
			}
			return 0
		})
		f.Sys = slices.CompactFunc(f.Sys, func(a, b SysRef) bool { return a.Nr == b.Nr && a.X86 == b.X86 })
	}
}

// findMissingStarts adds to starts the targets of direct calls and the
// code addresses taken with LEA that no symbol or FDE names (glibc's
// __restore_rt has its FDE one byte early; assembly without CFI), so that
// each is decoded from its real first instruction.
func (im *image) findMissingStarts(starts map[uint64]bool) {
	im.starts = im.starts[:0]
	for a := range starts {
		im.starts = append(im.starts, a)
	}
	slices.Sort(im.starts)
	var fc funcCode
	add := map[uint64]bool{}
	for i := range im.starts {
		lo, hi := im.decodeFunc(i, &fc)
		for k := range fc.insts {
			in := &fc.insts[k]
			var t uint64
			var ok bool
			switch {
			case in.Op == x86asm.CALL:
				t, ok = relTarget(in, fc.pcs[k])
			case in.Op == x86asm.LEA:
				t, ok = ripTarget(in, fc.pcs[k])
			case in.Op == x86asm.JMP || isJcc(in.Op):
				// A jump out of the function is a tail call: its
				// target starts a function (musl's __syscall_cp jumps
				// to __syscall_cp_c, which has no symbol).
				if t, ok = relTarget(in, fc.pcs[k]); ok && t >= lo && t < hi {
					ok = false
				}
			}
			if ok && !starts[t] && im.inExec(t) {
				add[t] = true
			}
		}
	}
	for a := range add {
		starts[a] = true
	}
}

// fallsThrough reports whether the last instruction that is not padding
// lets execution continue past the function's end. A call there is taken
// as one that does not return (__stack_chk_fail, abort): compilers put
// nothing after such calls, and a function rarely ends in a call that
// returns.
func fallsThrough(fc *funcCode) bool {
	for k := len(fc.insts) - 1; k >= 0; k-- {
		in := &fc.insts[k]
		if in.Op == x86asm.NOP || in.Op == x86asm.INT && in.Args[0] == x86asm.Imm(3) {
			continue
		}
		return !endsBlock(in.Op) && in.Op != x86asm.CALL
	}
	return false
}
