package explain

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sysfence/sysfence/internal/argspace"
	"github.com/sysfence/sysfence/internal/sysdecode"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// Input is what Explain describes: a policy and, when it came from a
// profile, the profile and its resolution (entries' positions). A policy
// lifted from a BPF program has neither; rules then name no entry.
type Input struct {
	Name     string
	Policy   *policy.Policy
	Profile  *profile.Profile
	Resolved *profile.Resolved
}

// Status words of groups and calls.
const (
	Allowed = "allowed" // every call, whatever its arguments
	Partly  = "partly"  // some calls, or some arguments
	Denied  = "denied"  // no call
	ENOSYS  = "enosys"  // denied with ENOSYS, so that libc falls back
	Absent  = "absent"  // the ABI has no such call
)

// Report is what a filter leaves a program, in words.
type Report struct {
	Name string `json:"name"`
	// ABIs lists the filter's ABIs, native first.
	ABIs    []ABI  `json:"abis"`
	Default string `json:"default"`
	BadArch string `json:"badArch"`
	// ENOSYS says how calls newer than the profile are answered.
	ENOSYS string    `json:"enosys"`
	Groups []Group   `json:"groups"`
	Rules  []ArgRule `json:"argumentRules"`
	// Differences lists calls the ABIs of the filter answer differently.
	Differences []Difference `json:"abiDifferences"`
	// Calls is every syscall of the filter's ABIs with its status on each
	// (parallel to ABIs), for the grid.
	Calls []Call `json:"calls"`
}

// ABI is one ABI of the filter.
type ABI struct {
	Name string `json:"name"`
	// MaxNr is the highest number the profile names there (runc's ENOSYS
	// rule answers ENOSYS above it), 0 when the rule does not apply.
	MaxNr   uint32 `json:"maxNr,omitempty"`
	MaxName string `json:"maxName,omitempty"`
}

// Group is a capability group on the native ABI.
type Group struct {
	GroupDef
	Status string `json:"status"`
	// Allowed, ByArgs and Denied split the group's calls that the native
	// ABI has; with Status partly they say what makes it partial.
	Allowed []string `json:"allowed,omitempty"`
	ByArgs  []string `json:"byArguments,omitempty"`
	Denied  []string `json:"denied,omitempty"`
	// Note adds what the group's status leaves out (socket sysdecode.AddressFamilies).
	Note string `json:"note,omitempty"`
}

// ArgRule is a syscall whose answer depends on its arguments, in words.
type ArgRule struct {
	Syscall string   `json:"syscall"`
	ABIs    []string `json:"abis"`
	Text    string   `json:"text"`
	// Entries names the profile entries the rules come from.
	Entries []string `json:"entries,omitempty"`
}

// Difference is a call the filter's ABIs answer differently.
type Difference struct {
	Syscall string            `json:"syscall"`
	Status  map[string]string `json:"status"`
	Note    string            `json:"note,omitempty"`
}

// Call is one syscall name with its status on each ABI.
type Call struct {
	Name   string   `json:"name"`
	Group  string   `json:"group,omitempty"`
	Status []string `json:"status"`
	// Detail says per ABI what answers (for tooltips).
	Detail []string `json:"detail"`

	sig []string // per ABI: what tells two ABIs' answers apart
}

// Explain describes what a policy lets a program do.
func Explain(in Input) (*Report, error) {
	if in.Policy == nil || len(in.Policy.Arches) == 0 {
		return nil, fmt.Errorf("explain: no policy")
	}
	e := &explainer{in: in, p: in.Policy, routes: argspace.NewCache(in.Policy)}
	if in.Name == "" && in.Profile != nil {
		e.in.Name = in.Profile.File
	}
	r := &Report{Name: e.in.Name, Default: actionWords(e.p.DefaultAction), BadArch: actionWords(e.p.BadArch)}
	for _, ap := range e.p.Arches {
		a := ABI{Name: ap.Arch.Name}
		if e.p.ENOSYSApplies() && ap.MaxNr > 0 {
			a.MaxNr = ap.MaxNr
			a.MaxName, _ = ap.Arch.SyscallName(ap.MaxNr)
		}
		r.ABIs = append(r.ABIs, a)
	}
	r.ENOSYS = e.enosysText(r.ABIs)
	if err := e.calls(r); err != nil {
		return nil, err
	}
	e.groups(r)
	if err := e.rules(r); err != nil {
		return nil, err
	}
	e.differences(r)
	return r, nil
}

type explainer struct {
	in     Input
	p      *policy.Policy
	routes *argspace.Cache
	status map[string][]string // call -> status per ABI
}

