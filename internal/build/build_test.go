package build

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	seccomp "github.com/moby/profiles/seccomp"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// An entry dropped by resolution shifts OCI indexes; reports must still
// name the profile's own entry and position.
const shifted = `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]},
    {"names": ["read"], "action": "SCMP_ACT_NOTIFY"}
  ]
}
`

func amd64(t testing.TB) *syscalls.Arch {
	a, err := syscalls.ArchByName("x86_64")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestExplainNamesProfileEntry(t *testing.T) {
	p, err := profile.Parse("p.json", []byte(shifted))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Build(Request{Profile: p, Arch: amd64(t), NoENOSYS: true})
	if err != nil {
		t.Fatal(err)
	}
	args := [6]uint64{1}
	e := res.Explain(res.Policy.Decide(amd64(t).AuditArch, 1, &args))
	if e.Kind != "rule" || e.Entry != 1 || e.Where != "p.json:5:5" || e.Rule != "write: ALLOW if args[0] == 0x1" {
		t.Errorf("explanation %+v", e)
	}
	args[0] = 2
	e = res.Explain(res.Policy.Decide(amd64(t).AuditArch, 1, &args))
	if e.Kind != "default" || e.Action != "ERRNO(1)" {
		t.Errorf("explanation %+v", e)
	}
	mount, _ := amd64(t).Number("mount")
	if d := res.Policy.Decide(amd64(t).AuditArch, mount, &args); d.Why != policy.WhyDefault {
		t.Errorf("mount without CAP_SYS_ADMIN decided by %+v", d)
	}
}

// Profiles built in Go are not validated by the parser; the policy
// layer's errors must still name the profile's entry, not the index in
// the resolved OCI list.
func TestPolicyErrorsPointAtProfileEntry(t *testing.T) {
	var s seccomp.Seccomp
	if err := json.Unmarshal([]byte(strings.Replace(shifted, `["read"]`, `["write"]`, 1)), &s); err != nil {
		t.Fatal(err)
	}
	_, err := Build(Request{Profile: profile.New(&s, nil), Arch: amd64(t)})
	var pe *profile.ParseError
	if !errors.As(err, &pe) || pe.Path != "syscalls[2].names[0]" || !errors.Is(err, profile.ErrInvalidProfile) {
		t.Fatalf("error %v (%T), want a *profile.ParseError at syscalls[2] (resolved index 1)", err, err)
	}
}

func TestStrict(t *testing.T) {
	p, err := profile.Parse("p.json", []byte(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["arm_fadvise64_64"],"action":"SCMP_ACT_ALLOW"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Build(Request{Profile: p, Arch: amd64(t)})
	if err != nil || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].String(), `"arm_fadvise64_64" does not exist on x86_64`) {
		t.Fatalf("warnings %q, err %v", res.Warnings, err)
	}
	if _, err := Build(Request{Profile: p, Arch: amd64(t), Strict: true}); err == nil {
		t.Fatal("--strict accepted a name unknown on the target")
	}
}

// libseccomp refuses architectures of the other byte order than the
// native one; the error names the profile's own field and position.
func TestMixedByteOrders(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
	}{
		{"architectures", `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_S390X","SCMP_ARCH_PPC64"],"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}`,
			`p.json:1:52: architectures[0]: SCMP_ARCH_S390X is big-endian but the filter's native architecture x86_64 is little-endian; libseccomp (and so runc) refuses to mix byte orders in one filter`},
		{"native-dropped", `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_NATIVE","SCMP_ARCH_X86_64","SCMP_ARCH_PPC"]}`,
			`p.json:1:90: architectures[2]: SCMP_ARCH_PPC is big-endian`},
		{"archMap", "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":[\n {\"architecture\":\"SCMP_ARCH_X86_64\",\"subArchitectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_S390\"]}]}",
			`p.json:2:73: archMap[0].subArchitectures[1]: SCMP_ARCH_S390 is big-endian`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := profile.Parse("p.json", []byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Build(Request{Profile: p, Arch: amd64(t)})
			if !errors.Is(err, policy.ErrByteOrder) || !errors.Is(err, profile.ErrInvalidProfile) || !strings.HasPrefix(fmt.Sprint(err), c.want) {
				t.Fatalf("err = %v\nwant %s...", err, c.want)
			}
		})
	}
}
