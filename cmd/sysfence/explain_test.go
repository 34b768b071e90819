package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

// TestExplainCommand runs explain through the binary: text, JSON, the
// delta, and its errors.
func TestExplainCommand(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.json"), []byte(`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
  {"names": ["read", "write", "close", "exit_group", "clone3", "mseal"], "action": "SCMP_ACT_ALLOW"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := sysfence("compile", "docker-default", "--arch", "x86_64").Output(); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(filepath.Join(dir, "filter.bpf"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	target := []string{"--arch", "x86_64", "--kernel", "6.8"}

	r := runSysfence(t, dir, append(target, "explain", "docker-default")...)
	for _, want := range []string{
		"docker-default: what the filter leaves a program on x86_64, x86, x32 (native x86_64)\n\nprocesses\n  partly   create processes and threads (denied: clone3; by arguments: clone)\n  allowed  run programs\n",
		"\nnamespaces and mounts\n  denied   create or join namespaces\n",
		"  personality: allowed only when persona (args[0]) is 0, 8, 0x20000, 0x20008 or 0xffffffff; otherwise refused with EPERM (the default)\n",
		"\ndefault: ERRNO(1) (EPERM) for every call no rule decides\n",
		"  socket: x86_64: partly (ALLOW or ERRNO(1) depending on arguments); x86: partly (ALLOW or ERRNO(1) depending on arguments; through socketcall(1): ALLOW)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("explain docker-default lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.code != 0 || r.stderr != "" {
		t.Errorf("explain docker-default: exit %d, %s", r.code, r.stderr)
	}

	r = runSysfence(t, dir, append(target, "explain", "--json", "docker-default")...)
	var rep struct {
		ABIs   []struct{ Name string }
		Groups []struct{ ID, Status string }
		Calls  []struct {
			Name   string
			Status []string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || len(rep.ABIs) != 3 || len(rep.Groups) < 20 || len(rep.Calls) < 400 {
		t.Errorf("--json: %v, exit %d, %d ABIs, %d groups, %d calls", err, r.code, len(rep.ABIs), len(rep.Groups), len(rep.Calls))
	}

	r = runSysfence(t, dir, append(target, "explain", "app.json", "--against", "docker-default")...)
	for _, want := range []string{
		"app.json compared with docker-default\nABIs only docker-default filters: x86, x32\n",
		"\nadds (more open here)\n  allowed here, enosys there (x86_64): clone3\n",
		"  denied here, allowed there (x86_64): accept, accept4, access,",
	} {
		if !strings.Contains(r.stdout, want) || r.code != 0 {
			t.Errorf("--against lacks %q (exit %d):\n%s", want, r.code, r.stdout)
		}
	}

	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"explain", strconv.Itoa(os.Getpid())}, fmt.Sprintf("sysfence: seccomp: process %d", os.Getpid())},
		{[]string{"explain", "missing.json"}, "sysfence: missing.json: cannot read it: no such file or directory\n"},
		{[]string{"explain", "app.json", "--against", "dockre-default"}, "sysfence: unknown profile \"dockre-default\": no such file, and not a built-in profile (did you mean docker-default?); built-in profiles: docker-default\n"},
		{[]string{"explain", "app.json", "--html", "/proc/version"}, "sysfence: --html: cannot write /proc/version: directory /proc is on the kernel's proc file system, where files cannot be created or replaced\n"},
	} {
		r := runSysfence(t, dir, c.args...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, c.stderr) || r.stdout != "" {
			t.Errorf("%v: %+v, want exit 2 and %q", c.args, r, c.stderr)
		}
	}

	// A raw filter is explained from what it decides, lifted: the same
	// capabilities as the profile it was compiled from.
	groups := func(s string) []string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			for _, w := range []string{"  allowed ", "  partly ", "  denied ", "  enosys "} {
				if strings.HasPrefix(l, w) {
					out = append(out, l)
				}
			}
		}
		return out
	}
	rb := runSysfence(t, dir, "explain", "filter.bpf")
	rp := runSysfence(t, dir, "explain", "--arch", "x86_64", "docker-default")
	if rb.code != 0 || len(groups(rb.stdout)) < 10 || !slices.Equal(groups(rb.stdout), groups(rp.stdout)) {
		t.Errorf("the lifted filter explains otherwise than its profile:\n%s\nvs\n%s", rb.stdout, rp.stdout)
	}
}

// TestExplainHTMLInChromium renders the --html page of Docker's default
// in headless Chromium, with the network off, and checks what a person
// sees: the facts, the capability table, the argument rules, lint's
// findings and a grid row for every syscall, all without anything
// fetched from elsewhere. It also takes a screenshot (docs/explain-docker-default.png is
// made the same way).
func TestExplainHTMLInChromium(t *testing.T) {
	chromium := testenv.LookPath(t, "chromium", "chromium")
	dir := t.TempDir()
	page := filepath.Join(dir, "docker-default.html")
	r := runSysfence(t, dir, "explain", "--arch", "x86_64", "--kernel", "6.8", "docker-default", "--html", page)
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("explain --html: %+v", r)
	}
	src, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	// Self-contained: no attribute or style pulls anything in.
	if m := regexp.MustCompile(`(?i)(src|href)\s*=|url\(|@import`).Find(src); m != nil {
		t.Errorf("the page loads something: %q", m)
	}
	browse := func(args ...string) []byte {
		t.Helper()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
			"--disable-component-update", "--disable-sync", "--user-data-dir=" + filepath.Join(dir, "profile"),
			"--proxy-server=127.0.0.1:9", "--window-size=1280,1800"}
		cmd := exec.Command(chromium, append(append(base, args...), "file://"+page)...)
		cmd.Env = append(os.Environ(), "HOME="+dir)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("chromium %v: %v", args, err)
		}
		return out
	}
	dom := string(browse("--dump-dom"))
	for _, want := range []string{
		"<title>sysfence explain: docker-default</title>",
		`<td>processes</td><td>create processes and threads</td><td><span class="badge partly">partly</span></td><td>denied: clone3; by arguments: clone</td>`,
		`<td>namespaces and mounts</td><td>create or join namespaces</td><td><span class="badge denied">denied</span></td>`,
		"<code>personality</code> (on x86_64, x86, x32): allowed only when persona (args[0]) is 0, 8, 0x20000, 0x20008 or 0xffffffff",
		`<td class="error">error</td><td><code>indirect-call</code></td><td>docker-default:374:5</td>`,
		`<td><code>ptrace</code></td><td>process-debug</td><td class="cell allowed" title="ALLOW">allowed</td>`,
		`<td><code>mount</code></td><td>mount</td><td class="cell denied" title="ERRNO(1)">denied</td>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}
	if n := strings.Count(dom, "<tr data-name="); n < 400 {
		t.Errorf("the grid has %d rows", n)
	}
	if n := strings.Count(dom, `<tr class="finding">`); n != 4 {
		t.Errorf("%d lint findings shown, want 4", n)
	}
	shot := filepath.Join(dir, "page.png")
	browse("--screenshot=" + shot)
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 50_000 {
		t.Errorf("screenshot: %v (%v bytes)", err, fi)
	}
}