// signature tells apart what an ABI does with a call: its status, the
// actions of its own syscall, and whether a multiplexer opens it more.
func (e *explainer) signature(ap *policy.ArchPolicy, name string) string {
	direct, mux := argspace.Regions(e.routes.Routes(ap, name))
	st, _ := e.callStatus(ap, name)
	regs := direct
	if regs == nil {
		regs = mux
	}
	var acts []string
	for _, rg := range regs {
		if a := rg.Decision.Action.String(); !slices.Contains(acts, a) {
			acts = append(acts, a)
		}
	}
	slices.Sort(acts)
	opens := direct != nil && mux != nil && argspace.StatusOf(mux) > argspace.StatusOf(direct)
	return fmt.Sprint(st, acts, opens)
}

// callStatus sums up every route to a call on an ABI.
func (e *explainer) callStatus(ap *policy.ArchPolicy, name string) (string, string) {
	rs := e.routes.Routes(ap, name)
	switch argspace.StatusOfRoutes(rs) {
	case argspace.Absent:
		return Absent, "not on " + ap.Arch.Name
	case argspace.Allowed:
		return Allowed, detail(rs)
	case argspace.Partly:
		return Partly, detail(rs)
	}
	for _, r := range rs {
		for _, rg := range r.Regions {
			if rg.Decision.Action != policy.Errno(policy.ENOSYS) {
				return Denied, detail(rs)
			}
		}
	}
	return ENOSYS, detail(rs)
}

