package ebpf

import (
	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/sysfence/sysfence/internal/ebpfasm"
)

// Layout shared by the programs and the Go side.
const (
	abiSlots = 1024 // numbers per ABI in the counts map; others go to overflow
	abiCount = ebpfasm.ABICount

	abiNative = ebpfasm.ABINative
	abiX86    = ebpfasm.ABIX86
	abiX32    = ebpfasm.ABIX32

	bpfNoExist = 1   // BPF_NOEXIST
	errEExist  = -17 // -EEXIST

	argDeref = 1 // argspec flag: field 0 is a user pointer to a u64
)

// Indexes of the stats array.
const (
	statLive       = iota // tracked tasks alive
	statProcesses         // processes that entered the tree (the exec'd root and forks)
	statThreads           // threads that entered the tree
	statLostTasks         // tasks not followed: the tracking map was full
	statLostCounts        // syscall numbers not counted: the overflow map was full
	statExecs             // followed processes that completed their first exec
	statNoExecNr          // such execs whose execve entry was not seen
	statCount
)

// Stack slots (offsets from R10).
const (
	fpTid      = -4  // u32 key into tracked
	fpIdx      = -8  // u32 key into counts/argspec/argfull
	fpOverflow = -16 // u64 key into overflow
	fpOne      = -24 // u64 value 1
	fpArgKey   = -48 // argKey (24 bytes): idx u32, pad u32, v0 u64, v1 u64
	fpStatKey  = -56 // u32 key into stats
	fpKey2     = -60 // u32 second tid key
	fpWord     = -64 // u32 key into the tracked bitmap
)

// tidBits is PID_MAX_LIMIT on 64-bit kernels: the tracked bitmap has a bit
// for every possible thread id.
const tidBits = 1 << 22

// kernelLayout is what the programs need to know about the running kernel,
// found through BTF at load time.
type kernelLayout = ebpfasm.TaskLayout

// progMaps are the maps every program refers to.
type progMaps struct {
	tracked, counts, overflow, pending, stats *ebpf.Map // tracked: bitmap of thread ids
	argspec, argvals, argfull                 *ebpf.Map // nil without Options.Args
}

// execNumbers are the raw sys_enter ids of execve and execveat per ABI
// (x32 ids with the x32 bit), from the generated syscall tables.
type execNumbers struct {
	raw [abiCount][2]int64 // as seen in sys_enter's id (x32 with the bit)
	nr  [abiCount][2]int32 // as stored (x32 without the bit)
}

// builder is a program being written, with the helpers this package
// adds to ebpfasm.Builder.
type builder struct{ ebpfasm.Builder }

func mapPtr(r asm.Register, m *ebpf.Map) asm.Instruction { return ebpfasm.MapPtr(r, m) }

// statAdd atomically adds delta to stats[idx]. Clobbers R0-R5.
func (b *builder) statAdd(m *progMaps, idx int32, delta int32) {
	skip := b.Fresh("stat_skip")
	b.Emit(asm.StoreImm(asm.RFP, fpStatKey, int64(idx), asm.Word), mapPtr(asm.R1, m.stats))
	b.StackPtr(asm.R2, fpStatKey)
	b.Emit(asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, skip),
		asm.Mov.Imm(asm.R1, delta),
		asm.AddAtomic.Mem(asm.R0, asm.R1, asm.DWord, 0))
	b.Mark(skip)
}

// countAtIdx adds one to this CPU's count of the slot stored at fpIdx
// (u32, below abiCount*abiSlots). The counts map has one per-CPU value
// holding every slot: one per-CPU allocation instead of one per slot
// (creating a 3072-entry per-CPU array took 2 ms, a third of New). The
// slot is checked again after its reload (a 32-bit stack slot is not
// tracked by the verifier), which bounds the offset into the value.
// Clobbers R0-R5; jumps to fail if the lookup fails.
func (b *builder) countAtIdx(m *progMaps, fail string) {
	b.Emit(asm.StoreImm(asm.RFP, fpStatKey, 0, asm.Word), mapPtr(asm.R1, m.counts))
	b.StackPtr(asm.R2, fpStatKey)
	b.Emit(asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, fail),
		asm.LoadMem(asm.R1, asm.RFP, fpIdx, asm.Word),
		asm.JGE.Imm(asm.R1, abiCount*abiSlots, fail),
		asm.LSh.Imm(asm.R1, 3),
		asm.Add.Reg(asm.R0, asm.R1),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord), // per-CPU: no atomics needed
		asm.Add.Imm(asm.R1, 1),
		asm.StoreMem(asm.R0, 0, asm.R1, asm.DWord))
}

