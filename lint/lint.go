package lint

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sysfence/sysfence/internal/argspace"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
)

// Input is what Check looks at: a policy and, when it came from a
// profile, the profile and its resolution (for positions, comments and
// the entries as written). A policy lifted from a BPF program has no
// profile; its findings then name Name and no position.
type Input struct {
	// Name names the input in findings without a profile.
	Name     string
	Profile  *profile.Profile
	Resolved *profile.Resolved
	Policy   *policy.Policy
}

// Finding is one problem: which rule, where, and what to do.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	// Message says what is wrong here, with the ABIs and calls involved.
	Message string `json:"message"`
	Why     string `json:"why"`
	Fix     string `json:"fix"`
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	// Path is the field in the document ("syscalls[1].names[2]").
	Path     string   `json:"path,omitempty"`
	ABIs     []string `json:"abis,omitempty"`
	Syscalls []string `json:"syscalls,omitempty"`
	// Acknowledged holds the comment that acknowledges the finding
	// ("sysfence:ack RULE" in the entry's comment), if any.
	Acknowledged string `json:"acknowledged,omitempty"`

	key     string
	model   string   // the path in the profile's model, for positions
	entry   int      // the profile entry the finding is anchored at, or -1
	objects []string // what %OBJS% in Message lists
}

// Where formats the finding's position: "profile.json:41:5", or the file
// alone.
func (f *Finding) Where() string {
	if f.Line <= 0 {
		return f.File
	}
	return f.File + ":" + strconv.Itoa(f.Line) + ":" + strconv.Itoa(f.Column)
}

// Check runs every rule on the input and returns the findings in order of
// position. Acknowledged findings are included, marked.
func Check(in Input) ([]Finding, error) {
	if in.Policy == nil || len(in.Policy.Arches) == 0 {
		return nil, fmt.Errorf("lint: no policy")
	}
	l := &linter{in: in, p: in.Policy, routes: argspace.NewCache(in.Policy)}
	if in.Profile != nil && in.Name == "" {
		l.in.Name = in.Profile.File
	}
	checks := []func(){
		l.checkUnknownNames, l.checkDuplicates, l.checkSameAsDefault, l.checkDenyList,
		l.checkNoENOSYS, l.checkIndirect, l.checkClone3, l.checkBadArch, l.checkEscapes, l.checkFallbacks,
		l.checkDangerous, l.checkNeverMatches, l.checkShadowed,
	}
	for _, c := range checks {
		c()
		if l.routes.Err != nil {
			return nil, l.routes.Err
		}
	}
	return l.finish(), nil
}

// Count sums up findings at or above min, leaving out acknowledged ones.
func Count(fs []Finding, min Severity) (n int, bySeverity map[Severity]int) {
	bySeverity = map[Severity]int{}
	for i := range fs {
		if fs[i].Severity >= min && fs[i].Acknowledged == "" {
			n++
			bySeverity[fs[i].Severity]++
		}
	}
	return n, bySeverity
}

type linter struct {
	in     Input
	p      *policy.Policy
	routes *argspace.Cache
	raw    []Finding
	dups   map[[2]string]bool // (profile entry, name) already reported as duplicates
}

func (l *linter) status(ap *policy.ArchPolicy, name string) argspace.Status {
	return argspace.StatusOfRoutes(l.routes.Routes(ap, name))
}

// direct returns the regions of the call's own syscall number on an ABI,
// or nil when the ABI has none.
func (l *linter) direct(ap *policy.ArchPolicy, name string) []argspace.Region {
	direct, _ := argspace.Regions(l.routes.Routes(ap, name))
	return direct
}

// anchor is where a finding points: a path in the profile's model
// ("syscalls[3].names[1]", "defaultAction") and the profile entry, if any.
type anchor struct {
	path  string
	entry int
}

var noAnchor = anchor{entry: -1}

// ruleAnchor points at the name in the profile entry a policy rule came
// from.
func (l *linter) ruleAnchor(r *policy.Rule) anchor {
	if r == nil || l.in.Resolved == nil || l.in.Profile == nil {
		return noAnchor
	}
	oi := r.Origin.Entry
	if oi < 0 || oi >= len(l.in.Resolved.Entry) {
		return noAnchor
	}
	pi := l.in.Resolved.Entry[oi]
	return l.nameAnchor(pi, r.Origin.Name)
}

// nameAnchor points at a name of profile entry pi.
func (l *linter) nameAnchor(pi int, name string) anchor {
	sc := l.in.Profile.Seccomp.Syscalls[pi]
	if sc.Name != "" && sc.Name == name {
		return anchor{fmt.Sprintf("syscalls[%d].name", pi), pi}
	}
	for j, n := range sc.Names {
		if n == name {
			return anchor{fmt.Sprintf("syscalls[%d].names[%d]", pi, j), pi}
		}
	}
	return anchor{fmt.Sprintf("syscalls[%d]", pi), pi}
}

