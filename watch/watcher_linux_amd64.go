package watch

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/cgroups"
	"github.com/sysfence/sysfence/internal/ebpfasm"
	"github.com/sysfence/sysfence/internal/procfs"
	"github.com/sysfence/sysfence/internal/sysdecode"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// Map sizes.
const (
	maxKeys     = 16384   // distinct decisions counted in the kernel
	maxFilters  = 4096    // filters whose program was sent
	maxChains   = 4096    // chains with a bitmap
	maxTree     = 65536   // processes of a --pid tree
	ringbufSize = 8 << 20 // bytes
	tidBytes    = 1 << 22 // PID_MAX_LIMIT: a mark byte per possible thread id
)

// Watcher reports the seccomp decisions of the machine or of a selection
// of it. Create it with New; Run reports, Close frees the programs.
type Watcher struct {
	opts   Options
	arches [3]*syscalls.Arch
	maps   progMaps
	all    []*ebpf.Map
	progs  []*ebpf.Program
	links  []link.Link
	reader *ringbuf.Reader

	bootOffset time.Duration // wall clock minus CLOCK_BOOTTIME
	names      cgroups.Names
	pathArgs   [3 * abiSlots]uint32 // what fillPaths put in the paths map, for decode

	mu       sync.Mutex
	filters  map[uint64]*kfilter // by kernel address (the latest filter there)
	chainSet map[[4]uint64]bool  // chains whose bitmap was written, by chains map key
	keys     map[string]*keyState
	pending  []*pendingDecision
	agg      aggregator
	dirty    map[*Group]uint64 // calls since the group's last report
	isNew    map[*Group]bool
	start    time.Time
	stats    [statCount]uint64
	dropped  uint64 // programs' recursion misses
	closed   bool
}

type keyState struct {
	seen     uint64 // the count last read (record or map)
	counted  uint64 // how much of it is in the group
	group    *Group // nil until classified; ignored when discarded
	discard  bool
	resolved bool
}

type pendingDecision struct {
	key   string
	raw   []byte // the record: header, key, info
	since time.Time
	count uint64 // a per-call record counts 1
}

