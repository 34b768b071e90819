package watch

import (
	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/sysfence/sysfence/internal/ebpfasm"
)

// What the programs and the Go side share. The kernel side sees each
// seccomp decision other than an unconditional ALLOW as one of three
// kinds of event and sends it with the call's seccomp_data and the
// address of every filter of the calling thread; the Go side runs those
// filters (see RunChain) to tell the action.
const (
	kindSkip    = 1 // sys_exit without sys_enter: seccomp skipped the call (ERRNO, TRAP, TRACE/USER_NOTIF answers)
	kindDead    = 2 // the same, with seccomp mode DEAD: a KILL whose signal is on its way
	kindProceed = 3 // sys_enter of a call whose filters may have answered LOG, TRACE or USER_NOTIF
	kindExit    = 4 // a thread exiting with seccomp mode DEAD and no kindDead: KILL_THREAD of one of several, or strict mode

	recDecision = 1 // a decision whose key is new (its count goes on in the keys map)
	recPerCall  = 2 // one decision the keys map had no room for
	recFilter   = 3 // a filter's program

	modeDead = 3 // SECCOMP_MODE_DEAD

	abiNative = ebpfasm.ABINative
	abiX86    = ebpfasm.ABIX86
	abiX32    = ebpfasm.ABIX32
	abiSlots  = 1024 // numbers per ABI in the paths and chains maps

	maxChain   = 16   // filters of one thread followed (more are flagged)
	pathMax    = 128  // bytes of a path argument kept (with its NUL)
	cmdlineMax = 128  // bytes of the command line kept
	maxInsns   = 4096 // BPF_MAXINSNS

	bpfNoExist = 1
	bpfAny     = 0
	errEExist  = -17

	markEntered = 1 // entered: the thread's current syscall reached sys_enter
	markKilled  = 2 // a kindDead event was sent for the thread
)

// Layout of a decision record: header, key (the keys map's key), info
// (its value). Offsets in bytes.
const (
	recType = 0 // u32

	keyOff      = 8
	keyTgid     = keyOff + 0  // u32
	keyNr       = keyOff + 4  // u32, orig_ax (x32 calls with the x32 bit)
	keyABI      = keyOff + 8  // u8
	keyKind     = keyOff + 9  // u8
	keyRet      = keyOff + 16 // s64, rax at sys_exit (kindSkip, kindDead)
	keyIP       = keyOff + 24 // u64
	keyArgs     = keyOff + 32 // 6 x u64
	keyChain    = keyOff + 80 // u64, the newest filter
	keyPath0    = keyOff + 88
	keyPath1    = keyPath0 + pathMax
	keySize     = 88 + 2*pathMax
	infoOff     = keyOff + keySize
	infoCount   = infoOff + 0  // u64
	infoTime    = infoOff + 8  // u64, bpf_ktime_get_boot_ns
	infoTid     = infoOff + 16 // u32
	infoPathLen = infoOff + 20 // 2 x s16: what bpf_probe_read_user_str returned
	infoCgroup  = infoOff + 24 // u64
	infoComm    = infoOff + 32 // 16 bytes
	infoChain   = infoOff + 48 // maxChain x u64, newest first
	infoDepth   = infoChain + 8*maxChain
	infoFlags   = infoDepth + 4
	infoCmdLen  = infoDepth + 8 // u32
	infoCmdline = infoDepth + 16
	infoSize    = infoCmdline + cmdlineMax - infoOff
	recSize     = infoOff + infoSize

	flagTruncated = 1 // the chain had more than maxChain filters

	// A filter record.
	filtPtr      = 8  // u64
	filtPrev     = 16 // u64
	filtProg     = 24 // u64
	filtLog      = 32 // u8
	filtNotif    = 33 // u8
	filtLen      = 36 // u32, 0 when the kernel kept no copy of the program
	filtInsPtr   = 40 // u64, where the kernel keeps the copy
	filtInsns    = 48
	filtRecSize  = filtInsns + 8*maxInsns
	chainMapSize = 3 * abiSlots / 8 // bytes of a chains bitmap
	chainKeySize = 32               // the newest filter's address, bpf_prog, program copy and length
)

// Indexes of the stats array.
const (
	statNewDropped       = iota // new keys whose record did not fit the ring buffer (the key is in the map)
	statKeysFull                // decisions the keys map had no room for (sent one by one)
	statPerCallDropped          // of those, the ones the ring buffer had no room for either: counted, not described
	statFilterDropped           // filter programs the ring buffer had no room for (sent again later)
	statCandidateDropped        // calls that ran and may have been LOG/TRACE/USER_NOTIF, not sent (both full)
	statScratchMissing          // cannot happen: the per-CPU scratch value was not found
	statCount
)

// Stack slots (offsets from R10).
const (
	fpKey32 = -8  // u32 map key
	fpTid   = -12 // u32
	fpMode  = -16 // u32 seccomp mode
	fpKind  = -20 // u32
	fpTmp   = -32 // u64
	fpU64   = -40 // u64 map key
	fpVal   = -48 // u64 map value
	fpF     = -56 // u64 the filter being walked
	fpRec   = -64 // u64 a ring buffer record being filled
	fpABI   = -68 // u32
	fpNr    = -72 // u32 (without the x32 bit)
	fpCmd   = -80 // u64
	// fpID is a filter's identity (5 x u64): its bpf_prog, the address,
	// length, first and last instruction of its saved program. A freed
	// filter's address is soon another's (strace installs a probe filter
	// in a child just before the real one): all of these must match.
	fpID     = -128
	idWords  = 5
	knownVal = 8 * idWords
)