// detail lists the answers of a call's routes: "ALLOW", "ERRNO(1) or
// ALLOW depending on arguments", "socketcall(1): ALLOW".
func detail(rs []argspace.Route) string {
	var parts []string
	for _, r := range rs {
		var acts []string
		for _, rg := range r.Regions {
			if a := rg.Decision.Action.String(); !slices.Contains(acts, a) {
				acts = append(acts, a)
			}
		}
		s := strings.Join(acts, " or ")
		if len(acts) > 1 {
			s += " depending on arguments"
		}
		if r.Mux != "" {
			s = fmt.Sprintf("through %s(%d): %s", r.Mux, r.Call, s)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// calls fills the grid: every name any of the filter's ABIs has.
func (e *explainer) calls(r *Report) error {
	seen := map[string]bool{}
	var names []string
	for _, ap := range e.p.Arches {
		for _, sc := range ap.Arch.Syscalls() {
			if !seen[sc.Name] {
				seen[sc.Name] = true
				names = append(names, sc.Name)
			}
		}
		if ap.Arch.Multiplexed {
			for _, m := range []string{"socketcall", "ipc"} {
				for n := range syscalls.MuxCalls(m) {
					if _, ok := ap.Arch.Mux(n); ok && !seen[n] {
						seen[n] = true
						names = append(names, n)
					}
				}
			}
		}
	}
	groupOf := map[string]string{}
	for _, g := range groups() {
		for _, n := range g.Syscalls {
			if _, ok := groupOf[n]; !ok {
				groupOf[n] = g.ID
			}
		}
	}
	sort.Strings(names)
	e.status = map[string][]string{}
	for _, n := range names {
		c := Call{Name: n, Group: groupOf[n]}
		for _, ap := range e.p.Arches {
			st, d := e.callStatus(ap, n)
			c.Status = append(c.Status, st)
			c.Detail = append(c.Detail, d)
			c.sig = append(c.sig, e.signature(ap, n))
		}
		if e.routes.Err != nil {
			return e.routes.Err
		}
		e.status[n] = c.Status
		r.Calls = append(r.Calls, c)
	}
	return nil
}

// groups sums up each capability group on the native ABI.
func (e *explainer) groups(r *Report) {
	for _, def := range groups() {
		g := Group{GroupDef: def}
		for _, n := range def.Syscalls {
			st, ok := e.status[n]
			if !ok {
				continue
			}
			switch st[0] {
			case Allowed:
				g.Allowed = append(g.Allowed, n)
			case Partly:
				g.ByArgs = append(g.ByArgs, n)
			case Denied, ENOSYS:
				g.Denied = append(g.Denied, n)
			}
		}
		switch {
		case len(g.Allowed)+len(g.ByArgs)+len(g.Denied) == 0:
			g.Status = Absent
		case len(g.ByArgs) == 0 && len(g.Denied) == 0:
			g.Status = Allowed
		case len(g.ByArgs) == 0 && len(g.Allowed) == 0:
			g.Status = Denied
		default:
			g.Status = Partly
		}
		if def.ID == "net-socket" {
			g.Note = e.familiesNote()
		}
		r.Groups = append(r.Groups, g)
	}
}

// familiesNote names the socket families the native ABI allows,
// through socket(2) and, where it has one, socketcall(2) (whose family
// argument seccomp cannot read: any family).
func (e *explainer) familiesNote() string {
	ap := e.p.Arches[0]
	rs := e.routes.Routes(ap, "socket")
	if len(rs) == 0 {
		return ""
	}
	var ok [len(sysdecode.AddressFamilies)]bool
	above, any := false, false
	for _, rt := range rs {
		for _, rg := range rt.Regions {
			if !argspace.Permissive(rg.Decision.Action) {
				continue
			}
			if rt.Mux != "" {
				any = true
				continue
			}
			fam := rg.Args[0]
			for f := range sysdecode.AddressFamilies {
				ok[f] = ok[f] || fam.Contains(uint64(f))
			}
			above = above || !fam.Minus(fam.Space().Interval(0, uint64(len(sysdecode.AddressFamilies)-1))).IsEmpty()
		}
	}
	var fams []string
	for f, yes := range ok {
		if yes {
			fams = append(fams, sysdecode.AddressFamilies[f])
		}
	}
	switch {
	case any || len(fams) == len(sysdecode.AddressFamilies) && above:
		return "any socket family"
	case len(fams) == 0 && !above:
		return "no socket family"
	}
	note := "socket families " + strings.Join(fams, ", ")
	if above {
		note += fmt.Sprintf(", and numbers above %d", len(sysdecode.AddressFamilies)-1)
	}
	return note
}

func (e *explainer) enosysText(abis []ABI) string {
	if !e.p.ENOSYS {
		return "off: calls the profile does not name get the default action, however new"
	}
	if !e.p.ENOSYSApplies() {
		return "off: runc gives no ENOSYS answer when the default action allows, logs or traces"
	}
	var parts []string
	for _, a := range abis {
		if a.MaxNr > 0 {
			nr := a.MaxNr
			if a.Name == "x32" {
				nr &^= syscalls.X32SyscallBit // x32 numbers carry the x32 bit
			}
			parts = append(parts, fmt.Sprintf("%s above %d (%s)", a.Name, nr, a.MaxName))
		} else {
			parts = append(parts, a.Name+": not applied (the profile names no number there to start from)")
		}
	}
	return "calls newer than the profile get ERRNO(38) (ENOSYS), so that libc falls back to older calls: " + strings.Join(parts, "; ")
}

// differences lists calls whose status differs between the filter's ABIs
// (among the ABIs that have the call).
func (e *explainer) differences(r *Report) {
	if len(e.p.Arches) < 2 {
		return
	}
	for _, c := range r.Calls {
		// Statuses, or answers (the same "partly" can hide different
		// rules, as socketcall's), that differ between the ABIs.
		var seen []string
		for i, s := range c.Status {
			if k := c.sig[i]; s != Absent && !slices.Contains(seen, k) {
				seen = append(seen, k)
			}
		}
		if len(seen) < 2 {
			continue
		}
		d := Difference{Syscall: c.Name, Status: map[string]string{}}
		var notes []string
		for i, s := range c.Status {
			if s == Absent {
				continue
			}
			d.Status[r.ABIs[i].Name] = s
			notes = append(notes, fmt.Sprintf("%s: %s (%s)", r.ABIs[i].Name, s, c.Detail[i]))
		}
		d.Note = strings.Join(notes, "; ")
		r.Differences = append(r.Differences, d)
	}
}

// rules says in words, per call, what its argument rules do, grouping
// the ABIs where the words are the same.
func (e *explainer) rules(r *Report) error {
	for _, c := range r.Calls {
		type abiText struct {
			text string
			abis []string
		}
		var texts []abiText
		var entries []string
		for _, ap := range e.p.Arches {
			nr, ok := ap.Arch.Number(c.Name)
			if !ok {
				continue
			}
			direct, mux := argspace.Regions(e.routes.Routes(ap, c.Name))
			text := describe(e.p, ap, c.Name, nr, direct)
			if text == "" {
				continue
			}
			if m, ok := ap.Arch.Mux(c.Name); ok && len(mux) > 0 {
				if st := argspace.StatusOf(mux); st != argspace.StatusOf(direct) {
					text += fmt.Sprintf(" (through %s(%d), whose arguments seccomp cannot read: %s)", m.Name, m.Call, st)
				}
			}
			for _, rg := range direct {
				if w := e.where(rg.Decision); w != "" && !slices.Contains(entries, w) {
					entries = append(entries, w)
				}
			}
			i := slices.IndexFunc(texts, func(t abiText) bool { return t.text == text })
			if i < 0 {
				texts = append(texts, abiText{text: text})
				i = len(texts) - 1
			}
			texts[i].abis = append(texts[i].abis, ap.Arch.Name)
		}
		for _, t := range texts {
			r.Rules = append(r.Rules, ArgRule{Syscall: c.Name, ABIs: t.abis, Text: t.text, Entries: entries})
		}
	}
	return e.routes.Err
}

// where names the profile entry of a decision's rule: "syscalls[36]
// (docker-default:881:3)".
func (e *explainer) where(d policy.Decision) string {
	if d.Why != policy.WhyRule || e.in.Resolved == nil || e.in.Profile == nil {
		return ""
	}
	oi := d.Rule.Origin.Entry
	if oi < 0 || oi >= len(e.in.Resolved.Entry) {
		return ""
	}
	path := fmt.Sprintf("syscalls[%d]", e.in.Resolved.Entry[oi])
	return path + " (" + e.in.Profile.Where(path) + ")"
}
