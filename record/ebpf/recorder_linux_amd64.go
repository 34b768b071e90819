package ebpf

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"strconv"
	"sync"
	syncatomic "sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/internal/ebpfasm"
	"github.com/sysfence/sysfence/internal/procfs"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/syscalls"
)

// Map sizes.
const (
	maxOverflow = 1024    // distinct numbers beyond abiSlots
	maxArgVals  = 1 << 14 // distinct (syscall, argument values)
	maxPending  = 64      // processes followed before their exec
)

// argKey is the key of the argvals map.
type argKey struct {
	Idx uint32
	_   uint32
	V0  uint64
	V1  uint64
}

// argSpec is the value of the argspec map.
type argSpec struct {
	N     uint32    // number of fields, 0 = none
	Off   [2]uint32 // offsetof(pt_regs, argument register)
	Flags uint32    // argDeref
}

// pendingExec is the value of the pending map.
type pendingExec struct {
	ABI uint32 // ABI+1 of the exec call seen, 0 if none yet
	Nr  uint32
}

// Recorder records the syscalls of the process trees it follows. It is
// safe for use by one goroutine.
type Recorder struct {
	opts   Options
	arches [abiCount]*syscalls.Arch
	maps   progMaps
	all    []*ebpf.Map
	progs  []*ebpf.Program
	links  []link.Link
	mu     sync.Mutex
	done   bool
	// seedProgs add and remove a thread id from user space (Attach).
	seedProg, unseedProg *ebpf.Program
	// attached counts the processes Attach started to record; with it
	// (or a cgroup) there is no exec that starts the recording.
	attached syncatomic.Int64
	// tracked counts the processes that Track started: they are live
	// tasks and processes the programs did not count, and each one's
	// execve is its first call.
	tracked syncatomic.Int64
}

// New loads and attaches the recorder's programs. It fails with an error
// matching ErrNotSupported that names the missing privilege or kernel
// feature when eBPF recording cannot work here.
func New(opts Options) (*Recorder, error) {
	if m := ebpfasm.CheckPrivileges(); m != nil {
		return nil, notSupported(m)
	}
	if m := ebpfasm.CheckPIDNamespace(); m != nil {
		return nil, notSupported(m)
	}
	r, err := newLoaded(opts)
	if err != nil {
		// Name the missing kernel feature, if one is missing (the probes
		// load test programs: they run only when loading failed).
		if ferr := checkFeatures(); ferr != nil {
			return nil, ferr
		}
	}
	return r, err
}

// newLoaded reads the kernel's layout (cached) and loads the programs.
func newLoaded(opts Options) (*Recorder, error) {
	k, cached := loadCachedLayout()
	if !cached {
		var err error
		if k, err = loadKernelLayout(); err != nil {
			return nil, err
		}
	}
	r, err := load(opts, k)
	if err != nil && cached {
		// A stale or damaged cache: read the BTF and try again.
		dropCachedLayout()
		if k, err = loadKernelLayout(); err != nil {
			return nil, err
		}
		cached = false
		r, err = load(opts, k)
	}
	if err == nil && !cached {
		storeCachedLayout(k)
	}
	return r, err
}