// New loads and attaches the programs. It fails with an error matching
// ErrNotSupported, naming what is missing, where watching cannot work.
func New(opts Options) (*Watcher, error) {
	if m := ebpfasm.CheckPrivileges(); m != nil {
		return nil, notSupported(m)
	}
	if m := ebpfasm.CheckPIDNamespace(); m != nil {
		return nil, notSupported(m)
	}
	if err := checkFeatures(); err != nil {
		return nil, err
	}
	k, err := loadKernelLayout()
	if err != nil {
		return nil, err
	}
	w := &Watcher{opts: opts, filters: map[uint64]*kfilter{}, chainSet: map[[4]uint64]bool{},
		keys: map[string]*keyState{}, dirty: map[*Group]uint64{}, isNew: map[*Group]bool{}}
	if w.arches, err = ebpfasm.Arches(); err != nil {
		return nil, err
	}
	sel := &selection{tree: opts.Pid > 0}
	if opts.Cgroup != nil {
		sel.cgroupID, sel.cgroupLevel = opts.Cgroup.ID, opts.Cgroup.Level
	}
	if err := w.load(k, sel); err != nil {
		w.Close()
		return nil, err
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err == nil {
		w.bootOffset = time.Duration(time.Now().UnixNano() - ts.Nano())
	}
	w.start = time.Now()
	return w, nil
}

func (w *Watcher) load(k *kernelLayout, sel *selection) error {
	mk := func(dst **ebpf.Map, spec ebpf.MapSpec) error {
		m, err := ebpf.NewMap(&spec)
		if err != nil {
			return fmt.Errorf("watch: creating map %s: %w", spec.Name, err)
		}
		*dst = m
		w.all = append(w.all, m)
		return nil
	}
	m := &w.maps
	for _, s := range []struct {
		dst  **ebpf.Map
		spec ebpf.MapSpec
	}{
		{&m.entered, ebpf.MapSpec{Name: "sfw_entered", Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: tidBytes / 8}},
		{&m.scratch, ebpf.MapSpec{Name: "sfw_scratch", Type: ebpf.PerCPUArray, KeySize: 4, ValueSize: uint32(recSize+7) &^ 7, MaxEntries: 1}},
		{&m.keys, ebpf.MapSpec{Name: "sfw_keys", Type: ebpf.Hash, KeySize: keySize, ValueSize: infoSize, MaxEntries: maxKeys}},
		{&m.events, ebpf.MapSpec{Name: "sfw_events", Type: ebpf.RingBuf, MaxEntries: ringbufSize}},
		// Least recently used filters and chains make room for new ones
		// on a machine that runs for long: one evicted is sent again
		// (a filter) or looked at again (a chain) when next used.
		{&m.known, ebpf.MapSpec{Name: "sfw_known", Type: ebpf.LRUHash, KeySize: 8, ValueSize: knownVal, MaxEntries: maxFilters}},
		{&m.chains, ebpf.MapSpec{Name: "sfw_chains", Type: ebpf.LRUHash, KeySize: chainKeySize, ValueSize: chainMapSize, MaxEntries: maxChains}},
		{&m.paths, ebpf.MapSpec{Name: "sfw_paths", Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 3 * abiSlots}},
		{&m.stats, ebpf.MapSpec{Name: "sfw_stats", Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: statCount}},
		{&m.tree, ebpf.MapSpec{Name: "sfw_tree", Type: ebpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: maxTree}},
	} {
		if err := mk(s.dst, s.spec); err != nil {
			return err
		}
	}
	if err := w.fillPaths(); err != nil {
		return err
	}
	for _, p := range []struct {
		tp    string
		insns asm.Instructions
	}{
		{"sched_process_fork", processFork(k, m, sel)},
		{"sched_process_exit", processExit(k, m, sel)},
		{"sys_exit", sysExit(k, m, sel)},
		{"sys_enter", sysEnter(k, m, sel, w.entryCalls())},
	} {
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
			Name:         ebpfasm.ObjName("sfw_" + p.tp),
			Type:         ebpf.RawTracepoint,
			Instructions: p.insns,
			License:      "Dual MIT/GPL", // BTF pointer loads and bpf_probe_read_kernel are GPL-only
		})
		if err != nil {
			return loadError(p.tp, err)
		}
		w.progs = append(w.progs, prog)
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: p.tp, Program: prog})
		if err != nil {
			return loadError(p.tp, err)
		}
		w.links = append(w.links, l)
	}
	r, err := ringbuf.NewReader(m.events)
	if err != nil {
		return fmt.Errorf("watch: ring buffer: %w", err)
	}
	w.reader = r
	if w.opts.Pid > 0 {
		return w.seedTree(w.opts.Pid)
	}
	return nil
}

// entryCalls are the raw sys_enter ids of the calls that put a task
// under seccomp: seccomp and prctl on every ABI.
func (w *Watcher) entryCalls() []uint32 {
	var out []uint32
	for _, a := range w.arches {
		for _, n := range []string{"seccomp", "prctl"} {
			if nr, ok := a.Number(n); ok {
				out = append(out, nr)
			}
		}
	}
	return out
}

func loadError(tp string, err error) error {
	if errors.Is(err, ebpf.ErrNotSupported) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EACCES) {
		var ve *ebpf.VerifierError
		detail := ""
		if errors.As(err, &ve) && len(ve.Log) > 0 {
			detail = ": " + ve.Log[len(ve.Log)-1]
		}
		return &NotSupportedError{Missing: "a kernel that accepts the raw tracepoint program for " + tp + detail, Err: err}
	}
	return fmt.Errorf("watch: loading the %s program: %w", tp, err)
}

// fillPaths tells the programs which arguments of each syscall are paths
// (sysdecode's signatures), so that they are read when the call is made.
func (w *Watcher) fillPaths() error {
	for abi, a := range w.arches {
		for name, sig := range sysdecode.Signatures() {
			nr, ok := a.Number(name)
			if !ok || nr&^syscalls.X32SyscallBit >= abiSlots {
				continue
			}
			var mask uint32
			n := 0
			for i, k := range sig {
				if k == sysdecode.ArgPath && n < 2 {
					mask |= uint32(i+1) << (3 * n)
					n++
				}
			}
			if mask == 0 {
				continue
			}
			idx := uint32(abi)*abiSlots + nr&^syscalls.X32SyscallBit
			if err := w.maps.paths.Put(idx, mask); err != nil {
				return fmt.Errorf("watch: filling paths: %w", err)
			}
			w.pathArgs[idx] = mask
		}
	}
	return nil
}

