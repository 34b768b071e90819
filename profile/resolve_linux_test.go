package profile

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// mobySpec is the container spec moby's setupSeccomp reads the bounding
// capability set from.
func mobySpec(caps []string) *specs.Spec {
	return &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
}

// TestResolveMatchesMoby compares Resolve with moby's own code on this
// machine (moby reads runtime.GOARCH and the running kernel, so only the
// machine's target can be compared): the OCI profiles must be identical.
func TestResolveMatchesMoby(t *testing.T) {
	target, err := DefaultTarget()
	if err != nil {
		t.Fatal(err)
	}
	profiles := map[string]string{
		"docker-default":      string(dockerDefaultJSON(t)),
		"conditional":         conditional,
		"architectures":       plainArchitectures,
		"moby-example":        `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "syscalls": [{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}, {"names": ["open"], "action": "SCMP_ACT_ALLOW", "args": []}, {"names": ["syslog"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4095}]}`,
		"old-format":          `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": [{"name": "accept", "action": "SCMP_ACT_ALLOW", "args": []}, {"name": "bind", "action": "SCMP_ACT_ALLOW", "args": null}]}`,
		"empty-archmap-entry": `{"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": []}, {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": []}], "syscalls": [{"names": ["kexec_load"], "action": "SCMP_ACT_KILL_PROCESS", "excludes": {}}]}`,
		"all-excluded":        `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_MAC_ADMIN"]}}]}`,
	}
	capSets := map[string][]string{
		"docker": DockerDefaultCaps(),
		"none":   {},
		"all":    capNames,
		"admin":  {"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_CHOWN", "CAP_KILL"},
	}
	for pname, text := range profiles {
		for cname, caps := range capSets {
			t.Run("profile="+pname+"/caps="+cname, func(t *testing.T) {
				want, err := seccomp.LoadProfile(text, mobySpec(caps))
				if err != nil {
					t.Fatal(err)
				}
				p := mustParse(t, pname, text)
				tg := target
				tg.Caps = caps
				r, err := Resolve(p, tg)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(r.OCI, want) {
					a, _ := json.Marshal(r.OCI)
					b, _ := json.Marshal(want)
					t.Errorf("differs from moby:\n ours %s\n moby %s", a, b)
				}
			})
		}
	}
	// The built-in profile resolves as moby's GetDefaultProfile.
	want, err := seccomp.GetDefaultProfile(mobySpec(DockerDefaultCaps()))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load("docker-default")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Resolve(p, target)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.OCI, want) {
		t.Error("docker-default differs from moby's GetDefaultProfile")
	}
}