// kernelLayout is where the programs find what they read, from the
// kernel's BTF.
type kernelLayout struct {
	ebpfasm.TaskLayout
	taskMode, taskFilter, taskMM uint32
	taskSignal, signalLive       uint32
	taskExitCode                 uint32
	mmArgStart, mmArgEnd         uint32
	filterPrev, filterProg       uint32
	filterLog, filterNotif       uint32
	cacheNative, cacheCompat     uint32
	cacheWords                   int
	progOrig                     uint32
	fprogLen, fprogFilter        uint32
	regAx, regOrigAx, regIP      uint32
}

// selection is what the programs report on.
type selection struct {
	cgroupID    uint64 // with cgroupLevel: the task's ancestor at that level must be this cgroup
	cgroupLevel int
	tree        bool // only processes in the tree map
}

type progMaps struct {
	entered, scratch, keys, events, known, chains, paths, stats, tree *ebpf.Map
}

// builder is a program being written, with the helpers this package
// adds to ebpfasm.Builder.
type builder struct{ ebpfasm.Builder }

func mapPtr(r asm.Register, m *ebpf.Map) asm.Instruction { return ebpfasm.MapPtr(r, m) }

// statAdd adds one to stats[idx]. Clobbers R0-R5.
func (b *builder) statAdd(m *progMaps, idx int32) {
	skip := b.Fresh("stat")
	b.Emit(asm.StoreImm(asm.RFP, fpKey32, int64(idx), asm.Word), mapPtr(asm.R1, m.stats))
	b.StackPtr(asm.R2, fpKey32)
	b.Emit(asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, skip),
		asm.Mov.Imm(asm.R1, 1),
		asm.AddAtomic.Mem(asm.R0, asm.R1, asm.DWord, 0))
	b.Mark(skip)
}

// prologue sets R7 to the current task and leaves for exit unless the
// task is under seccomp, with its mode at fpMode and thread id at fpTid.
// Programs save their context in R6 first.
func (b *builder) prologue(k *kernelLayout) {
	b.Emit(asm.FnGetCurrentTaskBtf.Call(),
		asm.Mov.Reg(asm.R7, asm.R0),
		asm.LoadMem(asm.R1, asm.R7, int16(k.taskMode), asm.Word),
		asm.JEq.Imm(asm.R1, 0, "exit"),
		asm.StoreMem(asm.RFP, fpMode, asm.R1, asm.Word),
		asm.LoadMem(asm.R1, asm.R7, int16(k.Pid), asm.Word),
		asm.StoreMem(asm.RFP, fpTid, asm.R1, asm.Word))
}

// markByte looks up the thread's byte of the entered map: its address in
// R0, or a jump to none for a thread id beyond the map. The thread id is
// at fpTid. Clobbers R0-R5.
func (b *builder) markByte(m *progMaps, none string) {
	b.Emit(asm.LoadMem(asm.R1, asm.RFP, fpTid, asm.Word),
		asm.RSh.Imm(asm.R1, 3),
		asm.StoreMem(asm.RFP, fpKey32, asm.R1, asm.Word),
		mapPtr(asm.R1, m.entered))
	b.StackPtr(asm.R2, fpKey32)
	b.Emit(asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, none),
		asm.LoadMem(asm.R1, asm.RFP, fpTid, asm.Word),
		asm.And.Imm(asm.R1, 7),
		asm.Add.Reg(asm.R0, asm.R1))
}

// abi stores the ABI of the current syscall at fpABI and its number
// without the x32 bit at fpNr; the raw number is in R1. R7 task.
// Clobbers R1-R3.
func (b *builder) abi(k *kernelLayout) {
	b.Emit(asm.Mov.Reg(asm.R3, asm.R1))
	b.ABI(&k.TaskLayout, asm.R7, asm.R3, asm.R2, asm.R1)
	b.Emit(asm.StoreMem(asm.RFP, fpABI, asm.R2, asm.Word),
		asm.StoreMem(asm.RFP, fpNr, asm.R3, asm.Word))
}

// cached jumps to allowed when the kernel's action cache of the task's
// newest filter says the call at fpABI/fpNr is always allowed (the
// filters did not even run). R7 task. Clobbers R1-R4.
func (b *builder) cached(k *kernelLayout, allowed string) {
	notCached := b.Fresh("uncached")
	test := b.Fresh("cache_test")
	b.Emit(asm.LoadMem(asm.R4, asm.R7, int16(k.taskFilter), asm.DWord),
		asm.JEq.Imm(asm.R4, 0, notCached),
		asm.LoadMem(asm.R2, asm.RFP, fpNr, asm.Word),
		asm.JGE.Imm(asm.R2, int32(64*k.cacheWords), notCached),
		asm.RSh.Imm(asm.R2, 6),
		asm.LoadMem(asm.R3, asm.RFP, fpABI, asm.Word))
	// One load per word (BTF pointers take constant offsets only).
	for _, c := range []struct {
		abi  int32
		base uint32
	}{{abiNative, k.cacheNative}, {abiX86, k.cacheCompat}} {
		abi, base := c.abi, c.base
		next := b.Fresh("cache_abi")
		b.Emit(asm.JNE.Imm(asm.R3, abi, next))
		for w := 0; w < k.cacheWords; w++ {
			skip := b.Fresh("cache_word")
			b.Emit(asm.JNE.Imm(asm.R2, int32(w), skip),
				asm.LoadMem(asm.R1, asm.R4, int16(base)+int16(8*w), asm.DWord),
				asm.Ja.Label(test))
			b.Mark(skip)
		}
		b.Emit(asm.Ja.Label(notCached))
		b.Mark(next)
	}
	b.Emit(asm.Ja.Label(notCached)) // x32: never cached
	b.Mark(test)
	b.Emit(asm.LoadMem(asm.R2, asm.RFP, fpNr, asm.Word),
		asm.And.Imm(asm.R2, 63),
		asm.RSh.Reg(asm.R1, asm.R2),
		asm.And.Imm(asm.R1, 1),
		asm.JNE.Imm(asm.R1, 0, allowed))
	b.Mark(notCached)
}