// bitWord looks up the tracked bitmap word of the tid stored at fpTid
// (u32): its address in R0 (a tid beyond the map jumps to nilLabel) and
// the tid's bit in R2. Clobbers R0-R5.
func (b *builder) bitWord(m *progMaps, fpTid int16, nilLabel string) {
	b.Emit(asm.LoadMem(asm.R1, asm.RFP, fpTid, asm.Word),
		asm.RSh.Imm(asm.R1, 6),
		asm.StoreMem(asm.RFP, fpWord, asm.R1, asm.Word),
		mapPtr(asm.R1, m.tracked))
	b.StackPtr(asm.R2, fpWord)
	b.Emit(asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, nilLabel),
		// R2 = 1 << (tid & 63)
		asm.LoadMem(asm.R3, asm.RFP, fpTid, asm.Word),
		asm.And.Imm(asm.R3, 63),
		asm.Mov.Imm(asm.R2, 1),
		asm.LSh.Reg(asm.R2, asm.R3))
}

// isTracked jumps to notTracked unless the tid stored at fpTid is in the
// tree. Clobbers R0-R5.
func (b *builder) isTracked(m *progMaps, fpTid int16, notTracked string) {
	b.bitWord(m, fpTid, notTracked)
	b.Emit(asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
		asm.And.Reg(asm.R1, asm.R2),
		asm.JEq.Imm(asm.R1, 0, notTracked))
}

// track adds the tid stored at fpTid to the tree; a newly set bit counts
// as live. Clobbers R0-R5.
func (b *builder) track(m *progMaps, fpTid int16) {
	lost, end := b.Fresh("track_lost"), b.Fresh("track_end")
	b.bitWord(m, fpTid, lost)
	b.Emit(asm.Mov.Reg(asm.R1, asm.R2),
		ebpfasm.Atomic(asm.FetchOr, asm.R0, asm.R1), // R1 = old word
		asm.And.Reg(asm.R1, asm.R2),
		asm.JNE.Imm(asm.R1, 0, end))
	b.statAdd(m, statLive, 1)
	b.Emit(asm.Ja.Label(end))
	b.Mark(lost)
	b.statAdd(m, statLostTasks, 1)
	b.Mark(end)
}

// untrack removes the tid stored at fpTid; a cleared bit counts down
// live. Untracked tids cost a load, no atomic. Clobbers R0-R5.
func (b *builder) untrack(m *progMaps, fpTid int16) {
	end := b.Fresh("untrack_end")
	b.bitWord(m, fpTid, end)
	b.Emit(asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
		asm.And.Reg(asm.R1, asm.R2),
		asm.JEq.Imm(asm.R1, 0, end),
		asm.Mov.Reg(asm.R1, asm.R2),
		asm.Xor.Imm(asm.R1, -1), // ~bit
		ebpfasm.Atomic(asm.FetchAnd, asm.R0, asm.R1),
		asm.And.Reg(asm.R1, asm.R2),
		asm.JEq.Imm(asm.R1, 0, end)) // another CPU cleared it first
	b.statAdd(m, statLive, -1)
	b.Mark(end)
}

// abi sets R9 to the ABI of the current syscall and strips the x32 bit
// from R8 (the id); R7 holds the current task. Clobbers R1.
func (b *builder) abi(k *kernelLayout) { b.ABI(k, asm.R7, asm.R8, asm.R9, asm.R1) }

