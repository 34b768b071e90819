package record

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sysfence/sysfence/internal/notsup"
	"github.com/sysfence/sysfence/syscalls"
)

// ErrNotSupported is returned (wrapped, naming what is missing) when a
// recorder backend cannot run here: wrong OS or architecture, missing
// privilege, or a kernel without the feature it needs. It is the same
// value in every sysfence package.
var ErrNotSupported = notsup.ErrNotSupported

// NotSupportedError names what a backend is missing. It matches
// ErrNotSupported with errors.Is and unwraps to the underlying cause.
type NotSupportedError struct {
	Backend string // "ebpf", "ptrace"
	Missing string // what is missing, e.g. "CAP_BPF and CAP_PERFMON (run as root)"
	Err     error  // the underlying error, if any
}

func (e *NotSupportedError) Error() string {
	msg := fmt.Sprintf("%s recorder not supported: needs %s", e.Backend, e.Missing)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is makes errors.Is(err, ErrNotSupported) true.
func (e *NotSupportedError) Is(target error) bool { return target == ErrNotSupported }

func (e *NotSupportedError) Unwrap() error { return e.Err }

// Observations is what one or more recordings saw: per ABI, as the kernel
// saw each call, per syscall number. A 64-bit process that uses int 0x80
// records under x86; x32 calls record under x32 (numbers carry the x32 bit).
// The zero value is not usable; use New.
type Observations struct {
	// ABIs maps each ABI seen to its syscalls.
	ABIs map[*syscalls.Arch]*ABI
	// Processes counts the processes seen: the command and every process
	// (not thread) it or its descendants created.
	Processes uint64
	// Threads counts the extra threads seen (clones that share the
	// process).
	Threads uint64
	// Recordings is how many recordings were merged into this one (1 for a
	// fresh recording).
	Recordings int
	// ArgsRecorded tells whether argument values were recorded (--args) in
	// every merged recording.
	ArgsRecorded bool
	// Warnings tell what the recorder may have missed (the caller prints
	// them).
	Warnings []string
	// Execs are the programs executed and Mapped the files mapped
	// executable (shared libraries, dlopen'ed modules), when the backend
	// records them (ptrace with Files): what record --static analyses.
	// Sorted, symlinks resolved.
	Execs  []string
	Mapped []string

	// nameRecordings counts, once recordings are merged, the recordings
	// that saw each syscall name on any ABI (Stats.Recordings counts per
	// ABI, and a name seen on x86_64 in one recording and on x86 in
	// another was seen in two).
	nameRecordings map[string]int
}

// ABI holds the syscalls seen on one ABI, keyed by the number the kernel
// reports (seccomp_data.nr: with the x32 bit or MIPS base included).
// Numbers without a name on the ABI are kept as they are.
type ABI struct {
	Syscalls map[uint32]*Stats
}

// Stats describes one syscall on one ABI.
type Stats struct {
	Calls uint64
	// Errors counts the calls that returned an error; meaningful only when
	// ErrorsKnown (a backend that sees only syscall entry cannot know).
	Errors      uint64
	ErrorsKnown bool
	// Recordings counts the merged recordings that saw the syscall.
	Recordings int
	// Args holds the observed values of the deciding arguments for the
	// syscalls listed by ArgSpecFor; nil when not recorded.
	Args *ArgSet
	// Escaped counts the children these calls created that the recorder
	// could not follow (CLONE_UNTRACED it could not clear): none of their
	// calls is recorded, so the recording is incomplete.
	Escaped uint64
}

// ArgValues is one observed combination of a syscall's deciding arguments,
// raw as the kernel passed them, in the order of the ArgSpec's fields
// (unused trailing fields are zero).
type ArgValues [2]uint64

// ArgSet is the set of observed argument combinations of a syscall.
type ArgSet struct {
	// Values maps each observed combination to the number of calls.
	Values map[ArgValues]uint64
	// Complete is false when some calls' values are unknown (the recorder
	// ran out of room, or a merged recording did not record arguments);
	// rules must then not restrict the arguments.
	Complete bool
}

// New returns empty observations of one recording.
func New() *Observations {
	return &Observations{ABIs: map[*syscalls.Arch]*ABI{}, Recordings: 1}
}

// stats returns the entry for (arch, nr), creating it.
func (o *Observations) stats(arch *syscalls.Arch, nr uint32) *Stats {
	a := o.ABIs[arch]
	if a == nil {
		a = &ABI{Syscalls: map[uint32]*Stats{}}
		o.ABIs[arch] = a
	}
	s := a.Syscalls[nr]
	if s == nil {
		s = &Stats{Recordings: 1}
		a.Syscalls[nr] = s
	}
	return s
}

// Add records calls of syscall nr on arch (errors < 0: unknown).
func (o *Observations) Add(arch *syscalls.Arch, nr uint32, calls uint64, errors int64) {
	if calls == 0 {
		return
	}
	s := o.stats(arch, nr)
	s.Calls += calls
	if errors >= 0 {
		s.Errors += uint64(errors)
		s.ErrorsKnown = true
	}
}

// AddArgs records calls of syscall nr on arch with the given deciding
// argument values. The syscall itself must be added with Add as well.
func (o *Observations) AddArgs(arch *syscalls.Arch, nr uint32, v ArgValues, calls uint64) {
	s := o.stats(arch, nr)
	if s.Args == nil {
		s.Args = &ArgSet{Values: map[ArgValues]uint64{}, Complete: true}
	}
	s.Args.Values[v] += calls
}

// AddEscaped records that n children created by calls of syscall nr on
// arch escaped the recorder (see Stats.Escaped). The syscall itself must
// be added with Add as well.
func (o *Observations) AddEscaped(arch *syscalls.Arch, nr uint32, n uint64) {
	if n > 0 {
		o.stats(arch, nr).Escaped += n
	}
}

// MarkArgsIncomplete records that some argument values of (arch, nr) were
// lost, so that no rule restricts them.
func (o *Observations) MarkArgsIncomplete(arch *syscalls.Arch, nr uint32) {
	s := o.stats(arch, nr)
	if s.Args == nil {
		s.Args = &ArgSet{Values: map[ArgValues]uint64{}}
	}
	s.Args.Complete = false
}

// Lookup returns the statistics of (arch, nr), or nil.
func (o *Observations) Lookup(arch *syscalls.Arch, nr uint32) *Stats {
	if a := o.ABIs[arch]; a != nil {
		return a.Syscalls[nr]
	}
	return nil
}

// Entry is one (ABI, syscall) pair of Observations, for listing.
type Entry struct {
	Arch *syscalls.Arch
	Nr   uint32
	// Name is the syscall's name, or "" when the number has none on the
	// ABI (kept by number, see String).
	Name string
	*Stats
}

// String names the entry: "x86_64/read", or "x86_64/#999" for a number
// without a name.
func (e Entry) String() string {
	if e.Name != "" {
		return e.Arch.Name + "/" + e.Name
	}
	return fmt.Sprintf("%s/#%d", e.Arch.Name, e.Nr)
}

// Entries lists everything seen, sorted by ABI (libseccomp's order) and
// number: deterministic.
func (o *Observations) Entries() []Entry {
	var out []Entry
	for _, arch := range syscalls.Arches() {
		a := o.ABIs[arch]
		if a == nil {
			continue
		}
		for nr, s := range a.Syscalls {
			name, _ := arch.SyscallName(nr)
			out = append(out, Entry{Arch: arch, Nr: nr, Name: name, Stats: s})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Arch != out[j].Arch {
			return archIndex(out[i].Arch) < archIndex(out[j].Arch)
		}
		return out[i].Nr < out[j].Nr
	})
	return out
}

func archIndex(a *syscalls.Arch) int {
	for i, b := range syscalls.Arches() {
		if a == b {
			return i
		}
	}
	return len(syscalls.Arches())
}

// Names returns the distinct syscall names seen on any ABI, sorted.
func (o *Observations) Names() []string {
	seen := map[string]bool{}
	for _, e := range o.Entries() {
		if e.Name != "" {
			seen[e.Name] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Merge adds the recordings in other to o (a union: counts add up, and
// each syscall keeps how many recordings saw it). Merge into the first
// recording, not into an empty New(), which counts as one recording.
func (o *Observations) Merge(other *Observations) {
	byName := map[string]int{}
	for _, side := range []*Observations{o, other} {
		for n, r := range side.recordingsByName() {
			byName[n] += r
		}
	}
	defer func() { o.nameRecordings = byName }()
	o.Processes += other.Processes
	o.Threads += other.Threads
	o.ArgsRecorded = o.ArgsRecorded && other.ArgsRecorded
	o.Warnings = append(o.Warnings, other.Warnings...)
	o.Execs = unionSorted(o.Execs, other.Execs)
	o.Mapped = unionSorted(o.Mapped, other.Mapped)
	for arch, oa := range other.ABIs {
		for nr, os := range oa.Syscalls {
			s := o.Lookup(arch, nr)
			if s == nil {
				s = o.stats(arch, nr)
				s.Recordings = 0
			}
			mergeStats(s, os)
		}
	}
	// Syscalls one side never saw keep their values: a recording that did
	// not call socket says nothing about socket's arguments.
	o.Recordings += other.Recordings
}

func mergeStats(s, os *Stats) {
	hadCalls := s.Calls > 0
	bothKnown := (s.ErrorsKnown || !hadCalls) && os.ErrorsKnown
	s.Calls += os.Calls
	s.Errors += os.Errors
	s.ErrorsKnown = bothKnown
	s.Recordings += os.Recordings
	s.Escaped += os.Escaped
	switch {
	case s.Args == nil && os.Args == nil:
	case s.Args == nil:
		s.Args = os.Args.clone()
		if hadCalls { // our calls' values were not recorded
			s.Args.Complete = false
		}
	case os.Args == nil:
		if os.Calls > 0 {
			s.Args.Complete = false
		}
	default:
		for v, n := range os.Args.Values {
			s.Args.Values[v] += n
		}
		s.Args.Complete = s.Args.Complete && os.Args.Complete
	}
}

func (a *ArgSet) clone() *ArgSet {
	c := &ArgSet{Values: make(map[ArgValues]uint64, len(a.Values)), Complete: a.Complete}
	for v, n := range a.Values {
		c.Values[v] = n
	}
	return c
}

// recordingsByName returns how many recordings saw each syscall name.
func (o *Observations) recordingsByName() map[string]int {
	if o.nameRecordings != nil {
		return o.nameRecordings
	}
	// Not merged: per ABI is all there is (1 for a single recording).
	m := map[string]int{}
	for _, e := range o.Entries() {
		if e.Name != "" && e.Calls > 0 {
			m[e.Name] = max(m[e.Name], e.Recordings)
		}
	}
	return m
}

func unionSorted(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string(nil), a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// ExecutableMappings returns the files that a /proc/PID/maps listing
// shows mapped with execute permission, in order, once each.
func ExecutableMappings(maps []byte) []string {
	var out []string
	seen := map[string]bool{}
	for _, line := range strings.Split(string(maps), "\n") {
		// address perms offset dev inode path
		f := strings.Fields(line)
		if len(f) < 6 || len(f[1]) < 3 || f[1][2] != 'x' || !strings.HasPrefix(f[5], "/") {
			continue
		}
		p := strings.TrimSuffix(strings.Join(f[5:], " "), " (deleted)")
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
