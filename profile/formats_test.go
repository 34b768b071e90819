package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/syscalls"
)

func mustParse(t testing.TB, name, in string) *Profile {
	t.Helper()
	p, err := Parse(name, []byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func u(n uint) *uint { return &n }

// dockerDefaultJSON is Docker's default profile exactly as moby's
// default.json is generated (json.MarshalIndent with tabs).
func dockerDefaultJSON(t testing.TB) []byte {
	b, err := json.MarshalIndent(defaultModel(t), "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mobyDefaultJSONFile finds default.json of the moby module in the module
// cache, or "" (the module cache is there wherever the tests were built
// from source, but a copied test binary has none).
func mobyDefaultJSONFile() string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/moby/profiles/seccomp").Output()
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		return ""
	}
	return filepath.Join(string(bytes.TrimSpace(out)), "default.json")
}

// TestMobyDefaultJSONFile: the text the tests and benchmarks parse is the
// module's default.json byte for byte.
func TestMobyDefaultJSONFile(t *testing.T) {
	want := dockerDefaultJSON(t)
	f := mobyDefaultJSONFile()
	got, err := os.ReadFile(f)
	if f == "" || err != nil {
		testenv.Skip(t, "moby's default.json not found in the module cache")
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from json.MarshalIndent(seccomp.DefaultProfile())", f)
	}
	p, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Seccomp, defaultModel(t)) {
		t.Error("default.json parses to a different model")
	}
}

// defaultModel is moby's default profile (moby defines it on Linux only).
func defaultModel(t testing.TB) *seccomp.Seccomp {
	t.Helper()
	if dockerDefault == nil {
		t.Skip("moby defines its default profile on Linux only")
	}
	return dockerDefault()
}

func TestFormatDetection(t *testing.T) {
	cases := []struct {
		name, in string
		format   Format
		enc      Encoding
	}{
		{"docker/json-archmap", `{"defaultAction":"SCMP_ACT_ERRNO","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86"]}]}`, FormatDocker, JSON},
		{"docker/json-name", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"read","action":"SCMP_ACT_ALLOW"}]}`, FormatDocker, JSON},
		{"docker/yaml-comment", "defaultAction: SCMP_ACT_ERRNO\nsyscalls:\n- names: [read]\n  action: SCMP_ACT_ALLOW\n  comment: reading\n", FormatDocker, YAML},
		{"oci/bare-json", `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}`, FormatOCI, JSON},
		{"oci/bare-yaml", "defaultAction: SCMP_ACT_ALLOW\n", FormatOCI, YAML},
		{"oci-config/json", `{"ociVersion":"1.2.0","process":{"args":["sh"]},"linux":{"namespaces":[{"type":"pid"}],"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}}}`, FormatOCIConfig, JSON},
		{"podman/errno-name", `{"defaultAction":"SCMP_ACT_ERRNO","defaultErrno":"ENOSYS"}`, FormatPodman, JSON},
		{"podman/arch-native", `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_NATIVE"]}`, FormatPodman, JSON},
		{"spo/yaml", "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n  name: demo\nspec:\n  defaultAction: SCMP_ACT_LOG\n", FormatSPO, YAML},
		{"spo/json", `{"apiVersion":"security-profiles-operator.x-k8s.io/v1alpha1","kind":"SeccompProfile","spec":{"defaultAction":"SCMP_ACT_LOG"}}`, FormatSPO, JSON},
		// "{" starts a YAML flow mapping too; its keys need no quotes.
		{"oci/yaml-flow-unquoted-keys", `{"defaultAction": "SCMP_ACT_ERRNO", syscalls: []}`, FormatOCI, YAML},
		{"docker/yaml-flow-multiline", "{defaultAction: SCMP_ACT_ERRNO,\n syscalls: [{name: read, action: SCMP_ACT_ALLOW}]}\n", FormatDocker, YAML},
		// Empty documents are no second profile.
		{"oci/yaml-trailing-document", "defaultAction: SCMP_ACT_ERRNO\n---\n", FormatOCI, YAML},
		{"oci/yaml-leading-documents", "---\n---\n# the profile\ndefaultAction: SCMP_ACT_ERRNO\n---\n...\n", FormatOCI, YAML},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, "p", tc.in)
			if p.Format != tc.format || p.Encoding != tc.enc {
				t.Errorf("format %v/%v, want %v/%v", p.Format, p.Encoding, tc.format, tc.enc)
			}
		})
	}
}

