package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestMarshalDockerDefaultIsMobyDefaultJSON(t *testing.T) {
	defaultModel(t)
	p, err := Builtin("docker-default")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Marshal(p, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := append(dockerDefaultJSON(t), '\n')
	if !bytes.Equal(got, want) {
		t.Error("Docker JSON output differs from moby's default.json layout")
	}
}

// roundTrip writes p in a format and parses the result.
func roundTrip(t *testing.T, p *Profile, o WriteOptions) *Profile {
	t.Helper()
	out, err := Marshal(p, o)
	if err != nil {
		t.Fatalf("Marshal %+v: %v", o, err)
	}
	again, err := Marshal(p, o)
	if err != nil || !bytes.Equal(out, again) {
		t.Fatalf("Marshal is not deterministic")
	}
	q, err := Parse("out", out)
	if err != nil {
		t.Fatalf("parsing the %v/%v output: %v\n%s", o.Format, o.Encoding, err, out)
	}
	return q
}

func TestRoundTrip(t *testing.T) {
	sources := map[string]string{
		"docker-default": string(dockerDefaultJSON(t)),
		"conditional":    conditional,
		"extension": `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "architectures": ["SCMP_ARCH_X86_64"],
			"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "comment": "a <comment> & \"quotes\"\nover two lines"},
			             {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_NE"}]}],
			"x-sysfence": {"allowRead": ["/etc/hostname"], "allowBind": [4000]}}`,
		"yaml-tricky-strings": "defaultAction: SCMP_ACT_ERRNO\nlistenerPath: \"yes\"\nlistenerMetadata: \"123\"\nsyscalls:\n- names: [\"on\", \"null\", \"true\"]\n  action: SCMP_ACT_ALLOW\n",
	}
	for name, src := range sources {
		p := mustParse(t, name, src)
		for _, enc := range []Encoding{JSON, YAML} {
			t.Run("profile="+name+"/format=docker/enc="+enc.String(), func(t *testing.T) {
				q := roundTrip(t, p, WriteOptions{Format: FormatDocker, Encoding: enc})
				if !sameJSON(q.Seccomp, p.Seccomp) || !reflect.DeepEqual(q.Ext, p.Ext) {
					a, _ := json.Marshal(q.Seccomp)
					b, _ := json.Marshal(p.Seccomp)
					t.Errorf("model changed:\n %s\n %s", a, b)
				}
			})
		}
	}
}

func TestWriteOCIAndSPO(t *testing.T) {
	p := mustParse(t, "My Profile.json", conditional)
	// Docker conditions cannot be written as OCI or SPO...
	for _, f := range []Format{FormatOCI, FormatOCIConfig, FormatSPO} {
		_, err := Marshal(p, WriteOptions{Format: f})
		if !errors.Is(err, ErrNotRepresentable) {
			t.Errorf("%v: error %v, want ErrNotRepresentable", f, err)
		}
	}
	_, err := Marshal(p, WriteOptions{Format: FormatOCI})
	if want := `My Profile.json:4:13: archMap: cannot be written as oci: it is a Docker condition; resolve the profile for a target first`; err == nil || err.Error() != want {
		t.Errorf("error\n got  %v\n want %s", err, want)
	}
	// ...but the resolved profile can, and reads back to the same OCI.
	r, err := Resolve(p, Target{Arch: arch(t, "x86_64"), Caps: DockerDefaultCaps(), Kernel: KernelVersion{6, 1}})
	if err != nil {
		t.Fatal(err)
	}
	rp := r.AsProfile()
	for _, o := range []WriteOptions{
		{Format: FormatOCI}, {Format: FormatOCI, Encoding: YAML},
		{Format: FormatOCIConfig}, {Format: FormatOCIConfig, Encoding: YAML},
		{Format: FormatSPO}, {Format: FormatSPO, Encoding: JSON},
	} {
		t.Run("format="+o.Format.String()+"/enc="+o.Encoding.String(), func(t *testing.T) {
			q := roundTrip(t, rp, o)
			if q.Format != o.Format {
				t.Errorf("wrote %v, read back %v", o.Format, q.Format)
			}
			r2, err := Resolve(q, r.Target)
			if err != nil {
				t.Fatal(err)
			}
			want := *r.OCI
			if o.Format == FormatSPO {
				want.DefaultErrnoRet = nil // SPO has none; 1 is runc's default
			}
			if !sameJSON(r2.OCI, &want) {
				a, _ := json.Marshal(r2.OCI)
				b, _ := json.Marshal(&want)
				t.Errorf("OCI changed:\n %s\n %s", a, b)
			}
		})
	}
	// The config fragment is what runc reads.
	out, err := Marshal(rp, WriteOptions{Format: FormatOCIConfig})
	if err != nil {
		t.Fatal(err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(out, &spec); err != nil || !sameJSON(spec.Linux.Seccomp, r.OCI) {
		t.Errorf("config.json fragment reads differently in runtime-spec types: %v", err)
	}
}

func TestWriteSPODocument(t *testing.T) {
	p := mustParse(t, "/tmp/Nginx Profile.json", `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
		"syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "seen 12 times"},
		             {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}]}`)
	out, err := Marshal(p, WriteOptions{Format: FormatSPO, Namespace: "web"})
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: nginx-profile
  namespace: web
spec:
  defaultAction: SCMP_ACT_ERRNO
  architectures:
    - SCMP_ARCH_X86_64
  syscalls:
    # seen 12 times
    - names:
        - read
        - write
      action: SCMP_ACT_ALLOW
    - names:
        - socket
      action: SCMP_ACT_ALLOW
      args:
        - index: 0
          value: 0
          op: SCMP_CMP_EQ
`
	if string(out) != want {
		t.Errorf("SPO output\n%s\nwant\n%s", out, want)
	}
	// What cannot be said in a SeccompProfile is refused.
	for name, src := range map[string]string{
		"extension":       `{"defaultAction": "SCMP_ACT_ERRNO", "x-sysfence": {"allowBind": [1]}}`,
		"default-errno":   `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38}`,
		"errno-zero":      `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0}]}`,
		"value-int64":     `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 9223372036854775808, "op": "SCMP_CMP_EQ"}]}]}`,
		"arch-not-in-api": `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_LOONGARCH64"]}`,
	} {
		p := mustParse(t, name, src)
		if _, err := Marshal(p, WriteOptions{Format: FormatSPO}); !errors.Is(err, ErrNotRepresentable) {
			t.Errorf("%s: error %v, want ErrNotRepresentable", name, err)
		}
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	want := defaultModel(t)
	p, _ := Builtin("docker-default")
	if err := WriteFile(path, p, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	q, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(q.Seccomp, want) {
		t.Error("written profile reads back differently")
	}
	// A failed write leaves the old file and no temporary file.
	bad := mustParse(t, "x", `{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}`)
	if err := WriteFile(path, bad, WriteOptions{Format: FormatOCI}); err == nil {
		t.Fatal("writing an unrepresentable profile succeeded")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %v", ents)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("defaultAction: SCMP_ACT_ALLOW\n"), 0o644)
	if p, err := Load(good); err != nil || p.File != good || p.Encoding != YAML {
		t.Errorf("Load(file) = %+v, %v", p, err)
	}
	// Standard input is the caller's to read: a library never takes it.
	if _, err := Load("-"); err == nil || !strings.Contains(err.Error(), "standard input is read by the caller") {
		t.Errorf(`Load("-") = %v`, err)
	}
	if dockerDefault == nil {
		return // the rest needs the built-in profile
	}
	for ref, want := range map[string]string{
		"docker-defualt":   `unknown profile "docker-defualt": no such file, and not a built-in profile (did you mean docker-default?); built-in profiles: docker-default`,
		dir + "/none.json": `reading profile ` + dir + `/none.json: no such file or directory`,
		dir:                `reading profile ` + dir + `: is a directory`,
	} {
		_, err := Load(ref)
		if err == nil || err.Error() != want {
			t.Errorf("Load(%q) error\n got  %v\n want %s", ref, err, want)
		}
	}
	if _, err := Load("docker-defualt"); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := Builtin("nope"); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("Builtin(nope): %v", err)
	}
	if got := Builtins(); dockerDefault != nil && !reflect.DeepEqual(got, []string{"docker-default"}) {
		t.Errorf("Builtins = %v", got)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"docker": FormatDocker, "OCI": FormatOCI, "oci-config": FormatOCIConfig, "k8s": FormatSPO, "spo": FormatSPO, "podman": FormatPodman} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("dokcer"); err == nil || !strings.Contains(err.Error(), "did you mean docker?") {
		t.Errorf("ParseFormat(dokcer): %v", err)
	}
}

// sameJSON compares two models by their JSON form: a write and read
// cannot tell an empty list from an absent one ("args": [] is omitted),
// and neither can Docker or runc.
func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

func TestValidateGenerated(t *testing.T) {
	s := &seccomp.Seccomp{}
	s.DefaultAction = specs.ActErrno
	s.Syscalls = []*seccomp.Syscall{
		{LinuxSyscall: specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActAllow}},
		{LinuxSyscall: specs.LinuxSyscall{Names: []string{"socket"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 7, Op: specs.OpEqualTo}}}},
	}
	p := New(s, nil)
	if p.Format != FormatOCI {
		t.Errorf("format %v", p.Format)
	}
	_, err := Validate(p)
	if err == nil || !strings.Contains(err.Error(), "syscalls[1].args[0].index: argument index 7 is out of range 0..5") {
		t.Errorf("Validate: %v", err)
	}
	s.Syscalls[1].Args[0].Index = 0
	s.Syscalls[0].Names = []string{"raed"}
	warns, err := Validate(p)
	if err != nil || len(warns) != 1 || !strings.Contains(warns[0].Msg, `unknown syscall "raed"`) {
		t.Errorf("Validate = %v, %v", warns, err)
	}
}