// load creates the maps and loads and attaches the programs.
func load(opts Options, k *kernelLayout) (_ *Recorder, err error) {
	r := &Recorder{opts: opts}
	if r.arches, err = ebpfasm.Arches(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	if err := r.createMaps(k); err != nil {
		return nil, err
	}
	ex, err := r.execNumbers()
	if err != nil {
		return nil, err
	}
	progs := []struct {
		tp    string
		insns asm.Instructions
	}{
		{"sched_process_fork", processFork(k, &r.maps)},
		{"sched_process_exit", processExit(&r.maps)},
		{"sched_process_exec", processExec(&r.maps)},
		{"sys_enter", sysEnter(k, &r.maps, ex, opts.Cgroup)},
	}
	if opts.Cgroup.ID != 0 {
		progs = progs[3:] // the cgroup is the tree
	} else {
		for _, p := range []struct {
			dst    **ebpf.Program
			remove bool
		}{{&r.seedProg, false}, {&r.unseedProg, true}} {
			prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Name: "sf_seed", Type: ebpf.RawTracepoint, Instructions: seed(&r.maps, p.remove), License: "Dual MIT/GPL"})
			if err != nil {
				return nil, loadError("seed", err)
			}
			*p.dst = prog
			r.progs = append(r.progs, prog)
		}
	}
	for _, p := range progs {
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
			Name:         ebpfasm.ObjName("sf_" + p.tp),
			Type:         ebpf.RawTracepoint,
			Instructions: p.insns,
			// GPL-compatible: bpf_probe_read_kernel and BTF pointer
			// loads are GPL-only.
			License: "Dual MIT/GPL",
		})
		if err != nil {
			return nil, loadError(p.tp, err)
		}
		r.progs = append(r.progs, prog)
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: p.tp, Program: prog})
		if err != nil {
			return nil, loadError(p.tp, err)
		}
		r.links = append(r.links, l)
	}
	return r, nil
}

func loadError(tp string, err error) error {
	if errors.Is(err, ebpf.ErrNotSupported) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EINVAL) {
		return &record.NotSupportedError{Backend: "ebpf", Missing: "a kernel that accepts the raw tracepoint program for " + tp, Err: err}
	}
	return fmt.Errorf("ebpf: loading the %s program: %w", tp, err)
}

func (r *Recorder) createMaps(k *kernelLayout) error {
	mk := func(dst **ebpf.Map, spec ebpf.MapSpec) error {
		m, err := ebpf.NewMap(&spec)
		if err != nil {
			return fmt.Errorf("ebpf: creating map %s: %w", spec.Name, err)
		}
		*dst = m
		r.all = append(r.all, m)
		return nil
	}
	specs := []struct {
		dst  **ebpf.Map
		spec ebpf.MapSpec
	}{
		{&r.maps.tracked, ebpf.MapSpec{Name: "sf_tracked", Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: tidBits / 64}},
		{&r.maps.counts, ebpf.MapSpec{Name: "sf_counts", Type: ebpf.PerCPUArray, KeySize: 4, ValueSize: 8 * abiCount * abiSlots, MaxEntries: 1}},
		{&r.maps.overflow, ebpf.MapSpec{Name: "sf_overflow", Type: ebpf.Hash, KeySize: 8, ValueSize: 8, MaxEntries: maxOverflow}},
		{&r.maps.pending, ebpf.MapSpec{Name: "sf_pending", Type: ebpf.Hash, KeySize: 4, ValueSize: 8, MaxEntries: maxPending}},
		{&r.maps.stats, ebpf.MapSpec{Name: "sf_stats", Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: statCount}},
	}
	if r.opts.Args {
		specs = append(specs,
			struct {
				dst  **ebpf.Map
				spec ebpf.MapSpec
			}{&r.maps.argspec, ebpf.MapSpec{Name: "sf_argspec", Type: ebpf.Array, KeySize: 4, ValueSize: 16, MaxEntries: abiCount * abiSlots}},
			struct {
				dst  **ebpf.Map
				spec ebpf.MapSpec
			}{&r.maps.argvals, ebpf.MapSpec{Name: "sf_argvals", Type: ebpf.Hash, KeySize: 24, ValueSize: 8, MaxEntries: maxArgVals}},
			struct {
				dst  **ebpf.Map
				spec ebpf.MapSpec
			}{&r.maps.argfull, ebpf.MapSpec{Name: "sf_argfull", Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: abiCount * abiSlots}})
	}
	for _, s := range specs {
		if err := mk(s.dst, s.spec); err != nil {
			return err
		}
	}
	if r.opts.Args {
		return r.fillArgSpecs(k)
	}
	return nil
}