// A file that says it is JSON, or text that is neither JSON nor YAML,
// gets the JSON error.
func TestJSONErrorKept(t *testing.T) {
	for _, c := range []struct{ file, in, want string }{
		{"p.json", `{"defaultAction": "SCMP_ACT_ERRNO", syscalls: []}`, `p.json:1:37: unexpected 's', expected a "quoted key"`},
		{"P.JSON", `{defaultAction: SCMP_ACT_ERRNO}`, `P.JSON:1:2: unexpected 'd', expected a "quoted key"`},
		{"<stdin>", "{\"defaultAction\": \"SCMP_ACT_ERRNO\"\n", `<stdin>:2:1: unexpected end of input, expected ',' or '}'`},
		{"p.yaml", `{"defaultAction": "SCMP_ACT_ERRNO", syscalls: [}`, `p.yaml:1:37: unexpected 's', expected a "quoted key"`},
	} {
		t.Run(c.file, func(t *testing.T) {
			_, err := Parse(c.file, []byte(c.in))
			if err == nil || err.Error() != c.want || !errors.Is(err, ErrSyntax) {
				t.Fatalf("err = %v, want %s", err, c.want)
			}
		})
	}
	// Well-formed YAML that is no valid profile: the profile's error, as YAML.
	_, err := Parse("p.yaml", []byte(`{defaultAction: SCMP_ACT_EROR}`))
	if err == nil || err.Error() != `p.yaml:1:17: defaultAction: unknown action "SCMP_ACT_EROR" (did you mean SCMP_ACT_ERRNO?)` {
		t.Fatalf("err = %v", err)
	}
}

func TestParseDockerDefault(t *testing.T) {
	p := mustParse(t, "default.json", string(dockerDefaultJSON(t)))
	if p.Format != FormatDocker {
		t.Errorf("format %v", p.Format)
	}
	// The model is exactly what moby builds.
	if !reflect.DeepEqual(p.Seccomp, defaultModel(t)) {
		t.Error("parsed model differs from seccomp.DefaultProfile()")
	}
	if len(p.Warnings) != 0 {
		t.Errorf("warnings on Docker's default: %v", p.Warnings)
	}
}

func TestPodmanErrnoNames(t *testing.T) {
	p := mustParse(t, "podman.json", `{
	"defaultAction": "SCMP_ACT_ERRNO",
	"defaultErrnoRet": 38,
	"defaultErrno": "ENOSYS",
	"syscalls": [
		{"names": ["bdflush"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "errno": "EPERM"},
		{"names": ["acct"], "action": "SCMP_ACT_ERRNO", "errno": "EACCES"},
		{"names": ["chroot"], "action": "SCMP_ACT_ERRNO", "errno": "95"},
		{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {}, "excludes": {}, "comment": ""}
	]
}`)
	if p.Format != FormatPodman {
		t.Errorf("format %v", p.Format)
	}
	s := p.Seccomp
	if s.DefaultErrnoRet == nil || *s.DefaultErrnoRet != 38 {
		t.Errorf("defaultErrnoRet %v, want 38", s.DefaultErrnoRet)
	}
	for i, want := range []uint{1, 13, 95} {
		if got := s.Syscalls[i].ErrnoRet; got == nil || *got != want {
			t.Errorf("syscalls[%d].errnoRet = %v, want %d", i, got, want)
		}
	}
	// Every name in Podman's list maps to a number, ENOTSUP is EOPNOTSUPP.
	if n, ok := ErrnoNumber("ENOTSUP"); !ok || n != 95 {
		t.Errorf("ENOTSUP = %d, %v", n, ok)
	}
	if len(ErrnoNames()) != 82 {
		t.Errorf("%d errno names, Podman's list has 82", len(ErrnoNames()))
	}
}