// seedTree puts pid and its descendants into the tree map; the fork
// program adds what they start from now on. A process started between
// the scan of /proc and its parent's entry is found by scanning again.
func (w *Watcher) seedTree(pid int) error {
	if err := unix.Kill(pid, 0); err != nil && !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("watch: process %d: %w", pid, err)
	}
	seen := map[int]bool{}
	for round := 0; round < 10; round++ {
		added := false
		for _, p := range procfs.Descendants(pid) {
			if seen[p] {
				continue
			}
			seen[p] = true
			added = true
			if err := w.maps.tree.Put(uint32(p), uint64(1)); err != nil {
				return fmt.Errorf("watch: following process %d: %w", p, err)
			}
		}
		if !added {
			return nil
		}
	}
	return nil
}

// Run reports decisions until ctx ends, calling report (from this
// goroutine) for every group that is new or whose count grew, at most
// every interval for a group. When ctx ends it detaches the programs,
// waits until none runs any more, reports the last counts and returns.
func (w *Watcher) Run(ctx context.Context, interval time.Duration, report func(Report)) error {
	recs := make(chan []byte, 4096)
	readErr := make(chan error, 1)
	go func() {
		var rec ringbuf.Record
		for {
			if err := w.reader.ReadInto(&rec); err != nil {
				readErr <- err
				close(recs)
				return
			}
			recs <- bytes.Clone(rec.RawSample)
		}
	}()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case raw, ok := <-recs:
			if !ok {
				return <-readErr
			}
			w.handle(raw)
			// Batch what is waiting, then report new groups at once.
			for more := true; more; {
				select {
				case raw, ok := <-recs:
					if !ok {
						more = false
						break
					}
					w.handle(raw)
				default:
					more = false
				}
			}
			w.classifyPending(false)
			w.flush(report, true)
		case <-tick.C:
			if err := w.poll(); err != nil {
				return err
			}
			w.classifyPending(false)
			w.flush(report, false)
		case <-ctx.Done():
			// Stop the programs, then let every record already written
			// and every count already made reach us.
			w.detach()
			ebpfasm.WaitForPrograms()
			if err := w.reader.Flush(); err != nil {
				return fmt.Errorf("watch: ring buffer: %w", err)
			}
			for raw := range recs {
				w.handle(raw)
			}
			if err := <-readErr; !errors.Is(err, ringbuf.ErrFlushed) {
				return fmt.Errorf("watch: ring buffer: %w", err)
			}
			if err := w.poll(); err != nil {
				return err
			}
			w.classifyPending(true)
			w.flush(report, false)
			return nil
		}
	}
}

// handle takes one ring buffer record.
func (w *Watcher) handle(raw []byte) {
	if len(raw) < 8 {
		return
	}
	switch binary.LittleEndian.Uint32(raw[recType:]) {
	case recFilter:
		w.takeFilter(raw)
	case recDecision:
		if len(raw) < recSize {
			return
		}
		k := string(raw[keyOff : keyOff+keySize])
		w.mu.Lock()
		if _, ok := w.keys[k]; !ok {
			w.keys[k] = &keyState{}
			w.pending = append(w.pending, &pendingDecision{key: k, raw: raw, since: time.Now()})
		}
		w.mu.Unlock()
	case recPerCall:
		if len(raw) < recSize {
			return
		}
		w.mu.Lock()
		w.pending = append(w.pending, &pendingDecision{raw: raw, since: time.Now(), count: 1})
		w.mu.Unlock()
	}
}

// kfilter is a filter and what the kernel knows it by.
type kfilter struct {
	Filter
	id [4]uint64 // address, bpf_prog, program copy, length: the chains map's key when newest
}

func (w *Watcher) takeFilter(raw []byte) {
	if len(raw) < filtInsns {
		return
	}
	le := binary.LittleEndian
	ptr := le.Uint64(raw[filtPtr:])
	n := int(le.Uint32(raw[filtLen:]))
	f := &kfilter{Filter: Filter{Log: raw[filtLog] != 0, Listener: raw[filtNotif] != 0},
		id: [4]uint64{ptr, le.Uint64(raw[filtProg:]), le.Uint64(raw[filtInsPtr:]), uint64(n)}}
	if n > 0 && filtInsns+8*n <= len(raw) {
		prog, err := bpf.Decode(raw[filtInsns:filtInsns+8*n], binary.LittleEndian)
		if err == nil {
			f.Prog = prog
		}
	}
	w.mu.Lock()
	w.filters[ptr] = f
	w.mu.Unlock()
}