// selected jumps to out unless the current task is in the selection.
// Clobbers R0-R5.
func (b *builder) selected(k *kernelLayout, m *progMaps, sel *selection, out string) {
	if sel.cgroupID != 0 {
		b.Emit(asm.Mov.Imm(asm.R1, int32(sel.cgroupLevel)),
			asm.FnGetCurrentAncestorCgroupId.Call(),
			asm.LoadImm(asm.R1, int64(sel.cgroupID), asm.DWord),
			asm.JNE.Reg(asm.R0, asm.R1, out))
	}
	if sel.tree {
		b.Emit(asm.LoadMem(asm.R1, asm.R7, int16(k.Tgid), asm.Word),
			asm.StoreMem(asm.RFP, fpKey32, asm.R1, asm.Word),
			mapPtr(asm.R1, m.tree))
		b.StackPtr(asm.R2, fpKey32)
		b.Emit(asm.FnMapLookupElem.Call(), asm.JEq.Imm(asm.R0, 0, out))
	}
}

// report sends the current call as a decision of the kind at fpKind:
// counted in the keys map when it is a repeat, sent whole when it is
// new, with the programs of filters not sent yet. R7 task. Uses R6, R8,
// R9; ends with a jump to exit.
func (b *builder) report(k *kernelLayout, m *progMaps) {
	b.Emit(asm.Mov.Reg(asm.R1, asm.R7),
		asm.FnTaskPtRegs.Call(),
		asm.Mov.Reg(asm.R8, asm.R0),
		asm.StoreImm(asm.RFP, fpKey32, 0, asm.Word),
		mapPtr(asm.R1, m.scratch))
	b.StackPtr(asm.R2, fpKey32)
	b.Emit(asm.FnMapLookupElem.Call(),
		asm.JNE.Imm(asm.R0, 0, "have_scratch"))
	b.statAdd(m, statScratchMissing)
	b.Emit(asm.Ja.Label("exit"))
	b.Mark("have_scratch")
	b.Emit(asm.Mov.Reg(asm.R9, asm.R0))
	// Zero the key (compared whole by the map) and the info.
	b.Emit(asm.Mov.Imm(asm.R1, 0))
	for off := 0; off < recSize; off += 8 {
		b.Emit(asm.StoreMem(asm.R9, int16(off), asm.R1, asm.DWord))
	}
	b.Emit(asm.StoreImm(asm.R9, recType, recDecision, asm.Word),
		asm.LoadMem(asm.R1, asm.R7, int16(k.Tgid), asm.Word),
		asm.StoreMem(asm.R9, keyTgid, asm.R1, asm.Word),
		asm.LoadMem(asm.R1, asm.R8, int16(k.regOrigAx), asm.DWord),
		asm.StoreMem(asm.R9, keyNr, asm.R1, asm.Word))
	b.abi(k)
	b.Emit(asm.LoadMem(asm.R1, asm.RFP, fpABI, asm.Word),
		asm.StoreMem(asm.R9, keyABI, asm.R1, asm.Byte),
		asm.LoadMem(asm.R1, asm.RFP, fpKind, asm.Word),
		asm.StoreMem(asm.R9, keyKind, asm.R1, asm.Byte),
		asm.JEq.Imm(asm.R1, kindProceed, "no_ret"),
		asm.JEq.Imm(asm.R1, kindExit, "exit_code"),
		asm.LoadMem(asm.R1, asm.R8, int16(k.regAx), asm.DWord),
		asm.StoreMem(asm.R9, keyRet, asm.R1, asm.DWord),
		asm.Ja.Label("no_ret"))
	// The thread's exit code tells a filter's KILL_THREAD (SIGSYS) from
	// strict mode's kill (SIGKILL): its filters are gone by now.
	b.Mark("exit_code")
	b.Emit(asm.LoadMem(asm.R1, asm.R7, int16(k.taskExitCode), asm.Word),
		asm.StoreMem(asm.R9, keyRet, asm.R1, asm.DWord))
	b.Mark("no_ret")
	b.Emit(asm.LoadMem(asm.R1, asm.R8, int16(k.regIP), asm.DWord),
		asm.StoreMem(asm.R9, keyIP, asm.R1, asm.DWord),
		asm.LoadMem(asm.R1, asm.RFP, fpABI, asm.Word),
		asm.JEq.Imm(asm.R1, abiX86, "args_compat"))
	for i, off := range k.NativeArgs {
		b.Emit(asm.LoadMem(asm.R1, asm.R8, int16(off), asm.DWord),
			asm.StoreMem(asm.R9, int16(keyArgs+8*i), asm.R1, asm.DWord))
	}
	b.Emit(asm.Ja.Label("args_done"))
	b.Mark("args_compat")
	for i, off := range k.CompatArgs {
		b.Emit(asm.LoadMem(asm.R1, asm.R8, int16(off), asm.DWord),
			asm.StoreMem(asm.R9, int16(keyArgs+8*i), asm.R1, asm.DWord))
	}
	b.Mark("args_done")
	b.Emit(asm.LoadMem(asm.R1, asm.R7, int16(k.taskFilter), asm.DWord),
		asm.StoreMem(asm.R9, keyChain, asm.R1, asm.DWord))
	b.paths(m)
	// Every time: a filter whose program the ring buffer had no room
	// for is sent again with the next call that meets it.
	b.chain(k, m)

	// A repeat is counted; the rest of the info is for a new key only.
	b.Emit(mapPtr(asm.R1, m.keys),
		asm.Mov.Reg(asm.R2, asm.R9), asm.Add.Imm(asm.R2, keyOff),
		asm.FnMapLookupElem.Call(),
		asm.JNE.Imm(asm.R0, 0, "count_key"))
	b.Emit(asm.Mov.Imm(asm.R1, 1), asm.StoreMem(asm.R9, infoCount, asm.R1, asm.DWord),
		asm.FnKtimeGetBootNs.Call(),
		asm.StoreMem(asm.R9, infoTime, asm.R0, asm.DWord),
		asm.LoadMem(asm.R1, asm.RFP, fpTid, asm.Word),
		asm.StoreMem(asm.R9, infoTid, asm.R1, asm.Word),
		asm.FnGetCurrentCgroupId.Call(),
		asm.StoreMem(asm.R9, infoCgroup, asm.R0, asm.DWord),
		asm.Mov.Reg(asm.R1, asm.R9), asm.Add.Imm(asm.R1, infoComm),
		asm.Mov.Imm(asm.R2, 16),
		asm.FnGetCurrentComm.Call())
	b.cmdline(k)

	// Send it, or count it when another CPU added it meanwhile.
	b.Emit(mapPtr(asm.R1, m.keys),
		asm.Mov.Reg(asm.R2, asm.R9), asm.Add.Imm(asm.R2, keyOff),
		asm.Mov.Reg(asm.R3, asm.R9), asm.Add.Imm(asm.R3, infoOff),
		asm.Mov.Imm(asm.R4, bpfNoExist),
		asm.FnMapUpdateElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "new_key"),
		asm.JEq.Imm(asm.R0, errEExist, "old_key"))
	// The map is full: send this one by itself.
	b.statAdd(m, statKeysFull)
	b.Emit(asm.StoreImm(asm.R9, recType, recPerCall, asm.Word),
		mapPtr(asm.R1, m.events),
		asm.Mov.Reg(asm.R2, asm.R9),
		asm.Mov.Imm(asm.R3, recSize),
		asm.Mov.Imm(asm.R4, 0),
		asm.FnRingbufOutput.Call(),
		asm.JEq.Imm(asm.R0, 0, "reported"),
		asm.LoadMem(asm.R1, asm.RFP, fpKind, asm.Word),
		asm.JEq.Imm(asm.R1, kindProceed, "candidate_dropped"))
	b.statAdd(m, statPerCallDropped)
	b.Emit(asm.Ja.Label("reported"))
	b.Mark("candidate_dropped")
	b.statAdd(m, statCandidateDropped)
	b.Emit(asm.Ja.Label("reported"))

	b.Mark("old_key")
	b.Emit(mapPtr(asm.R1, m.keys),
		asm.Mov.Reg(asm.R2, asm.R9), asm.Add.Imm(asm.R2, keyOff),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "reported")) // removed meanwhile: poll drops keys that are no decision
	b.Mark("count_key")
	b.Emit(asm.Mov.Imm(asm.R1, 1),
		asm.AddAtomic.Mem(asm.R0, asm.R1, asm.DWord, 0),
		asm.Ja.Label("reported"))

	b.Mark("new_key")
	b.Emit(mapPtr(asm.R1, m.events),
		asm.Mov.Reg(asm.R2, asm.R9),
		asm.Mov.Imm(asm.R3, recSize),
		asm.Mov.Imm(asm.R4, 0),
		asm.FnRingbufOutput.Call(),
		asm.JEq.Imm(asm.R0, 0, "reported"))
	b.statAdd(m, statNewDropped)
	b.Mark("reported")
	b.Emit(asm.Ja.Label("after_report"))
}