// fillArgSpecs tells the program which argument registers to read for the
// syscalls of record.ArgSpecs on each ABI.
func (r *Recorder) fillArgSpecs(k *kernelLayout) error {
	for abi, a := range r.arches {
		regs := k.NativeArgs
		if abi == abiX86 {
			regs = k.CompatArgs
		}
		for _, s := range record.ArgSpecs() {
			nr, ok := a.Number(s.Name)
			if !ok {
				continue
			}
			spec, _ := record.ArgSpecFor(a, nr)
			v := argSpec{N: uint32(len(spec.Fields))}
			for i, f := range spec.Fields {
				v.Off[i] = regs[f.Index]
				if f.Deref {
					if i != 0 {
						return fmt.Errorf("ebpf: %s: only the first field may be a pointer", s.Name)
					}
					v.Flags |= argDeref
				}
			}
			idx := uint32(abi)*abiSlots + (nr &^ syscalls.X32SyscallBit)
			if err := r.maps.argspec.Put(idx, v); err != nil {
				return fmt.Errorf("ebpf: filling argspec: %w", err)
			}
		}
	}
	return nil
}

func (r *Recorder) execNumbers() (*execNumbers, error) {
	ex := &execNumbers{}
	for abi, a := range r.arches {
		for i, n := range []string{"execve", "execveat"} {
			nr, ok := a.Number(n)
			if !ok {
				return nil, fmt.Errorf("ebpf: %s has no %s", a.Name, n)
			}
			ex.raw[abi][i] = int64(nr)
			ex.nr[abi][i] = int32(nr &^ syscalls.X32SyscallBit)
		}
	}
	return ex, nil
}

// Follow makes the recorder record the process pid, from its next
// successful execve on, and every thread and process it creates from then
// on. Call it after starting the launcher process and before letting it
// exec the command: what the launcher does before that exec is not
// recorded, the exec call itself is (it is the command's first syscall).
func (r *Recorder) Follow(pid int) error {
	if pid <= 0 {
		return fmt.Errorf("ebpf: Follow: invalid pid %d", pid)
	}
	if err := r.maps.pending.Update(uint32(pid), pendingExec{}, ebpf.UpdateNoExist); err != nil {
		return fmt.Errorf("ebpf: following pid %d: %w", pid, err)
	}
	return nil
}

// Track starts recording the process pid at once, with every thread and
// process it creates from then on. The process must be stopped at its
// exec stop, single-threaded (sandbox.Trace calls Ready there), and the
// recorder must not be recording anything else yet. The execve that
// brought it there is counted as its first call, on the native ABI (the
// launcher's exec), as Follow counts the exec it sees.
func (r *Recorder) Track(pid int) error {
	if pid <= 0 || pid >= tidBits {
		return fmt.Errorf("ebpf: Track: invalid pid %d", pid)
	}
	// The programs set bits with atomic operations; this plain update of
	// one word is safe because nothing in the map is alive yet (no
	// program writes it) and the process is stopped.
	if live, err := r.liveInMaps(); err != nil {
		return err
	} else if live != 0 || r.tracked.Load() != 0 {
		return errors.New("ebpf: Track must start the recorder's only tree, before anything else is followed")
	}
	word := uint32(pid >> 6)
	var v uint64
	if err := r.maps.tracked.Lookup(word, &v); err != nil {
		return fmt.Errorf("ebpf: tracking pid %d: %w", pid, err)
	}
	v |= 1 << (pid & 63)
	if err := r.maps.tracked.Update(word, v, ebpf.UpdateExist); err != nil {
		return fmt.Errorf("ebpf: tracking pid %d: %w", pid, err)
	}
	r.tracked.Add(1)
	return nil
}

