package explain

import (
	"html/template"
	"io"
	"strings"

	"github.com/sysfence/sysfence/lint"
)

// WriteHTML writes the report as one self-contained page: styles and the
// grid's filter script are inline, and nothing is fetched when it is
// viewed. It holds the capability table, the argument rules, lint's
// findings, the differences between ABIs and a colour grid of every
// syscall by ABI.
func WriteHTML(w io.Writer, r *Report, findings []lint.Finding) error {
	var abis []string
	for _, a := range r.ABIs {
		abis = append(abis, a.Name)
	}
	data := struct {
		R        *Report
		ABIs     []string
		Findings []lint.Finding
		Counts   map[string]int
	}{R: r, ABIs: abis, Findings: findings, Counts: map[string]int{}}
	for _, c := range r.Calls {
		data.Counts[c.Status[0]]++
	}
	return page.Execute(w, data)
}

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"detail": groupDetailBare,
	"join":   func(s []string) string { return strings.Join(s, ", ") },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sysfence explain: {{.R.Name}}</title>
<style>
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
<h1>What <code>{{.R.Name}}</code> lets a program do</h1>
<table class="facts">
<tr><td>ABIs</td><td>{{join .ABIs}} (native {{index .ABIs 0}})</td></tr>
<tr><td>default</td><td>{{.R.Default}} for every call no rule decides</td></tr>
<tr><td>other ABIs</td><td>{{.R.BadArch}} (the bad-arch action)</td></tr>
<tr><td>newer calls</td><td>{{.R.ENOSYS}}</td></tr>
</table>

<h2 id="capabilities">Capabilities (on {{index .ABIs 0}})</h2>
<table>
<tr><th>area</th><th>capability</th><th>status</th><th>what makes it partial</th></tr>
{{range .R.Groups}}{{if ne .Status "absent"}}<tr class="group" data-id="{{.ID}}"><td>{{.Area}}</td><td>{{.Title}}</td><td><span class="badge {{.Status}}">{{.Status}}</span></td><td>{{detail .}}</td></tr>
{{end}}{{end}}</table>

<h2 id="rules">Argument rules</h2>
{{if .R.Rules}}<ul>
{{range .R.Rules}}<li><code>{{.Syscall}}</code>{{if .ABIs}} (on {{join .ABIs}}){{end}}: {{.Text}}{{if .Entries}} — {{join .Entries}}{{end}}</li>
{{end}}</ul>{{else}}<p>No call's answer depends on its arguments.</p>{{end}}

<h2 id="lint">Lint findings</h2>
{{if .Findings}}<table>
<tr><th>severity</th><th>rule</th><th>where</th><th>finding</th></tr>
{{range .Findings}}<tr class="finding"><td class="{{.Severity}}">{{.Severity}}{{if .Acknowledged}} (acknowledged){{end}}</td><td><code>{{.Rule}}</code></td><td>{{.Where}}</td><td>{{.Message}}<br><small>fix: {{.Fix}}</small></td></tr>
{{end}}</table>{{else}}<p>No findings.</p>{{end}}

<h2 id="differences">Differences between ABIs</h2>
{{if .R.Differences}}<ul>
{{range .R.Differences}}<li><code>{{.Syscall}}</code>: {{.Note}}</li>
{{end}}</ul>{{else}}<p>Every ABI of the filter answers every call alike.</p>{{end}}

<h2 id="grid">Every syscall by ABI</h2>
<p class="legend"><span class="cell allowed">allowed</span><span class="cell partly">partly</span><span class="cell denied">denied</span><span class="cell enosys">enosys</span><span class="cell absent">absent</span>
on {{index .ABIs 0}}: {{index .Counts "allowed"}} allowed, {{index .Counts "partly"}} partly, {{index .Counts "denied"}} denied, {{index .Counts "enosys"}} ENOSYS</p>
<input id="filter" type="search" placeholder="filter by name or group">
<table class="grid" id="calls">
<tr><th>syscall</th><th>group</th>{{range .ABIs}}<th>{{.}}</th>{{end}}</tr>
{{range .R.Calls}}{{$c := .}}<tr data-name="{{.Name}} {{.Group}}"><td><code>{{.Name}}</code></td><td>{{.Group}}</td>{{range $i, $s := .Status}}<td class="cell {{$s}}" title="{{index $c.Detail $i}}">{{$s}}</td>{{end}}</tr>
{{end}}</table>
<script>
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
`))
