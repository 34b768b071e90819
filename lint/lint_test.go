package lint_test

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/lint"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// target is what every test profile is resolved for, whatever the
// machine: x86_64, Docker's default capabilities, Linux 6.8.
func request(t testing.TB, p *profile.Profile, arch string) build.Request {
	t.Helper()
	a, err := syscalls.ArchByName(arch)
	if err != nil {
		t.Fatal(err)
	}
	k := profile.KernelVersion{Major: 6, Minor: 8}
	return build.Request{Profile: p, Arch: a, Kernel: &k}
}

func check(t testing.TB, text, arch string, noENOSYS bool) []lint.Finding {
	t.Helper()
	p, err := profile.Parse("p.json", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return checkProfile(t, p, arch, noENOSYS)
}

// checkProfile builds p for arch as `sysfence lint` does and lints it.
func checkProfile(t testing.TB, p *profile.Profile, arch string, noENOSYS bool) []lint.Finding {
	t.Helper()
	req := request(t, p, arch)
	req.NoENOSYS = noENOSYS
	res, err := build.Build(req)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := lint.Check(lint.Input{Profile: res.Profile, Resolved: res.Resolved, Policy: res.Policy})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func show(fs []lint.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n  %s %s[%s] %s", f.Where(), f.Severity, f.Rule, f.Message)
	}
	return b.String()
}

// want is a finding a case expects: its rule, its position, and words of
// its message.
type want struct {
	rule      string
	line, col int
	words     []string
}

var cases = []struct {
	name     string
	arch     string
	noENOSYS bool
	profile  string
	want     []want
	// fixed is the same profile with the mistake corrected: none of the
	// case's rules may fire on it.
	fixed string
}{
	{name: "socket filtered, socketcall open on x86", profile: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
  "syscalls": [
    {"names": ["write", "statx"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}
  ]
}`, want: []want{{lint.IndirectCall, 6, 16, []string{"on x86, socket is filtered (socket(AF_UNSPEC, 0, 0) is ERRNO(1))", "socketcall(1, …)", "by syscalls[1] (p.json:6:5)"}}},
		fixed: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}
  ]
}`},
	{name: "socketcall allowed beside socket rules", profile: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86"],
  "syscalls": [
    {"names": ["read", "socketcall"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}
  ]
}`, want: []want{{lint.IndirectCall, 5, 24, []string{"socket is filtered by its arguments", "socketcall(1, …)", "by syscalls[0]"}}}},
	{name: "condition on socketcall's pointer", profile: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86"],
  "syscalls": [
    {"names": ["write"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 1, "op": "SCMP_CMP_EQ"}]}
  ]
}`, want: []want{{lint.IndirectCall, 6, 16, []string{"on x86, libseccomp also applies this entry to socket through socketcall", "args[1]"}}}},
	{name: "syscall(2) on MIPS o32", arch: "mips64", profile: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS"],
  "syscalls": [{"names": ["read", "syscall"], "action": "SCMP_ACT_ALLOW"}]
}`, want: []want{{lint.IndirectCall, 4, 35, []string{"on mips (o32), syscall(2) (number 4000)", "never sees 4000"}}},
		fixed: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS"],
  "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]
}`},
	{name: "deny-list escaped through i386 chown32", profile: `{
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
  "syscalls": [
    {"names": ["chown", "fchown", "lchown", "fchownat"], "action": "SCMP_ACT_ERRNO"}
  ]
}`, want: []want{
		{lint.DenyList, 2, 20, []string{"the default action is ALLOW"}},
		{lint.DangerousCall, 2, 20, []string{"the default action ALLOW allows dangerous calls for any arguments on x86_64 and x86: acct, add_key, bpf,", "vm86 and vm86old"}},
		{lint.ABIEscape, 5, 16, []string{"chown is filtered (chown(NULL, 0, 0) on x86_64 is ERRNO(1))", "on x86 the same is done by chown32 and lchown32"}},
		{lint.ABIEscape, 5, 25, []string{"fchown is filtered", "on x86 the same is done by fchown32,"}},
		{lint.ABIEscape, 5, 35, []string{"lchown is filtered", "on x86 the same is done by lchown32,"}},
		{lint.ABIEscape, 5, 45, []string{"fchownat is filtered", "on x86 the same is done by chown32 and lchown32"}},
	}, fixed: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
  "syscalls": [
    {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}
  ]
}`},
	{name: "clone filtered, clone3 allowed", profile: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["clone3"], "action": "SCMP_ACT_ALLOW"}
  ]
}`, want: []want{{lint.Clone3Escape, 5, 16, []string{"clone is filtered by its arguments", "clone3 is allowed"}}},
		fixed: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
  ]
}`},
	{name: "open filtered, openat allowed", profile: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read", "openat"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["open"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 3, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}
  ]
}`, want: []want{{lint.SiblingEscape, 5, 16, []string{"open is filtered (open(NULL, O_WRONLY) on x86_64 is ERRNO(1))", "but the same is done by openat, allowed without argument rules on x86_64 (by syscalls[0] (p.json:4:5))"}}},
		fixed: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["open", "openat"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 3, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}
  ]
}`},
	{name: "clone3 denied with EPERM", profile: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read", "mseal"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["faccessat2"], "action": "SCMP_ACT_KILL_PROCESS"}
  ]
}`, want: []want{
		{lint.ENOSYSFallback, 2, 20, []string{"clone3 is answered ERRNO(1) (by the default action ERRNO(1))", "falls back to clone only"}},
		{lint.ENOSYSFallback, 5, 16, []string{"faccessat2 is answered KILL_PROCESS"}},
		{lint.ENOSYSFallback, 2, 20, []string{"fchmodat2 is answered ERRNO(1)"}},
	}, fixed: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read", "mseal"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["clone3", "faccessat2", "fchmodat2", "statx"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
  ]
}`},
	{name: "no ENOSYS rule", noENOSYS: true, profile: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]
}`, want: []want{{lint.NoENOSYS, 2, 20, []string{"on x86_64, syscalls the profile does not know get the default ERRNO(1), not ENOSYS"}}},
		fixed: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 38,
  "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]
}`},
	{name: "clean profile denying with ENOSYS", profile: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 38,
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [
    {"names": ["read", "write", "openat", "close", "exit_group", "mseal"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}
  ]
}`},
	{name: "ptrace allowed, bpf acknowledged", profile: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read", "ptrace"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "comment": "the agent loads its probes; sysfence:ack dangerous-call"}
  ]
}`, want: []want{
		{lint.DangerousCall, 4, 24, []string{"ptrace is allowed for any arguments on x86_64 (by syscalls[0] (p.json:4:5))", "code injection"}},
		{lint.DangerousCall, 5, 16, []string{"bpf is allowed", "[acknowledged]"}},
	}, fixed: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}
  ]
}`},
	{name: "misspelled name", profile: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [{"names": ["write", "opnat"], "action": "SCMP_ACT_ALLOW"}]
}`, want: []want{{lint.UnknownName, 3, 36, []string{`unknown syscall "opnat" (did you mean openat?)`}}},
		fixed: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [{"names": ["write", "openat"], "action": "SCMP_ACT_ALLOW"}]
}`},
	{name: "entry equal to the default", profile: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
  ]
}`, want: []want{{lint.SameAsDefault, 5, 36, []string{"the action ERRNO(1) is the default action: runc skips this entry (mount)"}}},
		fixed: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}
  ]
}`},
	{name: "shadowed entries", profile: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5, "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 10, "op": "SCMP_CMP_LT"}]},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}
  ]
}`, want: []want{
		{lint.Shadowed, 5, 16, []string{"this entry never decides write on x86_64: syscalls[0]", "its first unconditional rule"}},
		{lint.Shadowed, 7, 16, []string{"this entry never decides personality on x86_64: syscalls[2] (p.json:6:5)", "personality: ALLOW if args[0] < 0xa"}},
	}, fixed: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_NE"}]},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 10, "op": "SCMP_CMP_LT"}]},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]}
  ]
}`},
	{name: "conditions that never hold", profile: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
  "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 0, "op": "SCMP_CMP_LT"}]},
    {"names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 4294967297, "op": "SCMP_CMP_EQ"}]},
    {"names": ["close"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "valueTwo": 3, "op": "SCMP_CMP_MASKED_EQ"}]}
  ]
}`, want: []want{
		{lint.NeverMatches, 5, 62, []string{"args[2] < 0x0 never holds on x86_64 and x86"}},
		{lint.NeverMatches, 6, 63, []string{"args[0] == 0x100000001 compares a value above 32 bits, which an argument of x86 never has", "matches args[0] == 0x1 there"}},
		{lint.NeverMatches, 7, 63, []string{"never holds as written", "on x86_64 and x86"}},
	}, fixed: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
  "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 10, "op": "SCMP_CMP_LT"}]},
    {"names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]},
    {"names": ["close"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}]}
  ]
}`},
	{name: "duplicated names", profile: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read", "write", "read"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["close"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["close"], "action": "SCMP_ACT_ALLOW"}
  ]
}`, want: []want{
		{lint.DuplicateName, 4, 33, []string{`"read" is named twice in this entry (also names[0])`}},
		{lint.DuplicateName, 6, 16, []string{`"close" is already in syscalls[1] (p.json:5:5)`}},
	}, fixed: `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read", "write", "close"], "action": "SCMP_ACT_ALLOW"}
  ]
}`},
}

// TestRules runs every rule on a profile that has the mistake (each
// expected finding is there, at its position, and nothing else) and on
// the same profile corrected (none of the case's rules fire).
func TestRules(t *testing.T) {
	tested := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			arch := c.arch
			if arch == "" {
				arch = "x86_64"
			}
			fs := check(t, c.profile, arch, c.noENOSYS)
			got := slices.Clone(fs)
			for _, w := range c.want {
				tested[w.rule] = true
				i := slices.IndexFunc(got, func(f lint.Finding) bool {
					if f.Rule != w.rule || f.Line != w.line || f.Column != w.col {
						return false
					}
					msg := f.Message
					if f.Acknowledged != "" {
						msg += " [acknowledged]"
					}
					for _, word := range w.words {
						if !strings.Contains(msg, word) {
							return false
						}
					}
					return true
				})
				if i < 0 {
					t.Errorf("no %s finding at %d:%d with %q; got:%s", w.rule, w.line, w.col, w.words, show(fs))
					continue
				}
				got = slices.Delete(got, i, i+1)
			}
			if len(got) > 0 {
				t.Errorf("unexpected findings:%s", show(got))
			}
			if c.fixed == "" {
				return
			}
			for _, f := range check(t, c.fixed, arch, c.noENOSYS) {
				for _, w := range c.want {
					if f.Rule == w.rule {
						t.Errorf("the corrected profile still has:%s", show([]lint.Finding{f}))
					}
				}
			}
		})
	}
	for _, r := range lint.Rules {
		if !tested[r.ID] {
			t.Errorf("rule %s has no test case", r.ID)
		}
	}
}

// TestDockerDefault pins what lint finds in Docker's default profile on
// x86_64 (the README explains each finding): the socket-family rules do
// not hold for i386 callers, and ptrace and process_vm_* are allowed for
// any arguments (kernels >= 4.8).
func TestDockerDefault(t *testing.T) {
	p, err := profile.Builtin("docker-default")
	if err != nil {
		t.Fatal(err)
	}
	fs := checkProfile(t, p, "x86_64", false)
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%s %s %s %s", f.Where(), f.Rule, strings.Join(f.Syscalls, ","), strings.Join(f.ABIs, ",")))
	}
	wantList := []string{
		"docker-default:374:5 indirect-call socket,socketcall x86",
		"docker-default:430:5 dangerous-call process_vm_readv x86_64,x86,x32",
		"docker-default:431:5 dangerous-call process_vm_writev x86_64,x86,x32",
		"docker-default:432:5 dangerous-call ptrace x86_64,x86,x32",
	}
	if !slices.Equal(got, wantList) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantList, "\n"))
	}
}

// TestPolicyWithoutProfile: a policy as lifted from a program (no
// profile, no positions) whose bad-arch action allows.
func TestPolicyWithoutProfile(t *testing.T) {
	x86_64, _ := syscalls.ArchByName("x86_64")
	nr, _ := x86_64.Number("ptrace")
	p := &policy.Policy{DefaultAction: policy.Errno(1), BadArch: policy.ActAllow, ENOSYS: true,
		Arches: []*policy.ArchPolicy{{Arch: x86_64, MaxNr: 400, Rules: []policy.Rule{{Nr: nr, Action: policy.ActAllow, Origin: policy.Origin{Entry: -1, Name: "ptrace"}}}}}}
	fs, err := lint.Check(lint.Input{Name: "filter.bpf", Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Where()+" "+f.Rule+": "+f.Message)
	}
	want := []string{
		"filter.bpf abi-escape: calls of the ABIs the filter does not list (it lists x86_64) are answered ALLOW: a 64-bit program escapes every rule through int 0x80 (i386) or the x32 bit",
		"filter.bpf dangerous-call: ptrace is allowed for any arguments on x86_64 (by a rule): it reads and writes the memory and registers of every process it may trace (same user, outside a PID namespace): code injection into processes the filter does not confine",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseSeverity(t *testing.T) {
	for s, want := range map[string]lint.Severity{"note": lint.Note, "Warning": lint.Warning, " error ": lint.Error} {
		if got, err := lint.ParseSeverity(s); err != nil || got != want {
			t.Errorf("%q: %v %v", s, got, err)
		}
	}
	if _, err := lint.ParseSeverity("fatal"); err == nil || !strings.Contains(err.Error(), "one of note, warning, error") {
		t.Errorf("fatal: %v", err)
	}
}

// TestShadowedIsExact: on random profiles, a name lint calls shadowed in
// an entry never decides a call (checked with policy.Decide on edge and
// random arguments); the seed is logged.
func TestShadowedIsExact(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewSource(seed))
	ops := []string{"SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_GE", "SCMP_CMP_MASKED_EQ"}
	acts := []string{`"SCMP_ACT_ALLOW"`, `"SCMP_ACT_ERRNO", "errnoRet": 13`, `"SCMP_ACT_KILL_PROCESS"`, `"SCMP_ACT_LOG"`}
	vals := []uint64{0, 1, 2, 8, 0xffffffff, 1 << 32}
	names := []string{"personality", "kill", "dup2"}
	flagged := 0
	for range 300 {
		var entries []string
		for range 2 + r.Intn(5) {
			var args []string
			for range r.Intn(3) {
				args = append(args, fmt.Sprintf(`{"index": %d, "value": %d, "valueTwo": %d, "op": %q}`, r.Intn(2), vals[r.Intn(len(vals))], vals[r.Intn(len(vals))], ops[r.Intn(len(ops))]))
			}
			entries = append(entries, fmt.Sprintf(`{"names": [%q], "action": %s, "args": [%s]}`, names[r.Intn(len(names))], acts[r.Intn(len(acts))], strings.Join(args, ", ")))
		}
		text := `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["mseal"], "action": "SCMP_ACT_ALLOW"}, ` + strings.Join(entries, ", ") + `]}`
		p, err := profile.Parse("p.json", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		res, err := build.Build(request(t, p, "x86_64"))
		if err != nil {
			t.Fatal(err)
		}
		fs, err := lint.Check(lint.Input{Profile: res.Profile, Resolved: res.Resolved, Policy: res.Policy})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if f.Rule != lint.Shadowed {
				continue
			}
			flagged++
			var pi int
			fmt.Sscanf(f.Path, "syscalls[%d]", &pi)
			ap := res.Policy.Arches[0]
			nr, _ := ap.Arch.Number(f.Syscalls[0])
			for range 3000 {
				var a [6]uint64
				for k := range a {
					if r.Intn(2) == 0 {
						a[k] = vals[r.Intn(len(vals))] + uint64(r.Intn(3)) - 1
					} else {
						a[k] = r.Uint64()
					}
				}
				d := res.Policy.Decide(ap.Arch.AuditArch, nr, &a)
				if d.Rule != nil && res.Resolved.Entry[d.Rule.Origin.Entry] == pi && d.Rule.Origin.Name == f.Syscalls[0] {
					t.Fatalf("%s: %s\nbut it decides %s(%x):\n%s", f.Where(), f.Message, f.Syscalls[0], a, text)
				}
			}
		}
	}
	if flagged == 0 {
		t.Error("no shadowed entry in any random profile: the check checked nothing")
	}
	t.Logf("%d shadowed findings checked", flagged)
}