func TestSPO(t *testing.T) {
	in := `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: nginx
  namespace: web
  labels: {app: nginx}
spec:
  state: Enabled
  defaultAction: SCMP_ACT_ERRNO
  architectures:
  - SCMP_ARCH_NATIVE
  - SCMP_ARCH_X86
  flags: [SECCOMP_FILTER_FLAG_LOG]
  syscalls:
  - action: SCMP_ACT_ALLOW
    names: [read, write]
  - action: SCMP_ACT_ERRNO
    names: [mount]
    errnoRet: 0
  - action: SCMP_ACT_ERRNO
    names: [umount2]
    errnoRet: 13
    args:
    - index: 1
      value: 2
      op: SCMP_CMP_MASKED_EQ
      valueTwo: 2
status:
  status: Installed
`
	p := mustParse(t, "nginx.yaml", in)
	if p.Format != FormatSPO || p.Encoding != YAML {
		t.Fatalf("format %v/%v", p.Format, p.Encoding)
	}
	if p.SPO == nil || p.SPO.Name != "nginx" || p.SPO.Namespace != "web" || p.SPO.APIVersion != "security-profiles-operator.x-k8s.io/v1beta1" {
		t.Errorf("metadata %+v", p.SPO)
	}
	s := p.Seccomp
	want := []specs.Arch{"SCMP_ARCH_NATIVE", "SCMP_ARCH_X86"}
	if !reflect.DeepEqual(s.Architectures, want) {
		t.Errorf("architectures %v", s.Architectures)
	}
	if s.Syscalls[1].ErrnoRet != nil {
		t.Errorf("SPO errnoRet 0 must read as unset, got %d", *s.Syscalls[1].ErrnoRet)
	}
	if e := s.Syscalls[2].ErrnoRet; e == nil || *e != 13 {
		t.Errorf("errnoRet %v", e)
	}
	a := s.Syscalls[2].Args[0]
	if a != (specs.LinuxSeccompArg{Index: 1, Value: 2, ValueTwo: 2, Op: specs.OpMaskedEqual}) {
		t.Errorf("arg %+v", a)
	}
	if got := p.Where("syscalls[2].args[0].op"); got != "nginx.yaml:26:11" {
		t.Errorf("Where = %s", got)
	}
	if got := p.DocPath("syscalls[2]"); got != "spec.syscalls[2]" {
		t.Errorf("DocPath = %s", got)
	}
	// v1alpha1 had errnoRet as a string.
	p = mustParse(t, "old.yaml", "apiVersion: security-profiles-operator.x-k8s.io/v1alpha1\nkind: SeccompProfile\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n  - {action: SCMP_ACT_ERRNO, names: [mount], errnoRet: \"38\"}\n")
	if e := p.Seccomp.Syscalls[0].ErrnoRet; e == nil || *e != 38 {
		t.Errorf("v1alpha1 errnoRet %v", e)
	}
}