// Attach starts recording the running process pid, every thread of it,
// every process below it, and every thread and process they create from
// now on. Threads are added with the same atomic operations the
// programs use (a program run for each), so the programs may run and
// fork meanwhile; the tree is scanned again until it has no thread the
// recorder missed. Calls made before Attach are not recorded.
func (r *Recorder) Attach(pid int) error {
	if r.seedProg == nil {
		return errors.New("ebpf: Attach records process trees, not a cgroup")
	}
	if err := unix.Kill(pid, 0); err != nil && !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("ebpf: process %d: %w", pid, err)
	}
	seeded := map[int]bool{}
	procs := map[int]bool{}
	for round := 0; round < 20; round++ {
		added := false
		for _, t := range treeThreads(pid) {
			if seeded[t.tid] {
				continue
			}
			if t.tid <= 0 || t.tid >= tidBits {
				continue
			}
			if _, err := r.seedProg.Run(&ebpf.RunOptions{Context: []uint64{uint64(t.tid)}}); err != nil {
				return fmt.Errorf("ebpf: following thread %d: %w", t.tid, err)
			}
			seeded[t.tid], added, procs[t.tgid] = true, true, true
		}
		if !added {
			break
		}
	}
	// A thread that exited between the scan and its seeding would stay
	// in the tree (and count as alive): take those out again.
	for tid := range seeded {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", tid)); err != nil {
			r.unseedProg.Run(&ebpf.RunOptions{Context: []uint64{uint64(tid)}})
		}
	}
	r.attached.Add(int64(len(procs)))
	return nil
}

type threadID struct{ tid, tgid int }

// treeThreads lists the threads of pid and of every process below it,
// from /proc.
func treeThreads(pid int) []threadID {
	procs := procfs.Descendants(pid)
	var out []threadID
	for _, p := range procs {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", p))
		if err != nil {
			continue
		}
		for _, t := range tasks {
			if tid, err := strconv.Atoi(t.Name()); err == nil {
				out = append(out, threadID{tid, p})
			}
		}
	}
	return out
}

// Kill sends SIGKILL to every process the recorder is following (to end
// a recording early). The thread ids come from the tracking bitmap,
// whose bits are cleared as tasks exit.
func (r *Recorder) Kill() error {
	words, err := readArray[uint64](r.maps.tracked, tidBits/64)
	if err != nil {
		return fmt.Errorf("ebpf: reading the tracked tasks: %w", err)
	}
	for w, v := range words {
		for v != 0 {
			b := bits.TrailingZeros64(v)
			v &^= 1 << b
			unix.Kill(w*64+b, unix.SIGKILL)
		}
	}
	return nil
}

// Live returns how many threads of the followed trees are alive.
func (r *Recorder) Live() (int64, error) {
	v, err := r.liveInMaps()
	// A tracked process was set live from user space; the programs count
	// its exit (and so may go below zero).
	return v + r.tracked.Load(), err
}

func (r *Recorder) liveInMaps() (int64, error) {
	var v int64
	if err := r.maps.stats.Lookup(uint32(statLive), &v); err != nil {
		return 0, fmt.Errorf("ebpf: reading stats: %w", err)
	}
	return v, nil
}

// Progress returns what has been recorded so far: processes seen and
// distinct (ABI, number) pairs. It reads the maps while the programs
// update them; call it from one goroutine at a time, before Stop.
func (r *Recorder) Progress() (record.Progress, error) {
	var p record.Progress
	var procs uint64
	if err := r.maps.stats.Lookup(uint32(statProcesses), &procs); err != nil {
		return p, fmt.Errorf("ebpf: reading stats: %w", err)
	}
	p.Processes = procs + uint64(r.tracked.Load()) + uint64(r.attached.Load())
	counts, err := r.readCounts()
	if err != nil {
		return p, err
	}
	for _, n := range counts {
		if n > 0 {
			p.Syscalls++
		}
	}
	var k, n uint64
	it := r.maps.overflow.Iterate()
	for it.Next(&k, &n) {
		p.Syscalls++
	}
	if started := r.tracked.Load(); started > 0 && counts[r.execveSlot()] == 0 {
		p.Syscalls++ // the execve Track counts
	}
	return p, it.Err()
}

// execveSlot is the counts index of the native execve.
func (r *Recorder) execveSlot() uint32 {
	nr, _ := r.arches[abiNative].Number("execve")
	return abiNative*abiSlots + nr
}