// paths reads up to two path arguments of the call, as the paths map
// says for its ABI and number: the index+1 of the first in bits 0-2, of
// the second in bits 3-5. R9 scratch. Clobbers R0-R5.
func (b *builder) paths(m *progMaps) {
	b.Emit(asm.LoadMem(asm.R1, asm.RFP, fpNr, asm.Word),
		asm.JGE.Imm(asm.R1, abiSlots, "paths_done"),
		asm.LoadMem(asm.R2, asm.RFP, fpABI, asm.Word),
		asm.Mul.Imm(asm.R2, abiSlots),
		asm.Add.Reg(asm.R1, asm.R2),
		asm.StoreMem(asm.RFP, fpKey32, asm.R1, asm.Word),
		mapPtr(asm.R1, m.paths))
	b.StackPtr(asm.R2, fpKey32)
	b.Emit(asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "paths_done"),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.Word),
		asm.StoreMem(asm.RFP, fpTmp, asm.R1, asm.DWord))
	for i, dst := range []int16{keyPath0, keyPath1} {
		next := b.Fresh("path")
		b.Emit(asm.LoadMem(asm.R1, asm.RFP, fpTmp, asm.DWord),
			asm.RSh.Imm(asm.R1, int32(3*i)),
			asm.And.Imm(asm.R1, 7),
			asm.JEq.Imm(asm.R1, 0, next),
			asm.JGT.Imm(asm.R1, 6, next),
			asm.Add.Imm(asm.R1, -1),
			asm.LSh.Imm(asm.R1, 3),
			asm.Mov.Reg(asm.R2, asm.R9),
			asm.Add.Imm(asm.R2, keyArgs),
			asm.Add.Reg(asm.R2, asm.R1),
			asm.LoadMem(asm.R3, asm.R2, 0, asm.DWord), // the pointer
			asm.Mov.Reg(asm.R1, asm.R9), asm.Add.Imm(asm.R1, int32(dst)),
			asm.Mov.Imm(asm.R2, pathMax),
			asm.FnProbeReadUserStr.Call(),
			asm.StoreMem(asm.R9, int16(infoPathLen+2*i), asm.R0, asm.Half))
		b.Mark(next)
	}
	b.Mark("paths_done")
}