// decisionAnchor points at what decided: the rule's entry, or the
// default action.
func (l *linter) decisionAnchor(d policy.Decision) anchor {
	if d.Why == policy.WhyRule {
		return l.ruleAnchor(d.Rule)
	}
	if l.in.Profile != nil && d.Why == policy.WhyDefault {
		return anchor{"defaultAction", -1}
	}
	return noAnchor
}

// describe names what decided, for messages: "syscalls[0]
// (profile.json:5:3)", "the default action ERRNO(1)".
func (l *linter) describe(d policy.Decision) string {
	switch d.Why {
	case policy.WhyRule:
		if a := l.ruleAnchor(d.Rule); a.entry >= 0 {
			return l.entryWhere(a.entry)
		}
		return "a rule"
	case policy.WhyDefault:
		return "the default action " + d.Action.String()
	case policy.WhyENOSYS:
		return "runc's ENOSYS rule"
	}
	return "the bad-architecture action " + d.Action.String()
}

// entryWhere names profile entry pi and its position: "syscalls[0]
// (profile.json:5:3)".
func (l *linter) entryWhere(pi int) string {
	path := fmt.Sprintf("syscalls[%d]", pi)
	return path + " (" + l.in.Profile.Where(path) + ")"
}

// add records a finding for one ABI; findings with the same key are
// merged and their ABIs and objects listed. A message may hold the words
// %ABIS% and %OBJS%, replaced by the merged lists ("x86_64, x86 and x32").
func (l *linter) add(rule string, sev Severity, at anchor, key, abi, obj, msg string, calls ...string) {
	if sev == 0 {
		r, _ := RuleByID(rule)
		sev = r.Severity
	}
	k := rule + "|" + at.path + "|" + key
	for i := range l.raw {
		f := &l.raw[i]
		if f.key != k {
			continue
		}
		if abi != "" && !slices.Contains(f.ABIs, abi) {
			f.ABIs = append(f.ABIs, abi)
		}
		if obj != "" && !slices.Contains(f.objects, obj) {
			f.objects = append(f.objects, obj)
		}
		for _, c := range calls {
			if !slices.Contains(f.Syscalls, c) {
				f.Syscalls = append(f.Syscalls, c)
			}
		}
		return
	}
	f := Finding{Rule: rule, Severity: sev, Message: msg, key: k, model: at.path, entry: at.entry, Syscalls: calls}
	if abi != "" {
		f.ABIs = []string{abi}
	}
	if obj != "" {
		f.objects = []string{obj}
	}
	l.raw = append(l.raw, f)
}

// acks returns the rules an entry's comment acknowledges: each
// "sysfence:ack" followed by white space and a comma-separated list of
// rule IDs (the regular expression
// sysfence:ack\s+([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*), matched by hand:
// lint needs no regexp).
func acks(comment string) []string {
	const tag, space = "sysfence:ack", " \t\n\f\r" // regexp's \s
	var out []string
	rest := comment
	for {
		i := strings.Index(rest, tag)
		if i < 0 {
			return out
		}
		rest = rest[i+len(tag):]
		s := strings.TrimLeft(rest, space)
		if len(s) == len(rest) {
			continue // no white space after the tag
		}
		for n := idLen(s); n > 0; {
			out = append(out, s[:n])
			s = s[n:]
			// A comma continues the list only if an ID follows it.
			t := strings.TrimLeft(s, space)
			if !strings.HasPrefix(t, ",") {
				break
			}
			t = strings.TrimLeft(t[1:], space)
			if n = idLen(t); n > 0 {
				s = t
			}
		}
		rest = s
	}
}

// idLen is the length of the rule ID ([a-z0-9-]*) s starts with.
func idLen(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return i
		}
	}
	return len(s)
}

// finish positions, acknowledges and orders the findings.
func (l *linter) finish() []Finding {
	order := map[string]int{}
	for i, r := range Rules {
		order[r.ID] = i
	}
	out := l.raw
	for i := range out {
		f := &out[i]
		r, _ := RuleByID(f.Rule)
		f.Why, f.Fix = r.Why, r.Fix
		f.Message = strings.ReplaceAll(f.Message, "%ABIS%", joinAnd(f.ABIs))
		f.Message = strings.ReplaceAll(f.Message, "%OBJS%", joinAnd(f.objects))
		f.File = l.in.Name
		if p := l.in.Profile; p != nil && f.model != "" {
			pos := p.Pos(f.model)
			f.Line, f.Column = pos.Line, pos.Col
			f.Path = p.DocPath(f.model)
			if f.entry >= 0 {
				c := p.Seccomp.Syscalls[f.entry].Comment
				if slices.Contains(acks(c), f.Rule) {
					f.Acknowledged = c
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), cmp.Compare(order[a.Rule], order[b.Rule]))
	})
	return out
}

// joinAnd lists words as "a", "a and b", "a, b and c".
func joinAnd(ws []string) string {
	switch len(ws) {
	case 0:
		return ""
	case 1:
		return ws[0]
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " and " + ws[len(ws)-1]
}