// count counts the call whose id is in R8 (R7 the task) by ABI and
// number, with its deciding arguments when argspec is set, and returns 0;
// the "exit" label is its return. Numbers beyond the slots (and ids like
// -1) are kept by number, in the overflow map.
func (b *builder) count(k *kernelLayout, m *progMaps) {
	b.abi(k)
	b.Emit(asm.JGE.Imm(asm.R8, abiSlots, "overflow"), // also negative ids
		asm.Mov.Reg(asm.R1, asm.R9),
		asm.Mul.Imm(asm.R1, abiSlots),
		asm.Add.Reg(asm.R1, asm.R8),
		asm.StoreMem(asm.RFP, fpIdx, asm.R1, asm.Word))
	b.countAtIdx(m, "exit")
	if m.argspec != nil {
		b.args(m)
	}
	b.Mark("exit")
	b.Emit(asm.Mov.Imm(asm.R0, 0), asm.Return())
	b.overflow(m)
}

// sysEnter counts the syscalls of tracked tasks by (ABI, number) and, with
// argspec, their deciding argument values. For an untracked task it only
// notes the execve of a followed (pending) process. With a cgroup
// selected, the tasks of that cgroup and below it are the tracked ones.
func sysEnter(k *kernelLayout, m *progMaps, ex *execNumbers, cg CgroupSelector) asm.Instructions {
	b := &builder{}
	if cg.ID != 0 {
		return sysEnterCgroup(k, m, cg)
	}
	// The current task (a BTF pointer the verifier checks loads from)
	// gives the thread id and the ABI without helper copies; the tracked
	// test is a bit in an array, whose lookup the verifier inlines.
	b.Emit(asm.Mov.Reg(asm.R6, asm.R1),
		asm.FnGetCurrentTaskBtf.Call(),
		asm.Mov.Reg(asm.R7, asm.R0),
		asm.LoadMem(asm.R1, asm.R7, int16(k.Pid), asm.Word),
		asm.StoreMem(asm.RFP, fpTid, asm.R1, asm.Word),
		asm.LoadMem(asm.R8, asm.R6, 8, asm.DWord)) // id = ctx->args[1]
	b.isTracked(m, fpTid, "untracked")

	// Tracked: count.
	b.count(k, m)

	// Untracked: only an execve/execveat of a pending process matters.
	b.Mark("untracked")
	for _, id := range []int64{ex.raw[0][0], ex.raw[0][1], ex.raw[1][0], ex.raw[1][1], ex.raw[2][0], ex.raw[2][1]} {
		b.Emit(asm.JEq.Imm(asm.R8, int32(id), "maybe_exec"))
	}
	b.Emit(asm.Ja.Label("exit"))
	b.Mark("maybe_exec")
	b.abi(k)
	// Is (R9, R8) an exec call of its ABI?
	for abi := range abiCount {
		next := b.Fresh("exec_abi")
		b.Emit(asm.JNE.Imm(asm.R9, int32(abi), next),
			asm.JEq.Imm(asm.R8, ex.nr[abi][0], "is_exec"),
			asm.JEq.Imm(asm.R8, ex.nr[abi][1], "is_exec"),
			asm.Ja.Label("exit"))
		b.Mark(next)
	}
	b.Emit(asm.Ja.Label("exit"))
	b.Mark("is_exec")
	b.Emit(asm.LoadMem(asm.R1, asm.R7, int16(k.Tgid), asm.Word),
		asm.StoreMem(asm.RFP, fpKey2, asm.R1, asm.Word),
		mapPtr(asm.R1, m.pending))
	b.StackPtr(asm.R2, fpKey2)
	b.Emit(asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "exit"),
		asm.Mov.Reg(asm.R1, asm.R9),
		asm.Add.Imm(asm.R1, 1), // 0 means "no exec seen yet"
		asm.StoreMem(asm.R0, 0, asm.R1, asm.Word),
		asm.StoreMem(asm.R0, 4, asm.R8, asm.Word),
		asm.Ja.Label("exit"))
	return b.Insns
}

