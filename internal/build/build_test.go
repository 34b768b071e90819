package build

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
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
	for _, c := range []struct {
		name, in string
		warn     string // the one warning without Strict, "" for none
		err      string // the error under Strict, "" to accept
	}{
		{"arch=x86_64/alone/other-arch-call", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","arm_fadvise64_64"],"action":"SCMP_ACT_ALLOW"}]}`,
			`syscalls[0] (p.json:1:47): syscall "arm_fadvise64_64" does not exist on x86_64; skipped as runc does`,
			`refused under --strict: p.json:1:64: syscalls[0].names[1]: unknown syscall "arm_fadvise64_64" on x86_64 (runc would skip it)`},
		{"arch=x86_64+x86+x32/32-bit-only-call", `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"],"syscalls":[{"names":["read","chown32"],"action":"SCMP_ACT_ALLOW"}]}`,
			"", ""},
		{"arch=x86_64+x86+x32/docker-name", `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"],"syscalls":[{"name":"riscv_hwprobe","action":"SCMP_ACT_ALLOW"}]}`,
			`syscalls[0] (p.json:1:97): syscall "riscv_hwprobe" does not exist on x86_64, x86, x32; skipped as runc does`,
			`refused under --strict: p.json:1:105: syscalls[0].name: unknown syscall "riscv_hwprobe" on any of x86_64, x86, x32 (runc would skip it)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := profile.Parse("p.json", []byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Build(Request{Profile: p, Arch: amd64(t)})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range res.Warnings {
				got = append(got, w.String())
			}
			if (c.warn == "" && len(got) != 0) || (c.warn != "" && (len(got) != 1 || got[0] != c.warn)) {
				t.Errorf("warnings %q, want %q", got, c.warn)
			}
			_, err = Build(Request{Profile: p, Arch: amd64(t), Strict: true})
			if c.err == "" {
				if err != nil {
					t.Fatalf("strict: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), c.err) || !errors.Is(err, ErrStrict) || !errors.Is(err, policy.ErrUnknownSyscall) {
				t.Fatalf("strict: err = %v\nwant %s...", err, c.err)
			}
		})
	}
}

// Docker's default names the calls of every architecture; --strict must
// not refuse it on any target.
func TestStrictDockerDefault(t *testing.T) {
	for _, a := range syscalls.Arches() {
		t.Run("arch="+a.Name, func(t *testing.T) {
			res, err := Build(Request{Ref: "docker-default", Arch: a, Strict: true, Kernel: &profile.KernelVersion{Major: 6, Minor: 8}})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Warnings) != 0 {
				t.Errorf("warnings %v", res.Warnings)
			}
		})
	}
}

// A profile without archMap compiled for x86_64 names many calls of other
// architectures: one line sums them up; -v lists each with its position.
func TestSkippedNamesSummary(t *testing.T) {
	def, err := profile.Builtin("docker-default")
	if err != nil {
		t.Fatal(err)
	}
	s := *def.Seccomp
	s.ArchMap = nil
	data, err := profile.Marshal(profile.New(&s, nil), profile.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := profile.Parse("profile.json", data)
	if err != nil {
		t.Fatal(err)
	}
	k := &profile.KernelVersion{Major: 6, Minor: 8}
	res, err := Build(Request{Profile: p, Arch: amd64(t), Kernel: k})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 {
		t.Fatalf("%d warnings, want 1: %v", len(res.Warnings), res.Warnings)
	}
	line := res.Warnings[0].String()
	t.Log(line)
	re := regexp.MustCompile(`^profile\.json: (\d+) syscall names do not exist on x86_64 \(((?:\w+, ){10})and (\d+) more\); skipped as runc does \(-v lists each\)$`)
	m := re.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("summary %q", line)
	}
	total, _ := strconv.Atoi(m[1])
	more, _ := strconv.Atoi(m[3])
	if total != more+10 || !strings.HasPrefix(m[2], "chown32, ") {
		t.Errorf("summary %q", line)
	}

	res, err = Build(Request{Profile: p, Arch: amd64(t), Kernel: k, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	each := regexp.MustCompile(`^syscalls\[\d+\] \(profile\.json:\d+:\d+\): syscall "\w+" does not exist on x86_64; skipped as runc does$`)
	if len(res.Warnings) != total {
		t.Errorf("verbose: %d warnings, want %d", len(res.Warnings), total)
	}
	for _, w := range res.Warnings {
		if !each.MatchString(w.String()) {
			t.Errorf("verbose line %q", w.String())
		}
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
