package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Report is the findings of one input.
type Report struct {
	File     string    `json:"file"`
	Findings []Finding `json:"findings"`
}

// Shown returns the findings at or above min.
func (r *Report) Shown(min Severity) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Severity >= min {
			out = append(out, f)
		}
	}
	return out
}

// WriteText prints findings at or above min as compiler messages, each
// followed by its why and fix, then a summary line per report.
func WriteText(w io.Writer, reports []Report, min Severity) error {
	var b strings.Builder
	for _, r := range reports {
		shown := r.Shown(min)
		acked := 0
		for _, f := range shown {
			if f.Acknowledged != "" {
				acked++
				continue
			}
			fmt.Fprintf(&b, "%s: %s[%s]: %s\n", f.Where(), f.Severity, f.Rule, f.Message)
			fmt.Fprintf(&b, "  why: %s\n  fix: %s\n", f.Why, f.Fix)
		}
		n, by := Count(shown, min)
		switch {
		case n == 0 && acked == 0:
			fmt.Fprintf(&b, "%s: no findings\n", r.File)
		default:
			var parts []string
			for _, s := range []Severity{Error, Warning, Note} {
				if by[s] > 0 {
					parts = append(parts, plural(by[s], s.String()))
				}
			}
			line := fmt.Sprintf("%s: %s", r.File, plural(n, "finding"))
			if len(parts) > 0 {
				line += " (" + strings.Join(parts, ", ") + ")"
			}
			if acked > 0 {
				line += fmt.Sprintf("; %d acknowledged in comments", acked)
			}
			b.WriteString(line + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// WriteJSON writes the reports' findings at or above min as JSON.
func WriteJSON(w io.Writer, reports []Report, min Severity) error {
	type out struct {
		Reports []Report `json:"reports"`
		Rules   []Rule   `json:"rules"`
	}
	o := out{Rules: Rules}
	for _, r := range reports {
		o.Reports = append(o.Reports, Report{File: r.File, Findings: nonNil(r.Shown(min))})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(o)
}

func nonNil(fs []Finding) []Finding {
	if fs == nil {
		return []Finding{}
	}
	return fs
}

// SARIF 2.1.0 (OASIS), the subset lint writes.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	ShortDescription sarifText         `json:"shortDescription"`
	FullDescription  sarifText         `json:"fullDescription"`
	Help             sarifText         `json:"help"`
	Default          sarifRuleConfig   `json:"defaultConfiguration"`
	Properties       map[string]string `json:"properties,omitempty"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID       string             `json:"ruleId"`
	RuleIndex    int                `json:"ruleIndex"`
	Level        string             `json:"level"`
	Message      sarifText          `json:"message"`
	Locations    []sarifLocation    `json:"locations"`
	Suppressions []sarifSuppression `json:"suppressions,omitempty"`
	Properties   map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	Physical sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	Artifact sarifArtifact `json:"artifactLocation"`
	Region   *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

// WriteSARIF writes the findings at or above min as one SARIF 2.1.0 run.
// An acknowledged finding is a result with an in-source suppression.
func WriteSARIF(w io.Writer, reports []Report, min Severity) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "sysfence lint"}}, Results: []sarifResult{}}
	index := map[string]int{}
	for i, r := range Rules {
		index[r.ID] = i
		name := camel(r.ID)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: r.ID, Name: name,
			ShortDescription: sarifText{r.Title}, FullDescription: sarifText{r.Why},
			Help: sarifText{"Fix: " + r.Fix}, Default: sarifRuleConfig{r.Severity.String()},
		})
	}
	for _, rep := range reports {
		for _, f := range rep.Shown(min) {
			loc := sarifLocation{Physical: sarifPhysical{Artifact: sarifArtifact{URI: fileURI(f.File)}}}
			if f.Line > 0 {
				loc.Physical.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Column}
			}
			res := sarifResult{RuleID: f.Rule, RuleIndex: index[f.Rule], Level: f.Severity.String(),
				Message: sarifText{f.Message + " Fix: " + f.Fix}, Locations: []sarifLocation{loc}}
			props := map[string]any{}
			if f.Path != "" {
				props["path"] = f.Path
			}
			if len(f.ABIs) > 0 {
				props["abis"] = f.ABIs
			}
			if len(f.Syscalls) > 0 {
				props["syscalls"] = f.Syscalls
			}
			if len(props) > 0 {
				res.Properties = props
			}
			if f.Acknowledged != "" {
				res.Suppressions = []sarifSuppression{{Kind: "inSource", Justification: f.Acknowledged}}
			}
			run.Results = append(run.Results, res)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}

// camel turns a rule ID into SARIF's rule name style: "dangerous-call"
// -> "DangerousCall".
func camel(id string) string {
	var b strings.Builder
	for _, w := range strings.Split(id, "-") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// fileURI spells a file name as a SARIF artifact location's uri, a URI
// reference (RFC 3986) as net/url's URL{Path: name}.String() spells it,
// without linking net/url (and net/netip) into every start of sysfence.
func fileURI(name string) string {
	if name == "*" {
		return name // net/url leaves it so
	}
	var b strings.Builder
	if first, _, _ := strings.Cut(name, "/"); strings.Contains(first, ":") {
		b.WriteString("./") // else the first segment reads as a scheme
	}
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-_.~$&+,/:;=@", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
