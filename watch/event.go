package watch

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sysfence/sysfence/internal/cgroups"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// Outcome is what the kernel did with a call after its filters answered.
type Outcome uint8

// Outcomes.
const (
	// Skipped: the call did not run; its result is Decision.Ret (an
	// errno, or a value a supervisor or tracer chose).
	Skipped Outcome = iota + 1
	// Killed: the kernel killed the thread or the process (SIGSYS), or
	// strict mode killed the thread.
	Killed
	// Trapped: the call did not run and the thread got SIGSYS.
	Trapped
	// Ran: the call ran (LOG, or TRACE and USER_NOTIF answers that let
	// it).
	Ran
)

// Decision is one seccomp decision other than ALLOW, as the kernel made
// it.
type Decision struct {
	Time time.Time
	// Pid is the process (thread group) and Tid the thread that made the
	// call.
	Pid, Tid int
	Comm     string
	// Cmdline is the start of the process's command line.
	Cmdline []string
	// Cgroup is the process's cgroup in the unified hierarchy ("" when
	// it is gone); Container the container it belongs to, if any.
	Cgroup    string
	Container string
	// Arch is the ABI of the call (nil for one sysfence does not know);
	// Nr its number on that ABI, x32 calls with the x32 bit.
	Arch *syscalls.Arch
	Nr   uint32
	Args [6]uint64
	IP   uint64
	// Call is the call as run's reports decode it: paths (as the process
	// passed them when it made the call), flags, AT_FDCWD, with the ABI
	// first when it is not the machine's ("x32 openat(...)").
	Call string
	// Action is the filters' answer (data included). Known is false
	// when the filters could not be read: Action is then what the
	// kernel's handling of the call shows (an errno answer for a call
	// skipped with an error, a kill, a trap).
	Action policy.Action
	Known  bool
	// Strict: strict mode (SECCOMP_MODE_STRICT) killed the thread.
	Strict  bool
	Outcome Outcome
	// Ret is the result of a skipped call: -errno, or the value a
	// supervisor or tracer made it return.
	Ret int64
	// Filter is the deciding filter's place in the thread's chain
	// (1 = the first installed) among Filters; PC the instruction that
	// returned Action. 0 when unknown.
	Filter, Filters, PC int
	// Why names the deciding profile entry (with a profile to explain
	// with) or the deciding filter and instruction.
	Why string
}

// Verdict is the decision in words, as run's reports say it: "was
// denied: EPERM", "killed the process (KILL_PROCESS)".
func (d *Decision) Verdict() string {
	if d.Strict {
		return "killed the thread (strict mode)"
	}
	switch d.Action.Kind() {
	case policy.ActErrno:
		return "was denied: " + errnoName(uint16(-d.Ret))
	case policy.ActKillProcess:
		return "killed the process (KILL_PROCESS)"
	case policy.ActKillThread:
		return "killed the thread (KILL_THREAD)"
	case policy.ActTrap:
		return "was trapped: SIGSYS (TRAP)"
	case policy.ActLog:
		return "was logged and ran (LOG)"
	case policy.ActTrace:
		switch {
		case d.Outcome == Ran:
			return "went to the tracer, which let it run (" + d.Action.String() + ")"
		case d.Ret == -38 && !d.Known:
			return "was denied: ENOSYS (TRACE)"
		case d.Ret == -38:
			return "was denied: ENOSYS (TRACE with no tracer)"
		}
		return "was skipped by the tracer: " + result(d.Ret) + " (" + d.Action.String() + ")"
	case policy.ActUserNotif:
		if d.Outcome == Ran {
			return "went to the supervisor, which let it run (USER_NOTIF)"
		}
		return "was answered by the supervisor: " + result(d.Ret) + " (USER_NOTIF)"
	}
	// The kernel takes an action it does not know for KILL_PROCESS.
	return fmt.Sprintf("killed the process (unknown action %#x, taken as KILL_PROCESS)", uint32(d.Action))
}

// result says what a skipped call returned.
func result(ret int64) string {
	if ret < 0 && ret >= -4095 {
		return errnoName(uint16(-ret))
	}
	return "returns " + strconv.FormatInt(ret, 10)
}

func errnoName(n uint16) string {
	if n == 0 {
		return "0 (the call did not run)"
	}
	if s, ok := profile.ErrnoName(uint(n)); ok {
		return s
	}
	return fmt.Sprintf("errno %d", n)
}