func TestOCIConfig(t *testing.T) {
	in := `{
	"ociVersion": "1.2.0",
	"process": {"args": ["sh"], "capabilities": {"bounding": ["CAP_KILL"]}},
	"root": {"path": "rootfs"},
	"unknownRuntimeField": {"anything": [1, 2, 3]},
	"linux": {
		"namespaces": [{"type": "pid"}],
		"seccomp": {
			"defaultAction": "SCMP_ACT_ERRNO",
			"defaultErrnoRet": 1,
			"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
			"syscalls": [
				{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
				{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}
			],
			"x-sysfence": {"allowRead": ["/etc"]}
		}
	}
}`
	p := mustParse(t, "config.json", in)
	if p.Format != FormatOCIConfig {
		t.Fatalf("format %v", p.Format)
	}
	if got := p.Where("syscalls[1].args[0]"); got != "config.json:14:69" {
		t.Errorf("Where = %s", got)
	}
	if got := p.DocPath("syscalls[1].args[0]"); got != "linux.seccomp.syscalls[1].args[0]" {
		t.Errorf("DocPath = %s", got)
	}
	if p.Ext == nil || !reflect.DeepEqual(p.Ext.AllowRead, []string{"/etc"}) {
		t.Errorf("extension %+v", p.Ext)
	}
	var spec specs.Spec
	if err := json.Unmarshal([]byte(in), &spec); err != nil {
		t.Fatal(err)
	}
	r, err := Resolve(p, Target{Arch: arch(t, "x86_64")})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.OCI, spec.Linux.Seccomp) {
		t.Errorf("resolved OCI differs from what runc reads:\n%+v\n%+v", r.OCI, spec.Linux.Seccomp)
	}
}

func TestExtension(t *testing.T) {
	p := mustParse(t, "p.json", `{"defaultAction": "SCMP_ACT_ALLOW",
	"x-sysfence": {"allowRead": ["/etc/hostname", "/usr"], "allowWrite": ["/tmp"], "allowExec": ["/bin/cat"], "allowBind": [4000], "allowConnect": [1, 65535]}}`)
	want := &Extension{AllowRead: []string{"/etc/hostname", "/usr"}, AllowWrite: []string{"/tmp"}, AllowExec: []string{"/bin/cat"}, AllowBind: []uint16{4000}, AllowConnect: []uint16{1, 65535}}
	if !reflect.DeepEqual(p.Ext, want) {
		t.Errorf("extension %+v", p.Ext)
	}
	// Docker's own decoder ignores the section.
	var s seccomp.Seccomp
	if err := json.Unmarshal([]byte(`{"defaultAction": "SCMP_ACT_ALLOW", "x-sysfence": {"allowBind": [1]}}`), &s); err != nil {
		t.Errorf("moby rejects the extension section: %v", err)
	}
}

func TestWarnings(t *testing.T) {
	p := mustParse(t, "p.json", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
  {"names": ["read", "opne"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["write"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}
]}`)
	var got []string
	for _, w := range p.Warnings {
		got = append(got, w.Error())
	}
	want := []string{
		`p.json:2:22: syscalls[0].names[1]: unknown syscall "opne" on every architecture (did you mean open?); runc skips it`,
		`p.json:3:64: syscalls[1].errnoRet: ignored: SCMP_ACT_ALLOW takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings\n got  %q\n want %q", got, want)
	}
}

