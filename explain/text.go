package explain

import (
	"fmt"
	"io"
	"strings"
)

// WriteText prints the report: capabilities first, then argument rules,
// the default and ENOSYS behaviour, and the differences between ABIs.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	var abis []string
	for _, a := range r.ABIs {
		abis = append(abis, a.Name)
	}
	fmt.Fprintf(&b, "%s: what the filter leaves a program on %s (native %s)\n", r.Name, strings.Join(abis, ", "), abis[0])
	area := ""
	for _, g := range r.Groups {
		if g.Status == Absent {
			continue
		}
		if g.Area != area {
			area = g.Area
			fmt.Fprintf(&b, "\n%s\n", area)
		}
		fmt.Fprintf(&b, "  %-8s %s%s\n", g.Status, g.Title, groupDetail(g))
	}
	if len(r.Rules) > 0 {
		b.WriteString("\nargument rules\n")
		for _, ar := range r.Rules {
			on := ""
			if len(ar.ABIs) != len(r.ABIs) {
				on = " (on " + strings.Join(ar.ABIs, ", ") + ")"
			}
			fmt.Fprintf(&b, "  %s%s: %s\n", ar.Syscall, on, ar.Text)
		}
	}
	fmt.Fprintf(&b, "\ndefault: %s for every call no rule decides\n", r.Default)
	fmt.Fprintf(&b, "calls of other ABIs: %s (the bad-arch action)\n", r.BadArch)
	fmt.Fprintf(&b, "newer calls: %s\n", r.ENOSYS)
	if len(r.Differences) > 0 {
		b.WriteString("\ndifferences between ABIs\n")
		for _, d := range r.Differences {
			fmt.Fprintf(&b, "  %s: %s\n", d.Syscall, d.Note)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// groupDetail says what makes a group partial, and its note, in
// parentheses.
func groupDetail(g Group) string {
	if d := groupDetailBare(g); d != "" {
		return " (" + d + ")"
	}
	return ""
}

// groupDetailBare is groupDetail without the parentheses.
func groupDetailBare(g Group) string {
	var parts []string
	if g.Status == Partly {
		// Name the exceptions: the smaller of the two sides.
		if len(g.Denied) > 0 && (len(g.Denied) <= len(g.Allowed) || len(g.Allowed) == 0) {
			parts = append(parts, "denied: "+strings.Join(g.Denied, ", "))
		} else if len(g.Allowed) > 0 {
			parts = append(parts, "allowed: "+strings.Join(g.Allowed, ", "))
		}
		if len(g.ByArgs) > 0 {
			parts = append(parts, "by arguments: "+strings.Join(g.ByArgs, ", "))
		}
	}
	if g.Note != "" {
		parts = append(parts, g.Note)
	}
	return strings.Join(parts, "; ")
}

// Delta is a report compared with another: what this one allows that the
// other does not, and the reverse.
type Delta struct {
	Name    string `json:"name"`
	Against string `json:"against"`
	// Groups whose status differs: this one's and the other's.
	Groups []GroupChange `json:"groups"`
	// Adds lists calls this one opens more than the other (per ABI);
	// Removes the calls it closes; Changed the calls both leave partly
	// open whose argument rules differ.
	Adds    []CallChange `json:"adds"`
	Removes []CallChange `json:"removes"`
	Changed []CallChange `json:"argumentsChanged"`
	// ABIs only one of the two filters has.
	OnlyHere  []string `json:"abisOnlyHere,omitempty"`
	OnlyThere []string `json:"abisOnlyThere,omitempty"`
}

// GroupChange is a group's status in both reports.
type GroupChange struct {
	Title string `json:"title"`
	Here  string `json:"here"`
	There string `json:"there"`
}

// CallChange is a call's status in both reports, on some ABIs.
type CallChange struct {
	Syscall string   `json:"syscall"`
	ABIs    []string `json:"abis"`
	Here    string   `json:"here"`
	There   string   `json:"there"`
}

// rank orders the statuses from closed to open.
func rank(status string) int {
	switch status {
	case Absent:
		return -1
	case Partly:
		return 1
	case Allowed:
		return 2
	}
	return 0 // Denied, ENOSYS
}

// Compare describes r as a delta from other.
func Compare(r, other *Report) *Delta {
	d := &Delta{Name: r.Name, Against: other.Name, Groups: []GroupChange{}, Adds: []CallChange{}, Removes: []CallChange{}, Changed: []CallChange{}}
	og := map[string]Group{}
	for _, g := range other.Groups {
		og[g.ID] = g
	}
	for _, g := range r.Groups {
		if o, ok := og[g.ID]; ok && o.Status != g.Status {
			d.Groups = append(d.Groups, GroupChange{Title: g.Title, Here: g.Status, There: o.Status})
		}
	}
	oi := map[string]int{}
	for i, a := range other.ABIs {
		oi[a.Name] = i
	}
	here := map[string]bool{}
	for _, a := range r.ABIs {
		here[a.Name] = true
		if _, ok := oi[a.Name]; !ok {
			d.OnlyHere = append(d.OnlyHere, a.Name)
		}
	}
	for _, a := range other.ABIs {
		if !here[a.Name] {
			d.OnlyThere = append(d.OnlyThere, a.Name)
		}
	}
	ocalls := map[string]Call{}
	for _, c := range other.Calls {
		ocalls[c.Name] = c
	}
	rulesOf := func(rep *Report, call, abi string) string {
		for _, ar := range rep.Rules {
			if ar.Syscall == call {
				for _, a := range ar.ABIs {
					if a == abi {
						return ar.Text
					}
				}
			}
		}
		return ""
	}
	add := func(list *[]CallChange, call, abi, h, t string) {
		for i := range *list {
			c := &(*list)[i]
			if c.Syscall == call && c.Here == h && c.There == t {
				c.ABIs = append(c.ABIs, abi)
				return
			}
		}
		*list = append(*list, CallChange{Syscall: call, ABIs: []string{abi}, Here: h, There: t})
	}
	for _, c := range r.Calls {
		o, ok := ocalls[c.Name]
		if !ok {
			continue
		}
		for i, a := range r.ABIs {
			j, ok := oi[a.Name]
			if !ok {
				continue
			}
			h, t := c.Status[i], o.Status[j]
			switch {
			case h == Absent || t == Absent:
			case rank(h) > rank(t):
				add(&d.Adds, c.Name, a.Name, h, t)
			case rank(h) < rank(t):
				add(&d.Removes, c.Name, a.Name, h, t)
			case h == Partly && rulesOf(r, c.Name, a.Name) != rulesOf(other, c.Name, a.Name):
				add(&d.Changed, c.Name, a.Name, rulesOf(r, c.Name, a.Name), rulesOf(other, c.Name, a.Name))
			}
		}
	}
	return d
}

// WriteDeltaText prints a delta.
func WriteDeltaText(w io.Writer, d *Delta) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s compared with %s\n", d.Name, d.Against)
	if len(d.OnlyHere) > 0 {
		fmt.Fprintf(&b, "ABIs only %s filters: %s\n", d.Name, strings.Join(d.OnlyHere, ", "))
	}
	if len(d.OnlyThere) > 0 {
		fmt.Fprintf(&b, "ABIs only %s filters: %s\n", d.Against, strings.Join(d.OnlyThere, ", "))
	}
	if len(d.Groups) > 0 {
		b.WriteString("\ncapabilities\n")
		for _, g := range d.Groups {
			fmt.Fprintf(&b, "  %s: %s here, %s there\n", g.Title, g.Here, g.There)
		}
	}
	list := func(title string, cs []CallChange) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s\n", title)
		// One line per kind of change: "enosys here, allowed there (x86_64): accept, bind, ...".
		type kind struct{ here, there, abis string }
		var kinds []kind
		calls := map[kind][]string{}
		for _, c := range cs {
			k := kind{c.Here, c.There, strings.Join(c.ABIs, ", ")}
			if _, ok := calls[k]; !ok {
				kinds = append(kinds, k)
			}
			calls[k] = append(calls[k], c.Syscall)
		}
		for _, k := range kinds {
			fmt.Fprintf(&b, "  %s here, %s there (%s): %s\n", k.here, k.there, k.abis, strings.Join(calls[k], ", "))
		}
	}
	list("adds (more open here)", d.Adds)
	list("removes (more closed here)", d.Removes)
	if len(d.Changed) > 0 {
		b.WriteString("\nargument rules that differ\n")
		for _, c := range d.Changed {
			fmt.Fprintf(&b, "  %s (%s):\n    here:  %s\n    there: %s\n", c.Syscall, strings.Join(c.ABIs, ", "), c.Here, c.There)
		}
	}
	if len(d.Groups)+len(d.Adds)+len(d.Removes)+len(d.Changed)+len(d.OnlyHere)+len(d.OnlyThere) == 0 {
		b.WriteString("no difference in what they allow\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