// cmdline copies the start of the process's argument area. R7 task, R9
// scratch. Clobbers R0-R5.
func (b *builder) cmdline(k *kernelLayout) {
	b.Emit(asm.LoadMem(asm.R1, asm.R7, int16(k.taskMM), asm.DWord),
		asm.JEq.Imm(asm.R1, 0, "cmd_done"),
		asm.LoadMem(asm.R3, asm.R1, int16(k.mmArgStart), asm.DWord),
		asm.LoadMem(asm.R2, asm.R1, int16(k.mmArgEnd), asm.DWord),
		asm.Sub.Reg(asm.R2, asm.R3),
		asm.JSLE.Imm(asm.R2, 0, "cmd_done"),
		asm.JLE.Imm(asm.R2, cmdlineMax, "cmd_len"),
		asm.Mov.Imm(asm.R2, cmdlineMax))
	b.Mark("cmd_len")
	b.Emit(asm.StoreMem(asm.R9, infoCmdLen, asm.R2, asm.Word),
		asm.Mov.Reg(asm.R1, asm.R9), asm.Add.Imm(asm.R1, infoCmdline),
		asm.FnProbeReadUser.Call(),
		asm.JEq.Imm(asm.R0, 0, "cmd_done"),
		asm.StoreImm(asm.R9, infoCmdLen, 0, asm.Word))
	b.Mark("cmd_done")
}

// chain notes the task's filters in the info, newest first, and sends
// the program of each filter the known map does not hold. R7 task, R9
// scratch. Clobbers R0-R6.
func (b *builder) chain(k *kernelLayout, m *progMaps) {
	b.Emit(asm.LoadMem(asm.R1, asm.R7, int16(k.taskFilter), asm.DWord),
		asm.StoreMem(asm.RFP, fpF, asm.R1, asm.DWord))
	for i := 0; i < maxChain; i++ {
		b.Emit(asm.LoadMem(asm.R1, asm.RFP, fpF, asm.DWord),
			asm.JEq.Imm(asm.R1, 0, "chain_done"),
			asm.StoreMem(asm.R9, int16(infoChain+8*i), asm.R1, asm.DWord),
			asm.StoreImm(asm.R9, infoDepth, int64(i+1), asm.Word))
		b.ensureFilter(k, m, i)
		// f = f->prev: R6 is the filter at depth i.
		b.Emit(asm.LoadMem(asm.R1, asm.R6, int16(k.filterPrev), asm.DWord),
			asm.StoreMem(asm.RFP, fpF, asm.R1, asm.DWord))
	}
	b.Emit(asm.LoadMem(asm.R1, asm.RFP, fpF, asm.DWord),
		asm.JEq.Imm(asm.R1, 0, "chain_done"),
		asm.StoreImm(asm.R9, infoFlags, flagTruncated, asm.Word))
	b.Mark("chain_done")
}