// Fields Docker and runc accept and ignore: each gets a positioned warning.
func TestIgnoredFieldWarnings(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []string
	}{
		{"default-errno-on-kill", `{"defaultAction": "SCMP_ACT_KILL_PROCESS", "defaultErrnoRet": 38}`,
			[]string{`p.json:1:63: defaultErrnoRet: ignored: SCMP_ACT_KILL_PROCESS takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)`}},
		{"default-errno-name-on-allow", "defaultAction: SCMP_ACT_ALLOW\ndefaultErrno: ENOSYS\n",
			[]string{`p.json:2:15: defaultErrno: ignored: SCMP_ACT_ALLOW takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)`}},
		{"default-errno-on-errno", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38}`, nil},
		{"default-errno-on-trace", `{"defaultAction": "SCMP_ACT_TRACE", "defaultErrnoRet": 38}`, nil},
		{"value-two-on-eq", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "valueTwo": 7, "op": "SCMP_CMP_EQ"}]}]}`,
			[]string{`p.json:1:144: syscalls[0].args[0].valueTwo: ignored: only SCMP_CMP_MASKED_EQ uses valueTwo (libseccomp ignores it for SCMP_CMP_EQ)`}},
		{"value-two-zero-on-eq", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}]}`, nil},
		{"value-two-on-masked-eq", `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "valueTwo": 7, "op": "SCMP_CMP_MASKED_EQ"}]}]}`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := mustParse(t, "p.json", c.in)
			var got []string
			for _, w := range p.Warnings {
				got = append(got, w.Error())
				checkErrorPos(t, c.in, w)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("warnings\n got  %q\n want %q", got, c.want)
			}
		})
	}
}

func TestPositions(t *testing.T) {
	in := "{\n\t\"defaultAction\": \"SCMP_ACT_ERRNO\",\n\t\"syscalls\": [\n\t\t{\n\t\t\t\"names\": [\"read\", \"wrïte\", \"close\"],\n\t\t\t\"action\": \"SCMP_ACT_ALLOW\"\n\t\t}\n\t]\n}"
	p := mustParse(t, "p.json", in)
	for path, want := range map[string]Pos{
		"":                     {1, 1},
		"defaultAction":        {2, 19},
		"syscalls":             {3, 14},
		"syscalls[0]":          {4, 3},
		"syscalls[0].names[2]": {5, 31}, // counts "ï" as one character
		"syscalls[0].action":   {6, 14},
		"syscalls[1]":          {},
		"nope":                 {},
	} {
		if got := p.Pos(path); got != want {
			t.Errorf("Pos(%q) = %v, want %v", path, got, want)
		}
	}
	if got := p.KeyPos("syscalls[0].action"); got != (Pos{6, 4}) {
		t.Errorf("KeyPos = %v", got)
	}
	if got := p.EntryPos(0); got != (Pos{4, 3}) {
		t.Errorf("EntryPos = %v", got)
	}
	e := p.Errorf("syscalls[0].names[1]", "unknown syscall %q", "wrïte")
	if e.Error() != `p.json:5:22: syscalls[0].names[1]: unknown syscall "wrïte"` {
		t.Errorf("Errorf = %v", e)
	}
}

func TestBuiltinPositions(t *testing.T) {
	defaultModel(t)
	p, err := Builtin("docker-default")
	if err != nil {
		t.Fatal(err)
	}
	// Positions refer to moby's default.json text.
	lines := strings.Split(string(dockerDefaultJSON(t)), "\n")
	pos := p.Pos("syscalls[1]")
	if !pos.IsValid() || strings.TrimSpace(lines[pos.Line-1]) != "{" {
		t.Errorf("syscalls[1] at %v: %q", pos, lines[max(pos.Line-1, 0)])
	}
	pos = p.Pos("syscalls[1].names[0]")
	want := `"` + p.Seccomp.Syscalls[1].Names[0] + `"`
	if !pos.IsValid() || !strings.HasPrefix(lines[pos.Line-1][pos.Col-1:], want) {
		t.Errorf("syscalls[1].names[0] at %v, want %s", pos, want)
	}
}

func arch(t testing.TB, name string) *syscalls.Arch {
	t.Helper()
	a, err := syscalls.ArchByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestErrnoName: every number of Podman's list has a name, the one strace
// prints where two names share it, and names map back to their number.
func TestErrnoName(t *testing.T) {
	for _, name := range ErrnoNames() {
		n, _ := ErrnoNumber(name)
		got, ok := ErrnoName(n)
		if back, _ := ErrnoNumber(got); !ok || back != n {
			t.Errorf("ErrnoName(%d) = %q, %v; want a name of %d", n, got, ok, n)
		}
	}
	for n, want := range map[uint]string{1: "EPERM", 11: "EAGAIN", 35: "EDEADLK", 95: "EOPNOTSUPP", 38: "ENOSYS"} {
		if got, _ := ErrnoName(n); got != want {
			t.Errorf("ErrnoName(%d) = %q, want %q", n, got, want)
		}
	}
	if got, ok := ErrnoName(4096); ok {
		t.Errorf("ErrnoName(4096) = %q, want none", got)
	}
}
