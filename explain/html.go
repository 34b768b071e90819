package explain

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sysfence/sysfence/lint"
)

// WriteHTML writes the report as one self-contained page: styles and the
// grid's filter script are inline, and nothing is fetched when it is
// viewed. It holds the capability table, the argument rules, lint's
// findings, the differences between ABIs and a colour grid of every
// syscall by ABI. Every value is escaped with esc; the page is written
// by code, not html/template, whose parser every start of sysfence paid
// for.
func WriteHTML(w io.Writer, r *Report, findings []lint.Finding) error {
	if len(r.ABIs) == 0 {
		return fmt.Errorf("explain: %s: no ABI to show", r.Name)
	}
	var abis []string
	for _, a := range r.ABIs {
		abis = append(abis, esc(a.Name))
	}
	native, all := abis[0], strings.Join(abis, ", ")
	counts := map[string]int{}
	for _, c := range r.Calls {
		counts[c.Status[0]]++
	}
	name := esc(r.Name)

	var b strings.Builder
	put := func(s ...string) {
		for _, p := range s {
			b.WriteString(p)
		}
	}
	put(pageHead, "<title>sysfence explain: ", name, "</title>\n", pageStyle)
	put("<h1>What <code>", name, "</code> lets a program do</h1>\n",
		`<table class="facts">`, "\n",
		"<tr><td>ABIs</td><td>", all, " (native ", native, ")</td></tr>\n",
		"<tr><td>default</td><td>", esc(r.Default), " for every call no rule decides</td></tr>\n",
		"<tr><td>other ABIs</td><td>", esc(r.BadArch), " (the bad-arch action)</td></tr>\n",
		"<tr><td>newer calls</td><td>", esc(r.ENOSYS), "</td></tr>\n",
		"</table>\n\n")

	put(`<h2 id="capabilities">Capabilities (on `, native, ")</h2>\n<table>\n",
		"<tr><th>area</th><th>capability</th><th>status</th><th>what makes it partial</th></tr>\n")
	for _, g := range r.Groups {
		if g.Status == Absent {
			continue
		}
		st := esc(g.Status)
		put(`<tr class="group" data-id="`, esc(g.ID), `"><td>`, esc(g.Area), "</td><td>", esc(g.Title),
			`</td><td><span class="badge `, st, `">`, st, "</span></td><td>", esc(groupDetailBare(g)), "</td></tr>\n")
	}
	put("</table>\n\n")

	put(`<h2 id="rules">Argument rules</h2>`, "\n")
	if len(r.Rules) > 0 {
		put("<ul>\n")
		for _, a := range r.Rules {
			put("<li><code>", esc(a.Syscall), "</code>")
			if len(a.ABIs) > 0 {
				put(" (on ", escJoin(a.ABIs), ")")
			}
			put(": ", esc(a.Text))
			if len(a.Entries) > 0 {
				put(" — ", escJoin(a.Entries))
			}
			put("</li>\n")
		}
		put("</ul>")
	} else {
		put("<p>No call's answer depends on its arguments.</p>")
	}
	put("\n\n")

	put(`<h2 id="lint">Lint findings</h2>`, "\n")
	if len(findings) > 0 {
		put("<table>\n<tr><th>severity</th><th>rule</th><th>where</th><th>finding</th></tr>\n")
		for i := range findings {
			f := &findings[i]
			sev := esc(f.Severity.String())
			put(`<tr class="finding"><td class="`, sev, `">`, sev)
			if f.Acknowledged != "" {
				put(" (acknowledged)")
			}
			put("</td><td><code>", esc(f.Rule), "</code></td><td>", esc(f.Where()), "</td><td>", esc(f.Message),
				"<br><small>fix: ", esc(f.Fix), "</small></td></tr>\n")
		}
		put("</table>")
	} else {
		put("<p>No findings.</p>")
	}
	put("\n\n")

	put(`<h2 id="differences">Differences between ABIs</h2>`, "\n")
	if len(r.Differences) > 0 {
		put("<ul>\n")
		for _, d := range r.Differences {
			put("<li><code>", esc(d.Syscall), "</code>: ", esc(d.Note), "</li>\n")
		}
		put("</ul>")
	} else {
		put("<p>Every ABI of the filter answers every call alike.</p>")
	}
	put("\n\n")

	put(`<h2 id="grid">Every syscall by ABI</h2>`, "\n",
		`<p class="legend"><span class="cell allowed">allowed</span><span class="cell partly">partly</span><span class="cell denied">denied</span><span class="cell enosys">enosys</span><span class="cell absent">absent</span>`, "\n",
		"on ", native, ": ", strconv.Itoa(counts[Allowed]), " allowed, ", strconv.Itoa(counts[Partly]), " partly, ",
		strconv.Itoa(counts[Denied]), " denied, ", strconv.Itoa(counts[ENOSYS]), " ENOSYS</p>\n",
		`<input id="filter" type="search" placeholder="filter by name or group">`, "\n",
		`<table class="grid" id="calls">`, "\n", `<tr><th>syscall</th><th>group</th>`)
	for _, a := range abis {
		put("<th>", a, "</th>")
	}
	put("</tr>\n")
	for _, c := range r.Calls {
		cn, cg := esc(c.Name), esc(c.Group)
		put(`<tr data-name="`, cn, " ", cg, `"><td><code>`, cn, "</code></td><td>", cg, "</td>")
		for i, s := range c.Status {
			detail := ""
			if i < len(c.Detail) {
				detail = c.Detail[i]
			}
			st := esc(s)
			put(`<td class="cell `, st, `" title="`, esc(detail), `">`, st, "</td>")
		}
		put("</tr>\n")
	}
	put("</table>\n", pageScript)
	_, err := io.WriteString(w, b.String())
	return err
}

