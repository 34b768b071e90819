package sandbox

import (
	"fmt"
	"sync"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/sysdecode"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/syscalls"
)

// AuditRecord sums up the calls of one syscall on one ABI that the filter
// would have denied in audit mode.
type AuditRecord struct {
	Arch *syscalls.Arch // nil for an ABI sysfence does not know
	Nr   uint32
	Name string
	// Action is what the filter would have answered the first such call;
	// Why says which profile entry or default decides it.
	Action policy.Action
	Why    string
	Calls  uint64
	// Processes are the processes that made the calls ("cat[1234]"), in
	// order of their first call.
	Processes []string
	// Examples are the distinct calls as decoded, in order of their first
	// occurrence: at most MaxAuditExamples; MoreExamples counts the others.
	Examples     []AuditExample
	MoreExamples int

	seen map[string]int // decoded call -> index in Examples, or -1
}

// AuditExample is one distinct decoded call and how often it was made.
type AuditExample struct {
	Call  string
	Count uint64
}

// MaxAuditExamples bounds AuditRecord.Examples.
const MaxAuditExamples = 8

// String is the summary line of the record, e.g.
//
//	openat: 3 calls would be denied: EPERM (default action ERRNO(1)), by cat[12]
//
// A call of another ABI than the machine's is named with its ABI, as
// reports print it: "x32 openat: ...".
func (r *AuditRecord) String() string {
	calls := "1 call"
	if r.Calls != 1 {
		calls = fmt.Sprintf("%d calls", r.Calls)
	}
	why := ""
	if r.Why != "" {
		why = " (" + r.Why + ")"
	}
	name := r.Name
	if r.Arch != nil {
		// As the calls are printed: "x32 openat" for another ABI's.
		name = sysdecode.Decoder{Arch: r.Arch}.Name(r.Nr)
	}
	return fmt.Sprintf("%s: %s would be %s%s, by %s", name, calls, wouldBe(r.Action), why, joinMax(r.Processes, 4))
}

func joinMax(s []string, n int) string {
	out := ""
	for i, x := range s {
		if i == n {
			return out + fmt.Sprintf(" and %d more", len(s)-n)
		}
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// auditLog counts what audit mode let through. The supervisor calls it
// from its one receiving goroutine, in the order notifications arrive.
type auditLog struct {
	mu      sync.Mutex
	records map[auditKey]*AuditRecord
	order   []*AuditRecord
	obs     *record.Observations
	// interrupted holds, per thread, the call whose notification vanished
	// before it was answered (a signal interrupted the wait). If the
	// thread's next notification is the very same call (same ABI, number,
	// arguments and instruction pointer), it is that call restarted
	// (SA_RESTART), not a new one, and is not counted again. With
	// SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV a received call can no
	// longer be interrupted by a non-fatal signal, and a call interrupted
	// before it was received is never seen; this matters on kernels
	// without the flag (before 5.19).
	interrupted map[uint32]bpf.Data
}

type auditKey struct{ arch, nr uint32 }

func newAuditLog() *auditLog {
	obs := record.New()
	obs.ArgsRecorded = true // the values record.ArgSpecs names are read for every call
	return &auditLog{records: map[auditKey]*AuditRecord{}, obs: obs, interrupted: map[uint32]bpf.Data{}}
}

// restarted reports whether a notification of thread tid repeats its
// interrupted one (and forgets that one either way).
func (a *auditLog) restarted(tid uint32, d *bpf.Data) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	prev, ok := a.interrupted[tid]
	if !ok {
		return false
	}
	delete(a.interrupted, tid)
	return prev == *d
}

// vanished remembers that the notification of tid for d was gone when it
// was answered.
func (a *auditLog) vanished(tid uint32, d *bpf.Data) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.interrupted[tid] = *d
}

// add counts one call; it returns true when the decoded call is new (to
// be reported as it happens).
func (a *auditLog) add(call Syscall, action policy.Action, why, process, decoded string, args record.ArgValues, argsOK, hasArgs bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := auditKey{call.Data().Arch, call.Nr}
	r := a.records[key]
	if r == nil {
		r = &AuditRecord{Arch: call.Arch, Nr: call.Nr, Name: call.Name(), Action: action, Why: why, seen: map[string]int{}}
		a.records[key] = r
		a.order = append(a.order, r)
	}
	r.Calls++
	if !contains(r.Processes, process) {
		r.Processes = append(r.Processes, process)
	}
	i, seen := r.seen[decoded]
	switch {
	case seen && i >= 0:
		r.Examples[i].Count++
	case !seen && len(r.Examples) < MaxAuditExamples:
		r.seen[decoded] = len(r.Examples)
		r.Examples = append(r.Examples, AuditExample{Call: decoded, Count: 1})
	case !seen:
		r.seen[decoded] = -1
		r.MoreExamples++
	}
	if call.Arch != nil {
		a.obs.Add(call.Arch, call.Nr, 1, -1)
		if hasArgs {
			if argsOK {
				a.obs.AddArgs(call.Arch, call.Nr, args, 1)
			} else {
				a.obs.MarkArgsIncomplete(call.Arch, call.Nr)
			}
		}
	}
	return !seen
}

// result copies the records out.
func (a *auditLog) result() ([]AuditRecord, *record.Observations) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]AuditRecord, len(a.order))
	for i, r := range a.order {
		out[i] = *r
		out[i].seen = nil
		out[i].Processes = append([]string(nil), r.Processes...)
		out[i].Examples = append([]AuditExample(nil), r.Examples...)
	}
	return out, a.obs
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}