// Where names the decision's process: "in container ID", "in cgroup
// PATH", or "" for the root cgroup.
func (d *Decision) Where() string {
	switch {
	case d.Container != "":
		return "in container " + cgroups.ShortID(d.Container)
	case d.Cgroup != "" && d.Cgroup != "/":
		return "in cgroup " + d.Cgroup
	}
	return ""
}

// Line is the decision as one line of text (without a count):
//
//	18:04:05.123 mkdir[4242] in container runctest-1-2 (mkdir /tmp/new): mkdirat(AT_FDCWD, "/tmp/new", 0777) was denied: EPERM (default action ERRNO(1))
func (d *Decision) Line() string {
	var b strings.Builder
	b.WriteString(d.Time.Format("15:04:05.000"))
	fmt.Fprintf(&b, " %s[%d]", d.Comm, d.Pid)
	if w := d.Where(); w != "" {
		b.WriteString(" " + w)
	}
	if len(d.Cmdline) > 0 {
		b.WriteString(" (" + quoteCmdline(d.Cmdline) + ")")
	}
	b.WriteString(": " + d.Call + " " + d.Verdict())
	if d.Why != "" {
		b.WriteString(" (" + d.Why + ")")
	}
	return b.String()
}

func quoteCmdline(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\") {
			a = strconv.Quote(a)
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// Group is a decision and its identical repeats: the same call (as
// decoded) of the same process, answered the same way.
type Group struct {
	Decision
	// Count is the number of such calls so far.
	Count uint64
}

// groupKey is what makes two decisions identical.
func groupKey(d *Decision) string {
	return fmt.Sprintf("%d\x00%s\x00%08x\x00%d\x00%d\x00%t\x00%s", d.Pid, d.Call, uint32(d.Action), d.Outcome, d.Ret, d.Strict, d.Why)
}

// aggregator groups decisions.
type aggregator struct {
	groups map[string]*Group
	order  []*Group
}

// add counts n calls of decision d into its group, which it returns
// (new when first is true).
func (a *aggregator) add(d *Decision, n uint64) (g *Group, first bool) {
	if a.groups == nil {
		a.groups = map[string]*Group{}
	}
	k := groupKey(d)
	if g = a.groups[k]; g == nil {
		g = &Group{Decision: *d}
		a.groups[k] = g
		a.order = append(a.order, g)
		first = true
	}
	g.Count += n
	return g, first
}

// Report is one line of watch's output: a group that is new or whose
// count grew, with the calls since its previous report.
type Report struct {
	*Group
	// Calls is the number of calls since the group's previous report
	// (all of them in the first).
	Calls uint64
	// First is set on the group's first report.
	First bool
}

// Text is the report as a line: the decision, and "×N" when it stands
// for N > 1 calls (since the previous line of the same group).
func (r Report) Text() string {
	s := r.Line()
	if r.Calls > 1 {
		s += fmt.Sprintf(" ×%d", r.Calls)
	}
	return s
}

// jsonDecision is the JSON form of a report.
type jsonDecision struct {
	Time      string   `json:"time"`
	Pid       int      `json:"pid"`
	Tid       int      `json:"tid"`
	Comm      string   `json:"comm"`
	Cmdline   []string `json:"cmdline"`
	Cgroup    string   `json:"cgroup,omitempty"`
	Container string   `json:"container,omitempty"`
	ABI       string   `json:"abi"`
	Syscall   string   `json:"syscall"`
	Nr        uint32   `json:"nr"`
	Args      []string `json:"args"`
	Call      string   `json:"call"`
	Action    string   `json:"action"`
	Known     bool     `json:"actionFromFilter"`
	Errno     string   `json:"errno,omitempty"`
	Ret       *int64   `json:"ret,omitempty"`
	Outcome   string   `json:"outcome"`
	Verdict   string   `json:"verdict"`
	Filter    int      `json:"filter,omitempty"`
	Filters   int      `json:"filters,omitempty"`
	PC        *int     `json:"pc,omitempty"`
	Why       string   `json:"why,omitempty"`
	Count     uint64   `json:"count"`
	Total     uint64   `json:"total"`
}

// String names the outcome as the JSON reports do.
func (o Outcome) String() string {
	switch o {
	case Skipped:
		return "skipped"
	case Killed:
		return "killed"
	case Trapped:
		return "trapped"
	case Ran:
		return "ran"
	}
	return ""
}

// JSON is the report as one JSON object (one line): the decision with
// "count", the calls it stands for, and "total", the group's count so
// far.
func (r Report) JSON() ([]byte, error) {
	d := &r.Decision
	j := jsonDecision{
		Time: d.Time.Format(time.RFC3339Nano), Pid: d.Pid, Tid: d.Tid, Comm: d.Comm, Cmdline: d.Cmdline,
		Cgroup: d.Cgroup, Container: d.Container, Nr: d.Nr, Call: d.Call, Action: actionName(d),
		Known: d.Known, Outcome: d.Outcome.String(), Verdict: d.Verdict(), Why: d.Why,
		Count: r.Calls, Total: r.Count, Args: callArgs(d.Call),
	}
	if j.Cmdline == nil {
		j.Cmdline = []string{}
	}
	if d.Arch != nil {
		j.ABI = d.Arch.Name
		j.Syscall = syscallName(d.Arch, d.Nr)
	}
	if d.Outcome == Skipped {
		ret := d.Ret
		j.Ret = &ret
		if ret < 0 && ret >= -4095 {
			j.Errno = errnoName(uint16(-ret))
		}
	}
	if d.Filter > 0 {
		j.Filter, j.Filters = d.Filter, d.Filters
		pc := d.PC
		j.PC = &pc
	}
	return json.Marshal(j)
}

func syscallName(a *syscalls.Arch, nr uint32) string {
	if n, ok := a.SyscallName(nr); ok {
		return n
	}
	return fmt.Sprintf("syscall_%#x", nr)
}

// callArgs splits the decoded arguments of "name(a, b, c)" at the
// commas between them (not those inside quotes, brackets or braces).
func callArgs(call string) []string {
	i := strings.IndexByte(call, '(')
	if i < 0 || !strings.HasSuffix(call, ")") {
		return []string{}
	}
	inner := call[i+1 : len(call)-1]
	out := []string{}
	if inner == "" {
		return out
	}
	depth, start, quoted := 0, 0, false
	for j := 0; j < len(inner); j++ {
		switch c := inner[j]; {
		case quoted && c == '\\':
			j++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '[' || c == '{' || c == '(':
			depth++
		case c == ']' || c == '}' || c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(inner[start:j]))
			start = j + 1
		}
	}
	return append(out, strings.TrimSpace(inner[start:]))
}