// esc escapes s for HTML text and for a quoted attribute value: the
// characters html/template escaped there, with its spellings.
func esc(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case 0:
			rep = "\uFFFD"
		case '"':
			rep = "&#34;"
		case '&':
			rep = "&amp;"
		case '\'':
			rep = "&#39;"
		case '+':
			rep = "&#43;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		default:
			continue
		}
		if last == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[last:i])
		b.WriteString(rep)
		last = i + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// escJoin escapes each word and lists them with ", ".
func escJoin(ws []string) string { return esc(strings.Join(ws, ", ")) }

// The page's fixed parts: no value of the report is in them.
const pageHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
`

const pageStyle = `<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 76em; padding: 0 1em; color: #1d2329; }
h1 { font-size: 1.5em; margin-bottom: .2em; }
h2 { font-size: 1.15em; margin-top: 1.8em; border-bottom: 1px solid #d0d7de; padding-bottom: .2em; }
table { border-collapse: collapse; }
td, th { padding: .25em .6em; text-align: left; vertical-align: top; border-bottom: 1px solid #eaeef2; }
th { background: #f6f8fa; }
.facts td:first-child { font-weight: 600; white-space: nowrap; }
.badge, .cell { display: inline-block; border-radius: 3px; padding: 0 .45em; font-size: .9em; font-weight: 600; }
.allowed { background: #2da44e; color: #fff; }
.partly { background: #d4a72c; color: #1d2329; }
.denied { background: #cf222e; color: #fff; }
.enosys { background: #8c959f; color: #fff; }
.absent { background: #f0f2f4; color: #8c959f; font-weight: 400; }
.error { color: #cf222e; font-weight: 600; }
.warning { color: #9a6700; font-weight: 600; }
.note { color: #57606a; font-weight: 600; }
.grid td { padding: 1px 4px; border: 0; }
.grid td.cell { min-width: 5.5em; text-align: center; border: 1px solid #fff; font-size: .8em; }
.grid tr:hover td { outline: 1px solid #afb8c1; }
code { font-size: .95em; }
.legend span { margin-right: .8em; }
#filter { margin: .5em 0; padding: .3em; width: 20em; }
</style>
</head>
<body>
`

const pageScript = `<script>
document.getElementById("filter").addEventListener("input", function (e) {
  var q = e.target.value.toLowerCase();
  var rows = document.querySelectorAll("#calls tr[data-name]");
  for (var i = 0; i < rows.length; i++) {
    rows[i].style.display = rows[i].getAttribute("data-name").indexOf(q) >= 0 ? "" : "none";
  }
});
</script>
<p><small>Written by sysfence explain. Every statement holds for all argument values, by the semantics of runc and libseccomp that sysfence's compiler is held to.</small></p>
</body>
</html>
`