// sysEnterCgroup counts the syscalls of the tasks in a cgroup, or below
// it: the kernel's ancestor id at the cgroup's level is the cgroup's id.
func sysEnterCgroup(k *kernelLayout, m *progMaps, cg CgroupSelector) asm.Instructions {
	b := &builder{}
	b.Emit(asm.Mov.Reg(asm.R6, asm.R1),
		asm.Mov.Imm(asm.R1, int32(cg.Level)),
		asm.FnGetCurrentAncestorCgroupId.Call(),
		asm.LoadImm(asm.R1, int64(cg.ID), asm.DWord),
		asm.JNE.Reg(asm.R0, asm.R1, "exit"),
		asm.FnGetCurrentTaskBtf.Call(),
		asm.Mov.Reg(asm.R7, asm.R0),
		asm.LoadMem(asm.R8, asm.R6, 8, asm.DWord)) // id = ctx->args[1]
	b.count(k, m)
	return b.Insns
}

// overflow counts a number beyond the slots (or an id like -1) by
// number. R8 id, R9 ABI.
func (b *builder) overflow(m *progMaps) {
	b.Mark("overflow")
	b.Emit(asm.Mov.Reg(asm.R1, asm.R9),
		asm.LSh.Imm(asm.R1, 32),
		asm.Mov.Reg32(asm.R2, asm.R8), // zero-extends the low 32 bits
		asm.Or.Reg(asm.R1, asm.R2),
		asm.StoreMem(asm.RFP, fpOverflow, asm.R1, asm.DWord),
		mapPtr(asm.R1, m.overflow))
	b.StackPtr(asm.R2, fpOverflow)
	b.Emit(asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "overflow_new"),
		asm.Mov.Imm(asm.R1, 1),
		asm.AddAtomic.Mem(asm.R0, asm.R1, asm.DWord, 0),
		asm.Ja.Label("exit"))
	b.Mark("overflow_new")
	b.Emit(asm.Mov.Imm(asm.R1, 1), asm.StoreMem(asm.RFP, fpOne, asm.R1, asm.DWord), mapPtr(asm.R1, m.overflow))
	b.StackPtr(asm.R2, fpOverflow)
	b.StackPtr(asm.R3, fpOne)
	b.Emit(asm.Mov.Imm(asm.R4, 0), asm.FnMapUpdateElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "exit"))
	b.statAdd(m, statLostCounts, 1)
	b.Emit(asm.Ja.Label("exit"))
}

// seed adds the thread id in ctx->args[0] to the tree (or, with remove,
// takes it out), with the same atomic operations as the other programs:
// Attach runs it through BPF_PROG_RUN for each thread of the processes
// it attaches to, while those run and fork.
func seed(m *progMaps, remove bool) asm.Instructions {
	b := &builder{}
	b.Emit(asm.LoadMem(asm.R1, asm.R1, 0, asm.DWord),
		asm.StoreMem(asm.RFP, fpTid, asm.R1, asm.Word))
	if remove {
		b.untrack(m, fpTid)
	} else {
		b.track(m, fpTid)
	}
	b.Emit(asm.Mov.Imm(asm.R0, 0), asm.Return())
	return b.Insns
}