// ensureFilter sends the program of the filter at fpF, depth steps from
// the task's newest, unless the known map holds it with the same
// bpf_prog. It leaves the filter in R6, read again through the chain
// (so that the verifier knows its BTF type: a pointer spilled to the
// stack as a map key is a plain number). Clobbers R0-R6.
func (b *builder) ensureFilter(k *kernelLayout, m *progMaps, depth int) {
	done := b.Fresh("filter_known")
	send := b.Fresh("filter_send")
	b.Emit(asm.LoadMem(asm.R6, asm.R7, int16(k.taskFilter), asm.DWord))
	for range depth {
		b.Emit(asm.LoadMem(asm.R6, asm.R6, int16(k.filterPrev), asm.DWord))
	}
	b.Emit(asm.JEq.Imm(asm.R6, 0, done),
		asm.Mov.Imm(asm.R1, 0))
	for i := 0; i < idWords; i++ {
		b.Emit(asm.StoreMem(asm.RFP, int16(fpID+8*i), asm.R1, asm.DWord))
	}
	idDone := b.Fresh("filter_id")
	b.Emit(asm.LoadMem(asm.R1, asm.R6, int16(k.filterProg), asm.DWord),
		asm.StoreMem(asm.RFP, fpVal, asm.R1, asm.DWord),
		asm.StoreMem(asm.RFP, fpID, asm.R1, asm.DWord),
		asm.JEq.Imm(asm.R1, 0, idDone),
		asm.LoadMem(asm.R4, asm.R1, int16(k.progOrig), asm.DWord),
		asm.JEq.Imm(asm.R4, 0, idDone),
		asm.LoadMem(asm.R2, asm.R4, int16(k.fprogLen), asm.Half),
		asm.StoreMem(asm.RFP, fpID+16, asm.R2, asm.DWord),
		asm.LoadMem(asm.R3, asm.R4, int16(k.fprogFilter), asm.DWord),
		asm.StoreMem(asm.RFP, fpID+8, asm.R3, asm.DWord),
		asm.JEq.Imm(asm.R3, 0, idDone))
	b.StackPtr(asm.R1, fpID+24)
	b.Emit(asm.Mov.Imm(asm.R2, 8), asm.FnProbeReadKernel.Call(),
		asm.LoadMem(asm.R2, asm.RFP, fpID+16, asm.DWord),
		asm.JEq.Imm(asm.R2, 0, idDone),
		asm.Add.Imm(asm.R2, -1),
		asm.LSh.Imm(asm.R2, 3),
		asm.LoadMem(asm.R3, asm.RFP, fpID+8, asm.DWord),
		asm.Add.Reg(asm.R3, asm.R2))
	b.StackPtr(asm.R1, fpID+32)
	b.Emit(asm.Mov.Imm(asm.R2, 8), asm.FnProbeReadKernel.Call())
	b.Mark(idDone)
	b.Emit(asm.LoadMem(asm.R1, asm.RFP, fpF, asm.DWord),
		asm.StoreMem(asm.RFP, fpU64, asm.R1, asm.DWord),
		mapPtr(asm.R1, m.known))
	b.StackPtr(asm.R2, fpU64)
	b.Emit(asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, send))
	for i := 0; i < idWords; i++ {
		b.Emit(asm.LoadMem(asm.R1, asm.R0, int16(8*i), asm.DWord),
			asm.LoadMem(asm.R2, asm.RFP, int16(fpID+8*i), asm.DWord),
			asm.JNE.Reg(asm.R1, asm.R2, send))
	}
	b.Emit(asm.Ja.Label(done))
	b.Mark(send)
	b.Emit(mapPtr(asm.R1, m.known))
	b.StackPtr(asm.R2, fpU64)
	b.StackPtr(asm.R3, fpID)
	b.Emit(asm.Mov.Imm(asm.R4, bpfAny),
		asm.FnMapUpdateElem.Call(),
		mapPtr(asm.R1, m.events),
		asm.Mov.Imm(asm.R2, filtRecSize),
		asm.Mov.Imm(asm.R3, 0),
		asm.FnRingbufReserve.Call())
	dropped := b.Fresh("filter_dropped")
	b.Emit(asm.JEq.Imm(asm.R0, 0, dropped),
		asm.StoreMem(asm.RFP, fpRec, asm.R0, asm.DWord),
		asm.StoreImm(asm.R0, recType, recFilter, asm.Word),
		asm.LoadMem(asm.R1, asm.RFP, fpF, asm.DWord),
		asm.StoreMem(asm.R0, filtPtr, asm.R1, asm.DWord),
		asm.LoadMem(asm.R1, asm.R6, int16(k.filterPrev), asm.DWord),
		asm.StoreMem(asm.R0, filtPrev, asm.R1, asm.DWord),
		asm.LoadMem(asm.R1, asm.RFP, fpVal, asm.DWord),
		asm.StoreMem(asm.R0, filtProg, asm.R1, asm.DWord),
		asm.LoadMem(asm.R1, asm.R6, int16(k.filterLog), asm.Byte),
		asm.StoreMem(asm.R0, filtLog, asm.R1, asm.Byte),
		asm.LoadMem(asm.R1, asm.R6, int16(k.filterNotif), asm.DWord),
		asm.StoreImm(asm.R0, filtNotif, 0, asm.Byte),
		asm.StoreImm(asm.R0, filtLen, 0, asm.Word),
		asm.Mov.Imm(asm.R2, 0),
		asm.StoreMem(asm.R0, filtInsPtr, asm.R2, asm.DWord))
	noNotif := b.Fresh("filter_nonotif")
	b.Emit(asm.JEq.Imm(asm.R1, 0, noNotif),
		asm.StoreImm(asm.R0, filtNotif, 1, asm.Byte))
	b.Mark(noNotif)
	submit := b.Fresh("filter_submit")
	b.Emit(asm.LoadMem(asm.R1, asm.R6, int16(k.filterProg), asm.DWord),
		asm.JEq.Imm(asm.R1, 0, submit),
		asm.LoadMem(asm.R4, asm.R1, int16(k.progOrig), asm.DWord),
		asm.JEq.Imm(asm.R4, 0, submit),
		asm.LoadMem(asm.R2, asm.R4, int16(k.fprogLen), asm.Half),
		asm.JGT.Imm(asm.R2, maxInsns, submit),
		asm.JEq.Imm(asm.R2, 0, submit),
		asm.LoadMem(asm.R3, asm.R4, int16(k.fprogFilter), asm.DWord),
		asm.LoadMem(asm.R1, asm.RFP, fpRec, asm.DWord),
		asm.StoreMem(asm.R1, filtLen, asm.R2, asm.Word),
		asm.StoreMem(asm.R1, filtInsPtr, asm.R3, asm.DWord),
		asm.LSh.Imm(asm.R2, 3),
		asm.Add.Imm(asm.R1, filtInsns),
		asm.FnProbeReadKernel.Call(),
		asm.JEq.Imm(asm.R0, 0, submit),
		asm.LoadMem(asm.R1, asm.RFP, fpRec, asm.DWord),
		asm.StoreImm(asm.R1, filtLen, 0, asm.Word))
	b.Mark(submit)
	b.Emit(asm.LoadMem(asm.R1, asm.RFP, fpRec, asm.DWord),
		asm.Mov.Imm(asm.R2, 0),
		asm.FnRingbufSubmit.Call(),
		asm.Ja.Label(done))
	b.Mark(dropped)
	b.statAdd(m, statFilterDropped)
	b.Emit(mapPtr(asm.R1, m.known))
	b.StackPtr(asm.R2, fpU64)
	b.Emit(asm.FnMapDeleteElem.Call())
	b.Mark(done)
}

func (b *builder) exit() {
	b.Mark("exit")
	b.Emit(asm.Mov.Imm(asm.R0, 0), asm.Return())
}