// Wait returns when every followed tree has exited (no tracked task is
// alive), or when ctx ends. Call it after the command itself has been
// reaped: descendants that outlive it are waited for too.
func (r *Recorder) Wait(ctx context.Context) error {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		n, err := r.Live()
		if err != nil {
			return err
		}
		if n <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Stop detaches the programs, waits until no program runs any more, and
// returns what was recorded. It may be called while the tree still runs
// (Ctrl-C): the result is what was recorded so far. The Recorder must
// still be closed.
func (r *Recorder) Stop() (*record.Observations, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return nil, errors.New("ebpf: Stop called twice")
	}
	r.done = true
	live, err := r.Live()
	if err != nil {
		return nil, err
	}
	if err := r.detach(); err != nil {
		return nil, err
	}
	// Drain. When no task of the tree is alive, nothing can still be
	// updating the maps: each task's sys_enter programs finish before
	// that task reaches sched_process_exit, whose atomic decrement of
	// live we have read as the last one. When the tree still runs
	// (Stop on Ctrl-C), a program that started before its link was
	// released may still be running on another CPU: wait for it.
	if live > 0 {
		ebpfasm.WaitForPrograms()
	}
	return r.read()
}

func (r *Recorder) detach() error {
	var errs []error
	for _, l := range r.links {
		errs = append(errs, l.Close())
	}
	r.links = nil
	return errors.Join(errs...)
}

func (r *Recorder) read() (*record.Observations, error) {
	o := record.New()
	o.ArgsRecorded = r.opts.Args
	var stats [statCount]uint64
	for i := range stats {
		if err := r.maps.stats.Lookup(uint32(i), &stats[i]); err != nil {
			return nil, fmt.Errorf("ebpf: reading stats: %w", err)
		}
	}
	started := uint64(r.tracked.Load())
	o.Processes, o.Threads = stats[statProcesses]+started+uint64(r.attached.Load()), stats[statThreads]
	stats[statExecs] += started

	counts, err := r.readCounts()
	if err != nil {
		return nil, err
	}
	counts[r.execveSlot()] += started
	for idx, n := range counts {
		if n > 0 {
			a, nr := r.slot(uint32(idx))
			o.Add(a, nr, n, -1)
		}
	}
	var ok uint64
	var cnt uint64
	it := r.maps.overflow.Iterate()
	for it.Next(&ok, &cnt) {
		abi := ok >> 32
		if abi >= abiCount {
			continue
		}
		nr := uint32(ok)
		if abi == abiX32 {
			nr |= syscalls.X32SyscallBit
		}
		o.Add(r.arches[abi], nr, cnt, -1)
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("ebpf: reading overflow: %w", err)
	}
	if r.opts.Args {
		var k argKey
		ai := r.maps.argvals.Iterate()
		for ai.Next(&k, &cnt) {
			a, nr := r.slot(k.Idx)
			o.AddArgs(a, nr, record.ArgValues{k.V0, k.V1}, cnt)
		}
		if err := ai.Err(); err != nil {
			return nil, fmt.Errorf("ebpf: reading argument values: %w", err)
		}
		full, err := readArray[uint32](r.maps.argfull, abiCount*abiSlots)
		if err != nil {
			return nil, fmt.Errorf("ebpf: reading argument overflow: %w", err)
		}
		for idx, f := range full {
			if f != 0 {
				a, nr := r.slot(uint32(idx))
				o.MarkArgsIncomplete(a, nr)
				o.Warnings = append(o.Warnings, fmt.Sprintf("not every argument value of %s syscall %d was recorded; its rule will not restrict arguments", a.Name, nr))
			}
		}
	}
	if stats[statLostTasks] > 0 {
		o.Warnings = append(o.Warnings, fmt.Sprintf("%d tasks of the tree were not followed (thread id beyond %d, or unreadable); their syscalls are missing", stats[statLostTasks], tidBits))
	}
	if stats[statLostCounts] > 0 {
		o.Warnings = append(o.Warnings, fmt.Sprintf("%d calls to out-of-range syscall numbers were not counted (more than %d distinct numbers)", stats[statLostCounts], maxOverflow))
	}
	if stats[statNoExecNr] > 0 {
		o.Warnings = append(o.Warnings, "the exec call that started the command was not seen; execve may be missing from the profile")
	}
	if stats[statExecs] == 0 && r.attached.Load() == 0 && r.opts.Cgroup.ID == 0 {
		o.Warnings = append(o.Warnings, "the command never started: no followed process completed an exec")
	}
	return o, nil
}