// Summary sums up a watch.
type Summary struct {
	Duration time.Duration
	// Calls counts every decision reported; Groups lists them grouped,
	// most calls first.
	Calls  uint64
	Groups []*Group
	// ByAction counts the calls per action ("ERRNO", "KILL_PROCESS", ...).
	ByAction map[string]uint64
	// Undelivered counts decisions the kernel counted but could not
	// describe: the table of distinct calls was full and so was the ring
	// buffer. They are in Calls and ByAction["unknown"].
	Undelivered uint64
	// Unchecked counts calls that ran and that may have been LOG, TRACE
	// or USER_NOTIF decisions, which could not be looked at (both full).
	// They are not in Calls.
	Unchecked uint64
	// Unread counts decisions whose filters could not be read (their
	// action is what the kernel's handling shows).
	Unread uint64
	// FiltersDropped counts filter programs the ring buffer had no room
	// for; they are sent again with the filter's next decision.
	FiltersDropped uint64
	// Missed counts runs of the programs the kernel skipped (it does not
	// run a program on a CPU where it is already running).
	Missed uint64
}

// summarize builds a Summary from the groups.
func summarize(groups []*Group, took time.Duration) Summary {
	s := Summary{Duration: took, ByAction: map[string]uint64{}}
	for _, g := range groups {
		s.Calls += g.Count
		s.ByAction[actionKind(&g.Decision)] += g.Count
		if !g.Known {
			s.Unread += g.Count
		}
	}
	s.Groups = append([]*Group(nil), groups...)
	sort.SliceStable(s.Groups, func(i, j int) bool { return s.Groups[i].Count > s.Groups[j].Count })
	return s
}