// sysEnter marks the thread as having entered its syscall (a call that
// reaches sys_exit without it was skipped by seccomp; entry lists the
// raw ids of seccomp and prctl, which a task not yet under seccomp
// marks too) and reports calls
// whose filters may have answered LOG, TRACE or USER_NOTIF: the ones the
// kernel's action cache does not allow outright, whose chain's bitmap
// (from the Go side) says so or is not there yet.
func sysEnter(k *kernelLayout, m *progMaps, sel *selection, entry []uint32) asm.Instructions {
	b := &builder{}
	b.Emit(asm.Mov.Reg(asm.R6, asm.R1))
	b.Emit(asm.FnGetCurrentTaskBtf.Call(),
		asm.Mov.Reg(asm.R7, asm.R0),
		asm.LoadMem(asm.R1, asm.R7, int16(k.taskMode), asm.Word),
		asm.JNE.Imm(asm.R1, 0, "filtered"),
		// Not under seccomp: only a call that may put the task under it
		// (seccomp, prctl) is marked, or its sys_exit would look skipped.
		asm.LoadMem(asm.R1, asm.R6, 8, asm.DWord))
	for _, nr := range entry {
		b.Emit(asm.JEq.Imm(asm.R1, int32(nr), "entering"))
	}
	b.Emit(asm.Ja.Label("exit"))
	b.Mark("entering")
	b.Emit(asm.LoadMem(asm.R1, asm.R7, int16(k.Pid), asm.Word),
		asm.StoreMem(asm.RFP, fpTid, asm.R1, asm.Word))
	b.markByte(m, "exit")
	b.Emit(asm.StoreImm(asm.R0, 0, markEntered, asm.Byte),
		asm.Ja.Label("exit"))
	b.Mark("filtered")
	b.Emit(asm.StoreMem(asm.RFP, fpMode, asm.R1, asm.Word),
		asm.LoadMem(asm.R1, asm.R7, int16(k.Pid), asm.Word),
		asm.StoreMem(asm.RFP, fpTid, asm.R1, asm.Word))
	b.markByte(m, "marked")
	b.Emit(asm.StoreImm(asm.R0, 0, markEntered, asm.Byte))
	b.Mark("marked")
	b.Emit(asm.LoadMem(asm.R1, asm.R6, 8, asm.DWord)) // id
	b.abi(k)
	b.cached(k, "exit")
	// The chain's bitmap: bit ABI*1024+nr. The chain is known by its
	// newest filter (its older ones never change), which is known by
	// more than its address: a freed filter's address is soon another's.
	b.Emit(asm.Mov.Imm(asm.R1, 0))
	for i := 0; i < chainKeySize/8; i++ {
		b.Emit(asm.StoreMem(asm.RFP, int16(fpID+8*i), asm.R1, asm.DWord))
	}
	b.Emit(asm.LoadMem(asm.R1, asm.R7, int16(k.taskFilter), asm.DWord),
		asm.StoreMem(asm.RFP, fpID, asm.R1, asm.DWord),
		asm.JEq.Imm(asm.R1, 0, "chain_key"),
		asm.LoadMem(asm.R2, asm.R1, int16(k.filterProg), asm.DWord),
		asm.StoreMem(asm.RFP, fpID+8, asm.R2, asm.DWord),
		asm.JEq.Imm(asm.R2, 0, "chain_key"),
		asm.LoadMem(asm.R3, asm.R2, int16(k.progOrig), asm.DWord),
		asm.JEq.Imm(asm.R3, 0, "chain_key"),
		asm.LoadMem(asm.R4, asm.R3, int16(k.fprogFilter), asm.DWord),
		asm.StoreMem(asm.RFP, fpID+16, asm.R4, asm.DWord),
		asm.LoadMem(asm.R4, asm.R3, int16(k.fprogLen), asm.Half),
		asm.StoreMem(asm.RFP, fpID+24, asm.R4, asm.DWord))
	b.Mark("chain_key")
	b.Emit(mapPtr(asm.R1, m.chains))
	b.StackPtr(asm.R2, fpID)
	b.Emit(asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "candidate"),
		asm.LoadMem(asm.R1, asm.RFP, fpNr, asm.Word),
		asm.JGE.Imm(asm.R1, abiSlots, "candidate"),
		asm.LoadMem(asm.R2, asm.RFP, fpABI, asm.Word),
		asm.JGE.Imm(asm.R2, 3, "exit"),
		asm.Mul.Imm(asm.R2, abiSlots),
		asm.Add.Reg(asm.R1, asm.R2),
		asm.Mov.Reg(asm.R2, asm.R1),
		asm.RSh.Imm(asm.R2, 3),
		asm.JGE.Imm(asm.R2, chainMapSize, "exit"),
		asm.Add.Reg(asm.R0, asm.R2),
		asm.LoadMem(asm.R2, asm.R0, 0, asm.Byte),
		asm.And.Imm(asm.R1, 7),
		asm.RSh.Reg(asm.R2, asm.R1),
		asm.And.Imm(asm.R2, 1),
		asm.JEq.Imm(asm.R2, 0, "exit"))
	b.Mark("candidate")
	b.selected(k, m, sel, "exit")
	b.Emit(asm.StoreImm(asm.RFP, fpKind, kindProceed, asm.Word))
	b.report(k, m)
	b.Mark("after_report")
	b.exit()
	return b.Insns
}