// args records the deciding argument values of the current syscall when
// argspec has an entry for its index (stored at fpIdx). Registers: R6 ctx.
func (b *builder) args(m *progMaps) {
	b.Emit(mapPtr(asm.R1, m.argspec))
	b.StackPtr(asm.R2, fpIdx)
	b.Emit(asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "exit"),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.Word), // number of fields
		asm.JEq.Imm(asm.R1, 0, "exit"),
		asm.Mov.Reg(asm.R9, asm.R0), // spec (the ABI is in the index now)
		asm.LoadMem(asm.R1, asm.RFP, fpIdx, asm.Word),
		asm.StoreMem(asm.RFP, fpArgKey, asm.R1, asm.Word),
		asm.StoreImm(asm.RFP, fpArgKey+4, 0, asm.Word),
		asm.Mov.Imm(asm.R1, 0), asm.StoreMem(asm.RFP, fpArgKey+8, asm.R1, asm.DWord),
		asm.Mov.Imm(asm.R1, 0), asm.StoreMem(asm.RFP, fpArgKey+16, asm.R1, asm.DWord))
	// v0 = *(regs + off0)
	b.readReg(4, fpArgKey+8)
	b.Emit(asm.LoadMem(asm.R1, asm.R9, 12, asm.Word),
		asm.JSet.Imm(asm.R1, argDeref, "args_deref"))
	b.Mark("args_second")
	b.Emit(asm.LoadMem(asm.R1, asm.R9, 0, asm.Word),
		asm.JLT.Imm(asm.R1, 2, "args_store"))
	b.readReg(8, fpArgKey+16)
	b.Emit(asm.Ja.Label("args_store"))

	b.Mark("args_deref") // v0 = *(u64 __user *)v0
	b.Emit(asm.LoadMem(asm.R3, asm.RFP, fpArgKey+8, asm.DWord))
	b.StackPtr(asm.R1, fpArgKey+8)
	b.Emit(asm.Mov.Imm(asm.R2, 8),
		asm.FnProbeReadUser.Call(),
		asm.JEq.Imm(asm.R0, 0, "args_second"),
		asm.Ja.Label("args_lost"))

	b.Mark("args_store")
	b.Emit(mapPtr(asm.R1, m.argvals))
	b.StackPtr(asm.R2, fpArgKey)
	b.Emit(asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "args_new"),
		asm.Mov.Imm(asm.R1, 1),
		asm.AddAtomic.Mem(asm.R0, asm.R1, asm.DWord, 0),
		asm.Ja.Label("exit"))
	b.Mark("args_new")
	b.Emit(asm.Mov.Imm(asm.R1, 1), asm.StoreMem(asm.RFP, fpOne, asm.R1, asm.DWord), mapPtr(asm.R1, m.argvals))
	b.StackPtr(asm.R2, fpArgKey)
	b.StackPtr(asm.R3, fpOne)
	b.Emit(asm.Mov.Imm(asm.R4, bpfNoExist), asm.FnMapUpdateElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "exit"),
		asm.JEq.Imm(asm.R0, errEExist, "exit")) // another CPU added it first
	// The set is full (or memory unreadable): this syscall's values are
	// incomplete, so its rule must not restrict them.
	b.Mark("args_lost")
	b.Emit(mapPtr(asm.R1, m.argfull))
	b.StackPtr(asm.R2, fpIdx)
	b.Emit(asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "exit"),
		asm.StoreImm(asm.R0, 0, 1, asm.Word),
		asm.Ja.Label("exit"))
}

// readReg reads the pt_regs word whose offset is at spec+specOff into the
// stack at fp. R6 ctx, R9 spec.
func (b *builder) readReg(specOff int16, fp int16) {
	b.Emit(asm.LoadMem(asm.R3, asm.R6, 0, asm.DWord), // regs = ctx->args[0]
		asm.LoadMem(asm.R1, asm.R9, specOff, asm.Word),
		asm.Add.Reg(asm.R3, asm.R1))
	b.StackPtr(asm.R1, int32(fp))
	b.Emit(asm.Mov.Imm(asm.R2, 8), asm.FnProbeReadKernel.Call(),
		asm.JNE.Imm(asm.R0, 0, "args_lost"))
}

// processFork adds a child of a tracked task to the tree. It runs in the
// parent (sched_process_fork fires in the task calling fork/clone, before
// the child is woken), so the child is tracked before its first syscall.
func processFork(k *kernelLayout, m *progMaps) asm.Instructions {
	b := &builder{}
	b.Emit(asm.Mov.Reg(asm.R6, asm.R1),
		asm.FnGetCurrentPidTgid.Call(),
		asm.StoreMem(asm.RFP, fpTid, asm.R0, asm.Word))
	b.isTracked(m, fpTid, "exit")
	// child->pid and child->tgid
	for _, f := range []struct {
		off uint32
		fp  int16
	}{{k.Pid, fpKey2}, {k.Tgid, fpIdx}} {
		b.Emit(asm.LoadMem(asm.R3, asm.R6, 8, asm.DWord), asm.Add.Imm(asm.R3, int32(f.off)))
		b.StackPtr(asm.R1, int32(f.fp))
		b.Emit(asm.Mov.Imm(asm.R2, 4), asm.FnProbeReadKernel.Call(),
			asm.JNE.Imm(asm.R0, 0, "lost"))
	}
	b.track(m, fpKey2)
	b.Emit(asm.LoadMem(asm.R1, asm.RFP, fpKey2, asm.Word),
		asm.LoadMem(asm.R2, asm.RFP, fpIdx, asm.Word),
		asm.JNE.Reg(asm.R1, asm.R2, "thread"))
	b.statAdd(m, statProcesses, 1)
	b.Emit(asm.Ja.Label("exit"))
	b.Mark("thread")
	b.statAdd(m, statThreads, 1)
	b.Emit(asm.Ja.Label("exit"))
	b.Mark("lost")
	b.statAdd(m, statLostTasks, 1)
	b.Mark("exit")
	b.Emit(asm.Mov.Imm(asm.R0, 0), asm.Return())
	return b.Insns
}