// actionKind names the kind of a decision's action: "ERRNO", "KILL_THREAD".
func actionKind(d *Decision) string {
	s := actionName(d)
	if i := strings.IndexByte(s, '('); i >= 0 {
		s = s[:i]
	}
	return s
}

// actionName names a decision's action with its data, KILL_THREAD
// spelled out: "ERRNO(1)", "KILL_THREAD", "TRACE(7)". Strict mode's kill
// is a KILL_THREAD; an action the kernel does not know acts as
// KILL_PROCESS.
func actionName(d *Decision) string {
	switch {
	case d.Strict || d.Action.Kind() == policy.ActKillThread:
		return "KILL_THREAD"
	case d.Action.Kind() == policy.ActKillProcess:
		return "KILL_PROCESS"
	}
	return d.Action.String()
}

// Text writes the summary as lines: totals, then one line per group.
func (s Summary) Text() []string {
	var kinds []string
	for k, n := range s.ByAction {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	head := fmt.Sprintf("sysfence watch: %s: %s in %s", round(s.Duration), plural(s.Calls, "decision", "decisions"), plural(uint64(len(s.Groups)), "group", "groups"))
	if len(kinds) > 0 {
		head += " (" + strings.Join(kinds, ", ") + ")"
	}
	lines := []string{head}
	for _, g := range s.Groups {
		lines = append(lines, fmt.Sprintf("%12d  %s", g.Count, g.Line()))
	}
	lines = append(lines, s.Losses()...)
	return lines
}

// Losses says what the watch could not fully report, one sentence each;
// none when nothing was lost.
func (s Summary) Losses() []string {
	var out []string
	if s.Undelivered > 0 {
		out = append(out, fmt.Sprintf("sysfence watch: %s counted but not described: the table of distinct calls and the ring buffer were both full", plural(s.Undelivered, "decision was", "decisions were")))
	}
	if s.Unchecked > 0 {
		out = append(out, fmt.Sprintf("sysfence watch: %s that may have been LOG, TRACE or USER_NOTIF decisions could not be looked at: the table of distinct calls and the ring buffer were both full", plural(s.Unchecked, "call", "calls")))
	}
	if s.Unread > 0 {
		out = append(out, fmt.Sprintf("sysfence watch: for %s the filters could not be read: the action shown is what the kernel did", plural(s.Unread, "decision", "decisions")))
	}
	if s.Missed > 0 {
		out = append(out, fmt.Sprintf("sysfence watch: the kernel skipped the watch's programs %s (a program was already running on that CPU): decisions may be missing", plural(s.Missed, "time", "times")))
	}
	if s.FiltersDropped > 0 {
		out = append(out, fmt.Sprintf("sysfence watch: %s did not fit the ring buffer at first (sent again with a later decision)", plural(s.FiltersDropped, "filter program", "filter programs")))
	}
	return out
}

// JSON is the summary as one JSON object with "summary": true.
func (s Summary) JSON() ([]byte, error) {
	type group struct {
		Pid       int    `json:"pid"`
		Comm      string `json:"comm"`
		Container string `json:"container,omitempty"`
		Cgroup    string `json:"cgroup,omitempty"`
		Call      string `json:"call"`
		Action    string `json:"action"`
		Verdict   string `json:"verdict"`
		Why       string `json:"why,omitempty"`
		Count     uint64 `json:"count"`
	}
	out := struct {
		Summary        bool              `json:"summary"`
		Seconds        float64           `json:"seconds"`
		Calls          uint64            `json:"calls"`
		ByAction       map[string]uint64 `json:"byAction"`
		Undelivered    uint64            `json:"undelivered"`
		Unchecked      uint64            `json:"unchecked"`
		Unread         uint64            `json:"unread"`
		FiltersDropped uint64            `json:"filtersDropped"`
		Groups         []group           `json:"groups"`
	}{Summary: true, Seconds: s.Duration.Seconds(), Calls: s.Calls, ByAction: s.ByAction,
		Undelivered: s.Undelivered, Unchecked: s.Unchecked, Unread: s.Unread, FiltersDropped: s.FiltersDropped, Groups: []group{}}
	for _, g := range s.Groups {
		out.Groups = append(out.Groups, group{g.Pid, g.Comm, g.Container, g.Cgroup, g.Call, actionName(&g.Decision), g.Verdict(), g.Why, g.Count})
	}
	return json.Marshal(out)
}

func round(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

func plural(n uint64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
