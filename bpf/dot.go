package bpf

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Dot writes the control-flow graph of p in Graphviz's dot language: one
// box per basic block listing its instructions, green edges where a
// condition holds (jt), red edges where it does not (jf), and return
// blocks filled by action (green ALLOW, grey LOG/TRACE/USER_NOTIF, orange
// ERRNO/TRAP, red KILL). Render it with `dot -Tsvg`.
func Dot(w io.Writer, p Program, opts Options) error {
	l := Disassemble(p, opts)
	n := len(p)
	f := newFlow(n)
	conds := make([]string, n)
	for pc, ins := range p {
		st := f.at(pc)
		if isCondJump(ins.Op) {
			conds[pc] = condText(ins, st, contextAt(st, opts.Arch), false) + " ?"
		}
		f.step(pc, ins, st)
	}
	// Leaders: the first instruction, jump targets, and what follows a
	// jump or a return.
	leader := make([]bool, n+1)
	if n > 0 {
		leader[0] = true
	}
	mark := func(t int64) {
		if t >= 0 && t <= int64(n) {
			leader[t] = true
		}
	}
	for pc, ins := range p {
		switch {
		case ins.Op == opJa:
			mark(int64(pc) + 1 + int64(ins.K))
			mark(int64(pc) + 1)
		case isCondJump(ins.Op):
			mark(int64(pc) + 1 + int64(ins.Jt))
			mark(int64(pc) + 1 + int64(ins.Jf))
			mark(int64(pc) + 1)
		case ins.Class() == ClassRET || ins.Class() == ClassJMP:
			mark(int64(pc) + 1)
		}
	}
	var b strings.Builder
	name := opts.Name
	if name == "" {
		name = "filter"
	}
	fmt.Fprintf(&b, "digraph %q {\n", name)
	b.WriteString("\tnode [shape=box, fontname=\"monospace\", fontsize=10];\n")
	b.WriteString("\tedge [fontname=\"monospace\", fontsize=9];\n")
	var edges []string
	outside := map[int64]bool{}
	edge := func(from int, to int64, attrs string) {
		if to < 0 || to >= int64(n) {
			outside[to] = true
		}
		edges = append(edges, fmt.Sprintf("\tb%d -> b%d%s;\n", from, to, attrs))
	}
	for start := 0; start < n; {
		end := start + 1
		for end < n && !leader[end] {
			end++
		}
		last := p[end-1]
		var label strings.Builder
		for pc := start; pc < end; pc++ {
			text := l.Lines[pc].Text
			if pc == end-1 && isCondJump(last.Op) {
				text = conds[pc]
			}
			fmt.Fprintf(&label, "%04d: %s\\l", pc, dotEscape(text))
		}
		attrs := ""
		switch last.Op {
		case opRetK:
			attrs = fmt.Sprintf(", style=\"rounded,filled\", fillcolor=%q", retColor(last.K))
		case opRetA:
			attrs = ", style=rounded"
		}
		fmt.Fprintf(&b, "\tb%d [label=\"%s\"%s];\n", start, label.String(), attrs)
		switch {
		case last.Op == opJa:
			edge(start, int64(end-1)+1+int64(last.K), "")
		case isCondJump(last.Op):
			t, f := int64(end)+int64(last.Jt), int64(end)+int64(last.Jf)
			if t == f {
				edge(start, t, "")
			} else {
				edge(start, t, " [color=\"darkgreen\", label=\"true\"]")
				edge(start, f, " [color=\"red\", label=\"false\", style=dashed]")
			}
		case last.Class() == ClassRET || last.Class() == ClassJMP:
		default:
			edge(start, int64(end), "")
		}
		start = end
	}
	var outs []int64
	for t := range outside {
		outs = append(outs, t)
	}
	sort.Slice(outs, func(i, j int) bool { return outs[i] < outs[j] })
	for _, t := range outs {
		fmt.Fprintf(&b, "\tb%d [label=\"%04d: outside the program\", color=red];\n", t, t)
	}
	for _, e := range edges {
		b.WriteString(e)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func retColor(k uint32) string {
	switch k & 0xffff0000 {
	case retAllow:
		return "palegreen"
	case 0x7ffc0000, 0x7ff00000, 0x7fc00000: // LOG, TRACE, USER_NOTIF
		return "lightgrey"
	case 0x00050000, 0x00030000: // ERRNO, TRAP
		return "orange"
	}
	return "tomato"
}

func dotEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}