// countsValue is the counts map's one per-CPU value: a count per slot.
type countsValue [abiCount * abiSlots]uint64

// readCounts returns the counts of every slot, summed over the CPUs.
func (r *Recorder) readCounts() ([]uint64, error) {
	var perCPU []countsValue
	if err := r.maps.counts.Lookup(uint32(0), &perCPU); err != nil {
		return nil, fmt.Errorf("ebpf: reading counts: %w", err)
	}
	sums := make([]uint64, abiCount*abiSlots)
	for _, c := range perCPU {
		for i, n := range c {
			sums[i] += n
		}
	}
	return sums, nil
}

// readArray returns an array map's n values, batched where possible.
func readArray[V uint32 | uint64](m *ebpf.Map, n int) ([]V, error) {
	out := make([]V, n)
	keys := make([]uint32, n)
	vals := make([]V, n)
	var cursor ebpf.MapBatchCursor
	got, err := m.BatchLookup(&cursor, keys, vals, nil)
	if (err == nil || errors.Is(err, ebpf.ErrKeyNotExist)) && got == n {
		for i := range got {
			out[keys[i]] = vals[i]
		}
		return out, nil
	}
	for k := range n {
		if err := m.Lookup(uint32(k), &out[k]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// slot maps a counts index back to (ABI, kernel number).
func (r *Recorder) slot(idx uint32) (*syscalls.Arch, uint32) {
	abi, nr := idx/abiSlots, idx%abiSlots
	if abi == abiX32 {
		nr |= syscalls.X32SyscallBit
	}
	return r.arches[abi], nr
}

// Close detaches the programs and frees the maps. It is safe to call more
// than once and after Stop.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	errs := []error{r.detach()}
	for _, p := range r.progs {
		errs = append(errs, p.Close())
	}
	r.progs = nil
	for _, m := range r.all {
		errs = append(errs, m.Close())
	}
	r.all = nil
	return errors.Join(errs...)
}

// notSupported is the recorder's refusal for what the machine lacks.
func notSupported(m *ebpfasm.Missing) error {
	return &record.NotSupportedError{Backend: "ebpf", Missing: m.What, Err: m.Err}
}

var featureOnce = sync.OnceValue(func() error {
	if err := features.HaveProgramType(ebpf.RawTracepoint); err != nil {
		return &record.NotSupportedError{Backend: "ebpf", Missing: "a kernel with BPF raw tracepoints (CONFIG_BPF_SYSCALL, Linux 4.17 or later)", Err: err}
	}
	for _, h := range []struct {
		fn   asm.BuiltinFunc
		what string
	}{
		{asm.FnGetCurrentTaskBtf, "bpf_get_current_task_btf (Linux 5.11 or later)"},
		{asm.FnProbeReadKernel, "bpf_probe_read_kernel (Linux 5.5 or later)"},
	} {
		if err := features.HaveProgramHelper(ebpf.RawTracepoint, h.fn); err != nil {
			return &record.NotSupportedError{Backend: "ebpf", Missing: "the BPF helper " + h.what, Err: err}
		}
	}
	return nil
})

func checkFeatures() error { return featureOnce() }

// loadKernelLayout finds the offsets the programs use in the kernel's BTF.
func loadKernelLayout() (*kernelLayout, error) {
	spec, m := ebpfasm.KernelSpec()
	if m != nil {
		return nil, notSupported(m)
	}
	k, m := ebpfasm.ReadTaskLayout(spec)
	if m != nil {
		return nil, notSupported(m)
	}
	return &k, nil
}
