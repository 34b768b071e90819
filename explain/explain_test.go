package explain_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/explain"
	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/lint"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

func report(t testing.TB, p *profile.Profile, arch string, caps []string) *explain.Report {
	t.Helper()
	a, err := syscalls.ArchByName(arch)
	if err != nil {
		t.Fatal(err)
	}
	res, err := build.Build(build.Request{Profile: p, Arch: a, Caps: caps, Kernel: &profile.KernelVersion{Major: 6, Minor: 8}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := explain.Explain(explain.Input{Policy: res.Policy, Profile: res.Profile, Resolved: res.Resolved})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func dockerDefault(t testing.TB, arch string, caps []string) *explain.Report {
	t.Helper()
	p, err := profile.Builtin("docker-default")
	if err != nil {
		t.Fatal(err)
	}
	return report(t, p, arch, caps)
}

func parse(t testing.TB, text string) *profile.Profile {
	t.Helper()
	p, err := profile.Parse("p.json", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGroupTable: every name of groups.csv is a syscall sysfence knows,
// and group IDs are unique.
func TestGroupTable(t *testing.T) {
	ids := map[string]bool{}
	for _, g := range explain.Groups() {
		if ids[g.ID] || g.ID == "" || g.Title == "" || g.Area == "" || len(g.Syscalls) == 0 {
			t.Errorf("group %+v: duplicate or incomplete", g)
		}
		ids[g.ID] = true
		for _, n := range g.Syscalls {
			if !syscalls.Known(n) {
				t.Errorf("group %s: %q is no syscall of any architecture", g.ID, n)
			}
		}
	}
	if len(ids) < 20 {
		t.Errorf("only %d groups", len(ids))
	}
}

func group(t *testing.T, r *explain.Report, id string) explain.Group {
	t.Helper()
	for _, g := range r.Groups {
		if g.ID == id {
			return g
		}
	}
	t.Fatalf("no group %s", id)
	return explain.Group{}
}

// TestDockerDefault pins what explain says of Docker's default on x86_64
// with Docker's default capabilities and on Linux 6.8, and how adding
// every capability changes it.
func TestDockerDefault(t *testing.T) {
	r := dockerDefault(t, "x86_64", nil)
	for id, want := range map[string]string{
		"process-exec": explain.Allowed, "process-create": explain.Partly, "namespaces": explain.Denied,
		"mount": explain.Partly, "kernel-modules": explain.Denied, "kernel-bpf": explain.Denied,
		"net-connect": explain.Allowed, "net-socket": explain.Partly, "time-set": explain.Partly,
	} {
		if g := group(t, r, id); g.Status != want {
			t.Errorf("%s: %s, want %s (%+v)", id, g.Status, want, g)
		}
	}
	pc := group(t, r, "process-create")
	if !slices.Equal(pc.Denied, []string{"clone3"}) || !slices.Equal(pc.ByArgs, []string{"clone"}) {
		t.Errorf("process-create: %+v", pc)
	}
	if m := group(t, r, "mount"); !slices.Equal(m.Allowed, []string{"chroot"}) {
		t.Errorf("mount: %+v (CAP_SYS_CHROOT is one of Docker's default capabilities)", m)
	}
	ns := group(t, r, "net-socket").Note
	if !strings.HasPrefix(ns, "socket families AF_UNSPEC, AF_UNIX, AF_INET, AF_BRIDGE,") || strings.Contains(ns, "AF_VSOCK") || strings.Contains(ns, "above") {
		t.Errorf("families: %s", ns)
	}
	texts := map[string]string{}
	for _, ar := range r.Rules {
		texts[ar.Syscall+" on "+strings.Join(ar.ABIs, ",")] = ar.Text
	}
	want := map[string]string{
		"personality on x86_64,x86,x32": "allowed only when persona (args[0]) is 0, 8, 0x20000, 0x20008 or 0xffffffff; otherwise refused with EPERM (the default)",
		"clone on x86_64,x86,x32":       "allowed only when flags (args[0]) has none of CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET; otherwise refused with EPERM (the default)",
	}
	for k, w := range want {
		if texts[k] != w {
			t.Errorf("%s:\n got %q\nwant %q", k, texts[k], w)
		}
	}
	if s := texts["socket on x86"]; !strings.HasSuffix(s, "(through socketcall(1), whose arguments seccomp cannot read: allowed)") {
		t.Errorf("socket on x86: %q", s)
	}
	if len(r.Rules) != 4 {
		t.Errorf("%d argument rules, want 4 (clone, personality, socket twice): %+v", len(r.Rules), r.Rules)
	}
	if !strings.Contains(r.ENOSYS, "x86_64 above 466 (removexattrat)") || r.Default != "ERRNO(1) (EPERM)" {
		t.Errorf("default %q, ENOSYS %q", r.Default, r.ENOSYS)
	}
	var diffs []string
	for _, d := range r.Differences {
		diffs = append(diffs, d.Syscall)
	}
	if !slices.Contains(diffs, "socket") || slices.Contains(diffs, "accept") {
		t.Errorf("differences: %v (socket differs on x86 through socketcall; accept does not)", diffs)
	}

	all := dockerDefault(t, "x86_64", []string{"CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_BPF"})
	for id, want := range map[string]string{"namespaces": explain.Allowed, "kernel-modules": explain.Partly, "process-create": explain.Allowed} {
		if g := group(t, all, id); g.Status != want {
			t.Errorf("with CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_BPF: %s is %s, want %s (%+v)", id, g.Status, want, g)
		}
	}
}

// TestGroupsMatchCalls: a group's status is what its calls' statuses on
// the native ABI add up to, and the grid gives every call a status on
// every ABI.
func TestGroupsMatchCalls(t *testing.T) {
	r := dockerDefault(t, "x86_64", nil)
	status := map[string]string{}
	for _, c := range r.Calls {
		if len(c.Status) != len(r.ABIs) || len(c.Detail) != len(r.ABIs) {
			t.Fatalf("%s: %d statuses for %d ABIs", c.Name, len(c.Status), len(r.ABIs))
		}
		status[c.Name] = c.Status[0]
	}
	for _, g := range r.Groups {
		var got []string
		for _, n := range g.Syscalls {
			if s, ok := status[n]; ok && s != explain.Absent {
				got = append(got, s)
			}
		}
		allSame := func(s ...string) bool {
			for _, x := range got {
				if !slices.Contains(s, x) {
					return false
				}
			}
			return true
		}
		want := explain.Partly
		switch {
		case len(got) == 0:
			want = explain.Absent
		case allSame(explain.Allowed):
			want = explain.Allowed
		case allSame(explain.Denied, explain.ENOSYS):
			want = explain.Denied
		}
		if g.Status != want {
			t.Errorf("%s: %s, calls say %s (%v)", g.ID, g.Status, want, got)
		}
	}
}

// TestArgumentWords covers the wordings of conditions.
func TestArgumentWords(t *testing.T) {
	r := report(t, parse(t, `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
  {"names": ["write", "mseal"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["unshare"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 268435456, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
  {"names": ["kill"], "action": "SCMP_ACT_KILL_PROCESS", "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_EQ"}]},
  {"names": ["kill"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_GT"}]},
  {"names": ["mmap"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 4, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}, {"index": 3, "value": 34, "op": "SCMP_CMP_EQ"}]},
  {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_LE"}]}
]}`), "x86_64", nil)
	got := map[string]string{}
	for _, ar := range r.Rules {
		got[ar.Syscall] = ar.Text
	}
	for call, w := range map[string]string{
		"unshare": "allowed only when flags (args[0]) has none of CLONE_NEWUSER; otherwise refused with EPERM (the default)",
		"kill":    "killed (the process) when sig (args[1]) is 9; allowed when pid (args[0]) is above 1; otherwise refused with EPERM (the default)",
		"mmap":    "allowed only when prot (args[2]) masked with 0x4 is 0 and flags (args[3]) is 0x22; otherwise refused with EPERM (the default)",
		"socket":  "allowed only when family (args[0]) is at most 2 (AF_UNSPEC, AF_UNIX, AF_INET); otherwise refused with EPERM (the default)",
	} {
		if got[call] != w {
			t.Errorf("%s:\n got %q\nwant %q", call, got[call], w)
		}
	}
	if n := group(t, r, "net-socket").Note; n != "socket families AF_UNSPEC, AF_UNIX, AF_INET" {
		t.Errorf("families: %q", n)
	}
}

// TestCompare: a profile against itself is no difference; against
// Docker's default, what it opens and closes.
// TestLowWordWords: "allow ioctl unless the low 32 bits of its request
// are TIOCSTI or TIOCLINUX", as a lifted `sysfence run` filter holds it
// on x86_64 (one ALLOW rule per bit in which a value differs from both),
// reads as that, not as a list of 32 masks; a profile's own few rules
// are still worded rule by rule (TestArgumentWords).
func TestLowWordWords(t *testing.T) {
	var entries []string
	const a, b = 0x5412, 0x541c
	for bit := range 32 {
		m := uint64(1) << bit
		if a&m != b&m {
			continue // a rule on this bit would let one of them through
		}
		entries = append(entries, fmt.Sprintf(`{"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": %d, "valueTwo": %d, "op": "SCMP_CMP_MASKED_EQ"}]}`, m, ^uint64(a)&m))
	}
	// Bits 1-3, where they differ (0x2 and 0xc): every other pattern.
	for _, x := range []uint64{0x0, 0x4, 0x6, 0x8, 0xa, 0xe} {
		entries = append(entries, fmt.Sprintf(`{"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 14, "valueTwo": %d, "op": "SCMP_CMP_MASKED_EQ"}]}`, x))
	}
	r := report(t, parse(t, `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [`+strings.Join(entries, ",\n")+`]}`), "x86_64", nil)
	want := "allowed only when the low 32 bits of request (args[1]) are not TIOCSTI or TIOCLINUX; otherwise refused with EPERM (the default)"
	got := "(no words for ioctl)"
	for _, ar := range r.Rules {
		if ar.Syscall == "ioctl" {
			got = ar.Text
		}
	}
	if got != want {
		t.Errorf("ioctl:\n got %q\nwant %q", got, want)
	}
}

func TestCompare(t *testing.T) {
	dd := dockerDefault(t, "x86_64", nil)
	var buf bytes.Buffer
	if err := explain.WriteDeltaText(&buf, explain.Compare(dd, dd)); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "docker-default compared with docker-default\nno difference in what they allow\n" {
		t.Errorf("self: %q", buf.String())
	}
	mine := report(t, parse(t, `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
  {"names": ["read", "write", "close", "exit_group", "clone3", "socket", "mseal"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}
]}`), "x86_64", nil)
	d := explain.Compare(mine, dd)
	var adds, removes []string
	for _, c := range d.Adds {
		adds = append(adds, c.Syscall+" "+c.Here+"/"+c.There)
	}
	for _, c := range d.Removes {
		removes = append(removes, c.Syscall)
	}
	if !slices.Equal(adds, []string{"clone3 allowed/enosys", "socket allowed/partly"}) {
		t.Errorf("adds: %v", adds)
	}
	if !slices.Contains(removes, "openat") || slices.Contains(removes, "read") || len(d.Changed) != 1 || d.Changed[0].Syscall != "personality" {
		t.Errorf("removes %v, changed %+v", removes, d.Changed)
	}
	if !slices.Equal(d.OnlyThere, []string{"x86", "x32"}) {
		t.Errorf("ABIs only there: %v", d.OnlyThere)
	}
}

// TestWriteHTMLEscapesEveryValue fills every field the page shows with
// markup (each its own) and checks that each arrives escaped and none as
// markup: the page is written by hand, so a value left unescaped is a
// script a profile's name, comment or syscall name could inject.
func TestWriteHTMLEscapesEveryValue(t *testing.T) {
	n := 0
	var want []string
	bad := func() string {
		n++
		want = append(want, fmt.Sprintf("&lt;i id=%d&gt;&amp;&#39;&#34;&#43;\uFFFD", n))
		return fmt.Sprintf("<i id=%d>&'\"+\x00", n)
	}
	g := explain.Group{GroupDef: explain.GroupDef{Area: bad(), ID: bad(), Title: bad()}, Status: explain.Partly,
		Denied: []string{bad()}, ByArgs: []string{bad()}, Note: bad()}
	r := &explain.Report{
		Name: bad(), ABIs: []explain.ABI{{Name: bad()}, {Name: bad()}}, Default: bad(), BadArch: bad(), ENOSYS: bad(),
		Groups:      []explain.Group{g, {GroupDef: explain.GroupDef{ID: bad()}, Status: bad()}},
		Rules:       []explain.ArgRule{{Syscall: bad(), ABIs: []string{bad()}, Text: bad(), Entries: []string{bad()}}},
		Differences: []explain.Difference{{Syscall: bad(), Note: bad()}},
		Calls:       []explain.Call{{Name: bad(), Group: bad(), Status: []string{bad(), bad()}, Detail: []string{bad(), bad()}}},
	}
	findings := []lint.Finding{{Rule: bad(), Severity: lint.Error, File: bad(), Line: 1, Column: 2, Message: bad(), Fix: bad()}}
	var b bytes.Buffer
	if err := explain.WriteHTML(&b, r, findings); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, "<i id=") || strings.Contains(page, "\x00") {
		t.Errorf("a value arrived as markup:\n%s", page)
	}
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("the page lacks %q", w)
		}
	}
	if c := strings.Count(page, "<script>"); c != 1 {
		t.Errorf("%d scripts", c)
	}
}

// TestMultiplexerWords: on x86, socket's argument rule gives socketcall a
// rule on its call number, which explain says in words and attributes to
// socket (it once printed an empty condition), and a rule the profile
// gives socketcall itself is not said twice.
func TestMultiplexerWords(t *testing.T) {
	for _, tt := range []struct{ prof, want string }{
		{`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
  {"names": ["write", "mseal"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_LE"}]}]}`,
			"allowed only when call (args[0]) is 1 (socket's rule; its own arguments are in memory, which seccomp cannot read); otherwise refused with EPERM (the default)"},
		{`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
  {"names": ["write", "mseal"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["socket", "socketcall"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]}`,
			"allowed only when call (args[0]) is 1; otherwise refused with EPERM (the default)"},
	} {
		r := report(t, parse(t, tt.prof), "x86", nil)
		var got []string
		for _, ar := range r.Rules {
			if ar.Syscall == "socketcall" {
				got = append(got, ar.Text)
			}
		}
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("socketcall on x86: %q\nwant %q", got, tt.want)
		}
	}
}