// processExit removes an exiting task. Its last syscall's sys_enter has
// completed before do_exit reaches this tracepoint.
func processExit(m *progMaps) asm.Instructions {
	b := &builder{}
	b.Emit(asm.FnGetCurrentPidTgid.Call(), asm.StoreMem(asm.RFP, fpTid, asm.R0, asm.Word))
	b.untrack(m, fpTid)
	b.Emit(asm.Mov.Imm(asm.R0, 0), asm.Return())
	return b.Insns
}

// processExec starts tracking a followed process at its first successful
// exec and counts that execve (its sys_enter was noted in pending). It
// also moves a tracked thread that exec'd from a non-leader thread to the
// leader's id, which it takes over (de_thread).
func processExec(m *progMaps) asm.Instructions {
	b := &builder{}
	b.Emit(asm.Mov.Reg(asm.R6, asm.R1),
		asm.FnGetCurrentPidTgid.Call(),
		asm.Mov.Reg(asm.R7, asm.R0),
		asm.StoreMem(asm.RFP, fpTid, asm.R0, asm.Word))
	b.isTracked(m, fpTid, "not_tracked")
	b.Emit(asm.Ja.Label("exit")) // tracked already
	b.Mark("not_tracked")
	b.Emit(asm.LoadMem(asm.R1, asm.R6, 8, asm.DWord), // old_pid
		asm.StoreMem(asm.RFP, fpKey2, asm.R1, asm.Word))
	b.isTracked(m, fpKey2, "pending")
	b.untrack(m, fpKey2)
	b.track(m, fpTid)
	b.Emit(asm.Ja.Label("exit"))

	b.Mark("pending")
	b.Emit(asm.Mov.Reg(asm.R1, asm.R7),
		asm.RSh.Imm(asm.R1, 32),
		asm.StoreMem(asm.RFP, fpKey2, asm.R1, asm.Word),
		mapPtr(asm.R1, m.pending))
	b.StackPtr(asm.R2, fpKey2)
	b.Emit(asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "exit"),
		asm.LoadMem(asm.R8, asm.R0, 0, asm.Word), // abi+1, 0 if unseen
		asm.LoadMem(asm.R9, asm.R0, 4, asm.Word), // nr
		// An exec whose execve entry came before Follow (the launcher's
		// own start: its parent may see the close-on-exec pipe close
		// before this tracepoint fires) does not start the recording;
		// the next one will.
		asm.JEq.Imm(asm.R8, 0, "exit"),
		mapPtr(asm.R1, m.pending))
	b.StackPtr(asm.R2, fpKey2)
	b.Emit(asm.FnMapDeleteElem.Call())
	b.track(m, fpTid)
	b.statAdd(m, statProcesses, 1)
	b.statAdd(m, statExecs, 1)
	b.Emit(asm.JGE.Imm(asm.R9, abiSlots, "noexec"),
		asm.JGT.Imm(asm.R8, abiCount, "noexec"),
		asm.Mov.Reg(asm.R1, asm.R8),
		asm.Add.Imm(asm.R1, -1),
		asm.Mul.Imm(asm.R1, abiSlots),
		asm.Add.Reg(asm.R1, asm.R9),
		asm.StoreMem(asm.RFP, fpIdx, asm.R1, asm.Word))
	b.countAtIdx(m, "exit")
	b.Emit(asm.Ja.Label("exit"))
	b.Mark("noexec")
	b.statAdd(m, statNoExecNr, 1)
	b.Mark("exit")
	b.Emit(asm.Mov.Imm(asm.R0, 0), asm.Return())
	return b.Insns
}