// poll reads the counts of every decision key (and finds keys whose
// record the ring buffer could not take).
func (w *Watcher) poll() error {
	var stats [statCount]uint64
	for i := range stats {
		if err := w.maps.stats.Lookup(uint32(i), &stats[i]); err != nil {
			return fmt.Errorf("watch: reading stats: %w", err)
		}
	}
	var cursor ebpf.MapBatchCursor
	keys := make([]byte, 256*keySize)
	vals := make([]byte, 256*infoSize)
	type kv struct{ k, v []byte }
	var got []kv
	batch := true
	for batch {
		n, err := w.maps.keys.BatchLookup(&cursor, keys, vals, nil)
		for i := 0; i < n; i++ {
			got = append(got, kv{bytes.Clone(keys[i*keySize : (i+1)*keySize]), bytes.Clone(vals[i*infoSize : (i+1)*infoSize])})
		}
		switch {
		case errors.Is(err, ebpf.ErrKeyNotExist):
			batch = false
		case err != nil && len(got) == 0:
			// No batch operations: iterate.
			got = got[:0]
			it := w.maps.keys.Iterate()
			k, v := make([]byte, keySize), make([]byte, infoSize)
			for it.Next(&k, &v) {
				got = append(got, kv{bytes.Clone(k), bytes.Clone(v)})
			}
			if err := it.Err(); err != nil {
				return fmt.Errorf("watch: reading decisions: %w", err)
			}
			batch = false
		case err != nil:
			return fmt.Errorf("watch: reading decisions: %w", err)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stats = stats
	for _, e := range got {
		ks := w.keys[string(e.k)]
		if ks == nil {
			// Its record did not fit the ring buffer: the map has it all.
			ks = &keyState{}
			w.keys[string(e.k)] = ks
			raw := make([]byte, recSize)
			binary.LittleEndian.PutUint32(raw, recDecision)
			copy(raw[keyOff:], e.k)
			copy(raw[infoOff:], e.v)
			w.pending = append(w.pending, &pendingDecision{key: string(e.k), raw: raw, since: time.Now()})
			continue
		}
		if ks.discard {
			// Not a decision (a call the filters allow, looked at
			// before its chain's bitmap was there): make room.
			w.maps.keys.Delete(e.k)
			delete(w.keys, string(e.k))
			continue
		}
		if count := binary.LittleEndian.Uint64(e.v); count > ks.seen {
			ks.seen = count
		}
		if ks.resolved && ks.seen > ks.counted {
			w.dirty[ks.group] += ks.seen - ks.counted
			ks.group.Count += ks.seen - ks.counted
			ks.counted = ks.seen
		}
	}
	return nil
}

// classifyPending turns the records whose filters have arrived into
// decisions; at the end (final), or after a second, it classifies the
// rest with what the kernel showed.
func (w *Watcher) classifyPending(final bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	kept := w.pending[:0]
	for _, p := range w.pending {
		ready := w.filtersKnown(p.raw)
		if !ready && !final && time.Since(p.since) < time.Second {
			kept = append(kept, p)
			continue
		}
		d, ok := w.decide(p.raw)
		if ready {
			w.noteChain(p.raw)
		}
		count := binary.LittleEndian.Uint64(p.raw[infoCount:])
		if p.count > 0 {
			count = p.count
		}
		if p.key != "" {
			ks := w.keys[p.key]
			ks.resolved = true
			// The count read from the map since may be higher.
			if count > ks.seen {
				ks.seen = count
			}
			if !ok {
				ks.discard = true
				continue
			}
			g, first := w.agg.add(d, ks.seen)
			ks.group, ks.counted = g, ks.seen
			w.dirty[g] += ks.seen
			if first {
				w.isNew[g] = true
			}
			continue
		}
		if !ok {
			continue
		}
		g, first := w.agg.add(d, count)
		w.dirty[g] += count
		if first {
			w.isNew[g] = true
		}
	}
	w.pending = kept
}

// filtersKnown reports whether every filter of a record's chain has
// arrived.
func (w *Watcher) filtersKnown(raw []byte) bool {
	le := binary.LittleEndian
	depth := int(le.Uint32(raw[infoDepth:]))
	for i := 0; i < depth && i < maxChain; i++ {
		if _, ok := w.filters[le.Uint64(raw[infoChain+8*i:])]; !ok {
			return false
		}
	}
	return true
}

// noteChain writes the bitmap of a record's chain for sys_enter: the
// calls for which one of its filters may answer LOG, TRACE or
// USER_NOTIF. Until it is there, every call the action cache does not
// allow outright is sent for a look.
func (w *Watcher) noteChain(raw []byte) {
	le := binary.LittleEndian
	top := le.Uint64(raw[keyChain:])
	depth := int(le.Uint32(raw[infoDepth:]))
	if top == 0 || depth == 0 || le.Uint32(raw[infoFlags:])&flagTruncated != 0 || w.filters[top] == nil {
		return
	}
	key := w.filters[top].id
	if w.chainSet[key] {
		return
	}
	var progs []bpf.Program
	for i := 0; i < depth; i++ {
		f := w.filters[le.Uint64(raw[infoChain+8*i:])]
		if f == nil || f.Prog == nil {
			return
		}
		progs = append(progs, f.Prog)
	}
	bits := make([]byte, chainMapSize)
	for abi, a := range w.arches {
		for nr := uint32(0); nr < abiSlots; nr++ {
			full := nr
			if abi == abiX32 {
				full |= syscalls.X32SyscallBit
			}
			for _, p := range progs {
				if MayProceed(p, a.AuditArch, full) {
					i := abi*abiSlots + int(nr)
					bits[i/8] |= 1 << (i % 8)
					break
				}
			}
		}
	}
	if err := w.maps.chains.Put(key, bits); err == nil {
		w.chainSet[key] = true
	}
}

// flush reports the groups that are new or grew. With onlyNew it
// reports new groups only (the others wait for the next tick).
func (w *Watcher) flush(report func(Report), onlyNew bool) {
	w.mu.Lock()
	var out []Report
	for _, g := range w.agg.order {
		n, ok := w.dirty[g]
		if !ok || (onlyNew && !w.isNew[g]) {
			continue
		}
		out = append(out, Report{Group: g, Calls: n, First: w.isNew[g]})
		delete(w.dirty, g)
		delete(w.isNew, g)
	}
	w.mu.Unlock()
	for _, r := range out {
		report(r)
	}
}

// decide turns a record into a decision; false when the call was not a
// seccomp decision after all (its filters allow it: a call the watch
// caught in the middle when it started, or a tracer's skip).
func (w *Watcher) decide(raw []byte) (*Decision, bool) {
	le := binary.LittleEndian
	kind := raw[keyKind]
	abi := int(raw[keyABI])
	d := &Decision{
		Pid:  int(le.Uint32(raw[keyTgid:])),
		Tid:  int(le.Uint32(raw[infoTid:])),
		Nr:   le.Uint32(raw[keyNr:]),
		IP:   le.Uint64(raw[keyIP:]),
		Comm: cString(raw[infoComm : infoComm+16]),
		Time: time.Unix(0, int64(le.Uint64(raw[infoTime:]))+int64(w.bootOffset)),
	}
	if abi < len(w.arches) {
		d.Arch = w.arches[abi]
	}
	for i := range d.Args {
		d.Args[i] = le.Uint64(raw[keyArgs+8*i:])
	}
	if abi == abiX86 {
		for i := range d.Args {
			d.Args[i] = uint64(uint32(d.Args[i])) // the filter sees 32-bit registers
		}
	}
	ret := int64(le.Uint64(raw[keyRet:]))
	n := int(le.Uint32(raw[infoCmdLen:]))
	if n > cmdlineMax {
		n = cmdlineMax
	}
	d.Cmdline = splitCmdline(raw[infoCmdline : infoCmdline+n])

	// The filters' answer.
	depth := int(le.Uint32(raw[infoDepth:]))
	var chain []Filter
	known := depth > 0 && depth <= maxChain && le.Uint32(raw[infoFlags:])&flagTruncated == 0
	for i := depth - 1; i >= 0 && known; i-- {
		f, ok := w.filters[le.Uint64(raw[infoChain+8*i:])]
		if !ok || f.Prog == nil {
			known = false
			break
		}
		chain = append(chain, f.Filter)
	}
	if known && d.Arch != nil {
		data := bpf.Data{Nr: d.Nr, Arch: d.Arch.AuditArch, InstructionPointer: d.IP, Args: d.Args}
		v, err := RunChain(chain, &data)
		if err != nil {
			known = false
		} else {
			d.Action, d.Filter, d.Filters, d.PC = v.Action, v.Filter, len(chain), v.PC
			d.Known = true
		}
	}
	switch kind {
	case kindSkip:
		d.Outcome, d.Ret = Skipped, ret
		if d.Known {
			if !consistent(d.Action, ret, d.Nr) {
				// Not what this answer does: the call was not skipped by
				// seccomp (a tracer's skip, a call in flight when a
				// filter came), or the filters changed.
				return nil, false
			}
			if d.Action.Kind() == policy.ActTrap {
				d.Outcome, d.Ret = Trapped, 0
			}
		} else {
			// What the kernel showed: an errno answer, or a trap (the
			// registers rolled back: rax holds the number again).
			d.Action = policy.Errno(uint16(-ret))
			if uint64(ret) == uint64(d.Nr) || ret >= 0 || ret < -4095 {
				d.Action, d.Outcome, d.Ret = policy.ActTrap, Trapped, 0
			}
		}
	case kindExit:
		// The thread is gone and its filters with it: its exit code
		// says which kill it was.
		d.Outcome, d.Known, d.Filter, d.Filters = Killed, true, 0, 0
		d.Action = policy.ActKillThread
		switch ret & 0x7f {
		case int64(unix.SIGKILL):
			d.Strict = true
		case int64(unix.SIGSYS):
		default:
			return nil, false
		}
	case kindDead:
		d.Outcome = Killed
		if !d.Known || !d.Action.IsKill() {
			// A kill the filters read do not explain (they changed
			// since): say what the kernel did.
			d.Known = false
			d.Action = policy.ActKillProcess
		}
	case kindProceed:
		d.Outcome = Ran
		if !d.Known || !proceeding(uint32(d.Action)) {
			return nil, false
		}
	default:
		return nil, false
	}
	d.Call = w.decode(d, raw)
	w.where(d, le.Uint64(raw[infoCgroup:]))
	if d.Why == "" {
		d.Why = filterWhy(d)
	}
	if w.opts.Explain != nil {
		if s := w.opts.Explain(d); s != "" {
			d.Why = s
		}
	}
	return d, true
}

// filterWhy names the deciding filter and instruction.
func filterWhy(d *Decision) string {
	switch {
	case d.Strict:
		return "strict mode allows only read, write, _exit and sigreturn"
	case d.Filters == 0 && d.Known:
		return "a filter returns KILL_THREAD (the thread's filters are released as it dies: which one is not known)"
	case !d.Known:
		return "the process's filters could not be read"
	case d.Filters == 1:
		return fmt.Sprintf("its filter returns %s at instruction %d", d.Action, d.PC)
	}
	return fmt.Sprintf("filter %d of %d returns %s at instruction %d", d.Filter, d.Filters, d.Action, d.PC)
}

// decode prints the call with the paths read when it was made.
func (w *Watcher) decode(d *Decision, raw []byte) string {
	mem := capturedMem{}
	le := binary.LittleEndian
	idx := int(d.Nr &^ syscalls.X32SyscallBit)
	abi := int(raw[keyABI])
	if idx < abiSlots && abi < len(w.arches) {
		mask := w.pathArgs[abi*abiSlots+idx]
		for i, off := range []int{keyPath0, keyPath1} {
			a := int(mask>>(3*i)) & 7
			if a == 0 || a > 6 {
				continue
			}
			n := int(int16(le.Uint16(raw[infoPathLen+2*i:])))
			if n <= 0 {
				// A page the process never touched cannot be read
				// without a fault, which the programs may not take:
				// read it now, from the process if it is still there.
				if b := procString(d.Pid, d.Args[a-1]); b != nil {
					mem[d.Args[a-1]] = b
				}
				continue
			}
			s := raw[off : off+n]
			if n == pathMax && s[n-1] == 0 {
				s = s[:n-1] // perhaps cut: no NUL, so that it prints with "..."
			}
			mem[d.Args[a-1]] = s
		}
	}
	dec := sysdecode.Decoder{Arch: d.Arch, Mem: mem, Native: w.arches[abiNative]}
	return dec.Call(d.Nr, d.Args)
}

// procString reads a NUL-terminated string of at most pathMax bytes from
// a process's memory; nil if it cannot.
func procString(pid int, addr uint64) []byte {
	f, err := sysdecode.OpenProcMem(pid)
	if err != nil {
		return nil
	}
	defer f.Close()
	s, complete, err := sysdecode.ReadString(f, addr, pathMax-1)
	if err != nil {
		return nil
	}
	if complete {
		return append([]byte(s), 0)
	}
	return []byte(s)
}

// capturedMem serves the strings the programs read at the call.
type capturedMem map[uint64][]byte

func (m capturedMem) ReadAt(p []byte, off int64) (int, error) {
	for addr, b := range m {
		if uint64(off) >= addr && uint64(off) < addr+uint64(len(b)) {
			n := copy(p, b[uint64(off)-addr:])
			if n < len(p) {
				return n, errors.New("end of what was read")
			}
			return n, nil
		}
	}
	return 0, errors.New("not read")
}

// where fills in the cgroup and container of a decision.
func (w *Watcher) where(d *Decision, cgroupID uint64) {
	d.Cgroup = w.names.Path(cgroupID)
	if d.Cgroup == "" {
		d.Cgroup, _ = cgroups.ProcessCgroup(d.Pid)
	}
	if w.opts.Container != "" && w.opts.Cgroup != nil {
		d.Container = w.opts.Container
		return
	}
	if c, ok := cgroups.ContainerID(d.Cgroup); ok {
		d.Container = c.ID
	}
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func splitCmdline(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
}

// Summary sums up what was reported so far.
func (w *Watcher) Summary() Summary {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := summarize(w.agg.order, time.Since(w.start))
	s.Undelivered = w.stats[statPerCallDropped]
	if s.Undelivered > 0 {
		s.Calls += s.Undelivered
		s.ByAction["unknown"] += s.Undelivered
	}
	s.Unchecked = w.stats[statCandidateDropped]
	s.FiltersDropped = w.stats[statFilterDropped]
	s.Missed = w.dropped
	return s
}

func (w *Watcher) detach() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.progs {
		if st, err := p.Stats(); err == nil {
			w.dropped += st.RecursionMisses
		}
	}
	for _, l := range w.links {
		l.Close()
	}
	w.links = nil
}

// Close detaches the programs and frees the maps.
func (w *Watcher) Close() error {
	w.detach()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	var errs []error
	if w.reader != nil {
		errs = append(errs, w.reader.Close())
	}
	for _, p := range w.progs {
		errs = append(errs, p.Close())
	}
	for _, m := range w.all {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}

// notSupported is the watch's refusal for what the machine lacks.
func notSupported(m *ebpfasm.Missing) error { return &NotSupportedError{Missing: m.What, Err: m.Err} }

var featureOnce = sync.OnceValue(func() error {
	if err := features.HaveProgramType(ebpf.RawTracepoint); err != nil {
		return &NotSupportedError{Missing: "BPF raw tracepoints (CONFIG_BPF_SYSCALL, Linux 4.17 or later)", Err: err}
	}
	if err := features.HaveMapType(ebpf.RingBuf); err != nil {
		return &NotSupportedError{Missing: "BPF ring buffers (Linux 5.8 or later)", Err: err}
	}
	for _, h := range []struct {
		fn   asm.BuiltinFunc
		what string
	}{
		{asm.FnGetCurrentTaskBtf, "bpf_get_current_task_btf (Linux 5.11 or later)"},
		{asm.FnTaskPtRegs, "bpf_task_pt_regs (Linux 5.15 or later)"},
		{asm.FnProbeReadKernel, "bpf_probe_read_kernel (Linux 5.5 or later; not under lockdown=confidentiality)"},
		{asm.FnProbeReadUserStr, "bpf_probe_read_user_str (Linux 5.5 or later)"},
		{asm.FnGetCurrentAncestorCgroupId, "bpf_get_current_ancestor_cgroup_id (Linux 5.6 or later)"},
		{asm.FnKtimeGetBootNs, "bpf_ktime_get_boot_ns (Linux 5.8 or later)"},
	} {
		if err := features.HaveProgramHelper(ebpf.RawTracepoint, h.fn); err != nil {
			return &NotSupportedError{Missing: "the BPF helper " + h.what, Err: err}
		}
	}
	return nil
})

func checkFeatures() error { return featureOnce() }

// loadKernelLayout finds what the programs read in the kernel's BTF.
func loadKernelLayout() (*kernelLayout, error) {
	spec, m := ebpfasm.KernelSpec()
	if m != nil {
		return nil, notSupported(m)
	}
	return layoutFromSpec(spec)
}

// layoutFromSpec reads the layout from a kernel's BTF; anything missing
// is an error naming it (a kernel without the action cache, or whose
// seccomp keeps no copy of its filters' programs, is refused, not
// watched in part).
func layoutFromSpec(spec *btf.Spec) (*kernelLayout, error) {
	missing := func(what string, err error) error { return notSupported(ebpfasm.MissingInBTF(what, err)) }
	task, m := ebpfasm.ReadTaskLayout(spec)
	if m != nil {
		return nil, notSupported(m)
	}
	structs := map[string]*btf.Struct{}
	for _, n := range []string{"task_struct", "seccomp", "seccomp_filter", "action_cache", "bpf_prog", "sock_fprog_kern", "mm_struct", "signal_struct", "pt_regs"} {
		var s *btf.Struct
		if err := spec.TypeByName(n, &s); err != nil {
			return nil, missing("struct "+n, err)
		}
		structs[n] = s
	}
	k := &kernelLayout{TaskLayout: task}
	var errs []error
	get := func(s, m string, size int) uint32 {
		off, err := ebpfasm.Member(structs[s], m, size)
		if err != nil {
			errs = append(errs, missing(s+"."+m, err))
		}
		return off
	}
	sc := get("task_struct", "seccomp", 0)
	k.taskMode = sc + get("seccomp", "mode", 4)
	k.taskFilter = sc + get("seccomp", "filter", 8)
	k.taskMM = get("task_struct", "mm", 8)
	k.taskSignal = get("task_struct", "signal", 8)
	k.taskExitCode = get("task_struct", "exit_code", 4)
	k.signalLive = get("signal_struct", "live", 4)
	k.mmArgStart = get("mm_struct", "arg_start", 8)
	k.mmArgEnd = get("mm_struct", "arg_end", 8)
	k.filterPrev = get("seccomp_filter", "prev", 8)
	k.filterProg = get("seccomp_filter", "prog", 8)
	k.filterLog = get("seccomp_filter", "log", 1)
	k.filterNotif = get("seccomp_filter", "notif", 8)
	cache := get("seccomp_filter", "cache", 0)
	k.cacheNative = cache + get("action_cache", "allow_native", 0)
	k.cacheCompat = cache + get("action_cache", "allow_compat", 0)
	k.progOrig = get("bpf_prog", "orig_prog", 8)
	k.fprogLen = get("sock_fprog_kern", "len", 2)
	k.fprogFilter = get("sock_fprog_kern", "filter", 8)
	k.regAx = get("pt_regs", "ax", 8)
	k.regOrigAx = get("pt_regs", "orig_ax", 8)
	k.regIP = get("pt_regs", "ip", 8)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	// Both bitmaps have the same size (SECCOMP_ARCH_*_NR bits, rounded
	// up to longs).
	for _, m := range structs["action_cache"].Members {
		if m.Name == "allow_native" {
			sz, err := btf.Sizeof(m.Type)
			if err != nil {
				return nil, missing("action_cache.allow_native's size", err)
			}
			k.cacheWords = sz / 8
		}
	}
	if k.cacheWords == 0 || k.cacheCompat-k.cacheNative != uint32(8*k.cacheWords) {
		return nil, missing("an action cache of two bitmaps of the same size", nil)
	}
	if k.taskFilter > 1<<15-8 || k.taskMM > 1<<15-8 {
		return nil, missing("task_struct.seccomp within reach of a BPF load", nil)
	}
	return k, nil
}