// sysExit reports the calls that reach sys_exit without having reached
// sys_enter: seccomp skipped them (its answers come before sys_enter).
func sysExit(k *kernelLayout, m *progMaps, sel *selection) asm.Instructions {
	b := &builder{}
	b.Emit(asm.Mov.Reg(asm.R6, asm.R1))
	b.prologue(k)
	b.markByte(m, "unmarked")
	b.Emit(asm.LoadMem(asm.R1, asm.R0, 0, asm.Byte),
		asm.JEq.Imm(asm.R1, 0, "unmarked"),
		asm.StoreImm(asm.R0, 0, 0, asm.Byte),
		asm.Ja.Label("exit"))
	b.Mark("unmarked")
	b.selected(k, m, sel, "exit")
	b.Emit(asm.StoreImm(asm.RFP, fpKind, kindSkip, asm.Word),
		asm.LoadMem(asm.R1, asm.RFP, fpMode, asm.Word),
		asm.JNE.Imm(asm.R1, modeDead, "kind_set"),
		asm.StoreImm(asm.RFP, fpKind, kindDead, asm.Word))
	b.Mark("kind_set")
	b.report(k, m)
	b.Mark("after_report")
	// A KILL reported here is not reported again at the thread's exit.
	b.Emit(asm.LoadMem(asm.R1, asm.RFP, fpKind, asm.Word),
		asm.JNE.Imm(asm.R1, kindDead, "exit"))
	b.markByte(m, "exit")
	b.Emit(asm.StoreImm(asm.R0, 0, markKilled, asm.Byte))
	b.exit()
	return b.Insns
}

// processExit clears the thread's mark and reports a thread that dies
// in seccomp mode DEAD without a KILL reported at sys_exit: a
// KILL_THREAD that ended one thread of several (the kernel calls
// do_exit from the filter's answer), or strict mode. With a process
// tree selected it also drops a process that has exited from the tree.
func processExit(k *kernelLayout, m *progMaps, sel *selection) asm.Instructions {
	b := &builder{}
	b.Emit(asm.Mov.Reg(asm.R6, asm.R1))
	b.prologue(k)
	b.markByte(m, "unmarked")
	b.Emit(asm.LoadMem(asm.R1, asm.R0, 0, asm.Byte),
		asm.StoreImm(asm.R0, 0, 0, asm.Byte),
		asm.JEq.Imm(asm.R1, markKilled, "exit"))
	b.Mark("unmarked")
	b.Emit(asm.LoadMem(asm.R1, asm.RFP, fpMode, asm.Word),
		asm.JNE.Imm(asm.R1, modeDead, "exit"))
	b.selected(k, m, sel, "exit")
	b.Emit(asm.StoreImm(asm.RFP, fpKind, kindExit, asm.Word))
	b.report(k, m)
	b.Mark("after_report")
	b.Mark("exit")
	if sel.tree {
		// After the report, which checks the tree.
		b.Emit(asm.FnGetCurrentTaskBtf.Call(),
			asm.LoadMem(asm.R1, asm.R0, int16(k.taskSignal), asm.DWord),
			asm.JEq.Imm(asm.R1, 0, "tree_done"),
			asm.LoadMem(asm.R2, asm.R1, int16(k.signalLive), asm.Word),
			asm.JNE.Imm(asm.R2, 0, "tree_done"),
			asm.LoadMem(asm.R1, asm.R0, int16(k.Tgid), asm.Word),
			asm.StoreMem(asm.RFP, fpKey32, asm.R1, asm.Word),
			mapPtr(asm.R1, m.tree))
		b.StackPtr(asm.R2, fpKey32)
		b.Emit(asm.FnMapDeleteElem.Call())
		b.Mark("tree_done")
	}
	b.Emit(asm.Mov.Imm(asm.R0, 0), asm.Return())
	return b.Insns
}

// processFork marks the new thread of a task under seccomp as entered:
// it starts by returning from the parent's clone through sys_exit. With
// a process tree selected, a new process of the tree joins it.
func processFork(k *kernelLayout, m *progMaps, sel *selection) asm.Instructions {
	b := &builder{}
	b.Emit(asm.Mov.Reg(asm.R6, asm.R1),
		asm.FnGetCurrentTaskBtf.Call(),
		asm.Mov.Reg(asm.R7, asm.R0))
	// child->pid and child->tgid (a raw tracepoint's arguments are plain
	// words: read through the helper).
	for _, f := range []struct {
		off uint32
		fp  int16
	}{{k.Pid, fpTid}, {k.Tgid, fpABI}} {
		b.Emit(asm.LoadMem(asm.R3, asm.R6, 8, asm.DWord), asm.Add.Imm(asm.R3, int32(f.off)))
		b.StackPtr(asm.R1, int32(f.fp))
		b.Emit(asm.Mov.Imm(asm.R2, 4), asm.FnProbeReadKernel.Call(),
			asm.JNE.Imm(asm.R0, 0, "exit"))
	}
	if sel.tree {
		b.Emit(asm.LoadMem(asm.R1, asm.R7, int16(k.Tgid), asm.Word),
			asm.LoadMem(asm.R2, asm.RFP, fpABI, asm.Word),
			asm.JEq.Reg(asm.R1, asm.R2, "tree_done"), // a thread: its process is there already
			asm.StoreMem(asm.RFP, fpKey32, asm.R1, asm.Word),
			mapPtr(asm.R1, m.tree))
		b.StackPtr(asm.R2, fpKey32)
		b.Emit(asm.FnMapLookupElem.Call(),
			asm.JEq.Imm(asm.R0, 0, "tree_done"),
			asm.Mov.Imm(asm.R1, 1), asm.StoreMem(asm.RFP, fpVal, asm.R1, asm.DWord),
			mapPtr(asm.R1, m.tree))
		b.StackPtr(asm.R2, fpABI)
		b.StackPtr(asm.R3, fpVal)
		b.Emit(asm.Mov.Imm(asm.R4, bpfAny), asm.FnMapUpdateElem.Call())
		b.Mark("tree_done")
	}
	b.Emit(asm.LoadMem(asm.R1, asm.R7, int16(k.taskMode), asm.Word),
		asm.JEq.Imm(asm.R1, 0, "exit"))
	b.markByte(m, "exit")
	b.Emit(asm.StoreImm(asm.R0, 0, markEntered, asm.Byte))
	b.exit()
	return b.Insns
}
