package build

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	seccomp "github.com/moby/profiles/seccomp"

	"github.com/sysfence/sysfence/bpf"
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

// A name that some architecture has is skipped where the filter lacks
// it, silently and under Strict too (Verbose lists it); a name that no
// architecture has is the profile's warning, and an error under Strict.
func TestStrict(t *testing.T) {
	for _, c := range []struct {
		name, in string
		warn     string // the one warning without Strict, "" for none
		verbose  string // the one line Verbose adds, "" for none
		err      string // the error under Strict, "" to accept
	}{
		{"arch=x86_64/alone/other-arch-call", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","arm_fadvise64_64"],"action":"SCMP_ACT_ALLOW"}]}`,
			"", `syscalls[0] (p.json:1:47): syscall "arm_fadvise64_64" does not exist on x86_64; skipped as runc does`, ""},
		{"arch=x86_64+x86+x32/32-bit-only-call", `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"],"syscalls":[{"names":["read","chown32"],"action":"SCMP_ACT_ALLOW"}]}`,
			"", `syscalls[0] (p.json:1:97): syscall "chown32" does not exist on x86_64, x32; skipped as runc does`, ""},
		{"arch=x86_64+x86+x32/docker-name", `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"],"syscalls":[{"name":"riscv_hwprobe","action":"SCMP_ACT_ALLOW"}]}`,
			"", `syscalls[0] (p.json:1:97): syscall "riscv_hwprobe" does not exist on x86_64, x86, x32; skipped as runc does`, ""},
		{"arch=x86_64/typo", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","opnat"],"action":"SCMP_ACT_ALLOW"}]}`,
			`p.json:1:64: syscalls[0].names[1]: unknown syscall "opnat" on every architecture (did you mean openat?); runc skips it`, "",
			`refused under --strict: p.json:1:64: syscalls[0].names[1]: unknown syscall "opnat" on every architecture (did you mean openat?); runc skips it`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := profile.Parse("p.json", []byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			for _, verbose := range []bool{false, true} {
				res, err := Build(Request{Profile: p, Arch: amd64(t), Verbose: verbose})
				if err != nil {
					t.Fatal(err)
				}
				var got, want []string
				for _, w := range res.Warnings {
					got = append(got, w.String())
				}
				for _, w := range []string{c.warn, c.verbose} {
					if w != "" && (verbose || w == c.warn) {
						want = append(want, w)
					}
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("verbose=%v: warnings %q, want %q", verbose, got, want)
				}
			}
			_, err = Build(Request{Profile: p, Arch: amd64(t), Strict: true})
			if c.err == "" {
				if err != nil {
					t.Fatalf("strict: %v", err)
				}
				return
			}
			if err == nil || err.Error() != c.err || !errors.Is(err, ErrStrict) {
				t.Fatalf("strict: err = %v\nwant %s", err, c.err)
			}
		})
	}
}

// Docker's default names the calls of every architecture; --strict must
// not refuse it on any target, built in or read from moby's default.json
// (then its names are not known to be a built-in's), and no warning is
// printed.
func TestStrictDockerDefault(t *testing.T) {
	def, err := profile.Builtin("docker-default")
	if err != nil {
		t.Fatal(err)
	}
	data, err := profile.Marshal(def, profile.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	file, err := profile.Parse("default.json", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range syscalls.Arches() {
		for _, req := range []Request{{Ref: "docker-default"}, {Profile: file}} {
			name := "arch=" + a.Name + "/profile=" + req.Ref
			if req.Profile != nil {
				name += "file"
			}
			t.Run(name, func(t *testing.T) {
				req.Arch, req.Strict, req.Kernel = a, true, &profile.KernelVersion{Major: 6, Minor: 8}
				res, err := Build(req)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Warnings) != 0 {
					t.Errorf("warnings %v", res.Warnings)
				}
			})
		}
	}
}

// A profile without archMap compiled for x86_64 names many calls of other
// architectures: none is a warning; -v lists each with its position.
func TestSkippedNamesVerbose(t *testing.T) {
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
	res, err := Build(Request{Profile: p, Arch: amd64(t), Kernel: k, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 0 {
		t.Fatalf("%d warnings, want none: %v", len(res.Warnings), res.Warnings)
	}
	res, err = Build(Request{Profile: p, Arch: amd64(t), Kernel: k, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	each := regexp.MustCompile(`^syscalls\[\d+\] \(profile\.json:\d+:\d+\): syscall "(\w+)" does not exist on x86_64; skipped as runc does$`)
	var names []string
	for _, w := range res.Warnings {
		m := each.FindStringSubmatch(w.String())
		if m == nil {
			t.Errorf("verbose line %q", w.String())
			continue
		}
		names = append(names, m[1])
	}
	if len(names) < 20 || names[0] != "chown32" || !slices.Contains(names, "riscv_hwprobe") {
		t.Errorf("verbose lists %d names: %v", len(names), names)
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

// The resolver names standard input one way, reads it only from the
// reader it is given, and tells raw filters from profiles by content.
func TestResolveInputs(t *testing.T) {
	prof := `{"defaultAction": "SCMP_ACT_LGO"}`
	_, err := Resolve(Request{Ref: "-", Stdin: strings.NewReader(prof)}, Any, false)
	if err == nil || !strings.HasPrefix(err.Error(), "standard input:1:19: defaultAction: unknown action") {
		t.Errorf("stdin profile: %v", err)
	}
	if _, err := Resolve(Request{Ref: "-"}, Any, false); !errors.Is(err, ErrNoStdin) {
		t.Errorf("no reader: %v", err)
	}
	in, err := Resolve(Request{Ref: "-", Stdin: strings.NewReader(`{"defaultAction": "SCMP_ACT_ALLOW"}`)}, Any, false)
	if err != nil || in.Name != StdinName || in.Result == nil || len(in.Program) == 0 {
		t.Fatalf("profile on stdin: %+v, %v", in, err)
	}
	raw := in.Program.Encode(binary.NativeEndian)
	got, err := Resolve(Request{Ref: "-", Stdin: bytes.NewReader(raw)}, Any, false)
	if err != nil || got.Result != nil || len(got.Program) != len(in.Program) {
		t.Errorf("raw filter on stdin: %+v, %v", got, err)
	}
	bad := bpf.Program{bpf.LoadAbs(bpf.OffNr)}.Encode(binary.NativeEndian) // falls off its end
	if _, err := Resolve(Request{Ref: "-", Stdin: bytes.NewReader(bad)}, FilterInput, false); err == nil || !strings.Contains(err.Error(), "not a seccomp filter the kernel would load") {
		t.Errorf("invalid filter: %v", err)
	}
	if got, err := Resolve(Request{Ref: "-", Stdin: bytes.NewReader(bad)}, FilterInput, true); err != nil || got.Invalid == nil {
		t.Errorf("invalid filter, forced: %+v, %v", got, err)
	}
	if _, err := Resolve(Request{Ref: "docker-defualt"}, Any, false); !errors.Is(err, profile.ErrUnknownProfile) {
		t.Errorf("misspelled built-in: %v", err)
	}
}
