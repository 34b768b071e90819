package profile

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// conditional is a hand-written profile exercising every condition moby
// evaluates.
const conditional = `{
	"defaultAction": "SCMP_ACT_ERRNO",
	"defaultErrnoRet": 1,
	"archMap": [
		{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
		{"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
		{"architecture": "SCMP_ARCH_RISCV64", "subArchitectures": null}
	],
	"flags": ["SECCOMP_FILTER_FLAG_LOG"],
	"listenerPath": "/run/agent.sock",
	"listenerMetadata": "meta",
	"syscalls": [
		{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "args": []},
		{"name": "close", "action": "SCMP_ACT_ALLOW", "comment": "old style"},
		{"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_PTRACE"]}},
		{"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN", "CAP_KILL"]}},
		{"names": ["umount2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "excludes": {"caps": ["CAP_SYS_ADMIN", "CAP_KILL"]}},
		{"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
		{"names": ["arm_fadvise64_64"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm", "arm64"]}},
		{"names": ["modify_ldt"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}},
		{"names": ["io_uring_setup"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "5.1"}},
		{"names": ["futex_waitv"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "99.1"}},
		{"names": ["uselib"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "4.8"}},
		{"names": ["sysfs"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "99.0"}},
		{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 131072, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
		{"names": ["clone"], "action": "SCMP_ACT_TRACE", "errnoRet": 7, "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
		 "includes": {"caps": ["CAP_CHOWN"], "arches": ["amd64", "arm64"], "minKernel": "3.2"}, "excludes": {"caps": ["CAP_BPF"]}}
	]
}`

// plainArchitectures uses "architectures" instead of archMap.
const plainArchitectures = `{
	"defaultAction": "SCMP_ACT_KILL_PROCESS",
	"architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X86_64"],
	"syscalls": [
		{"names": ["read"], "action": "SCMP_ACT_LOG"},
		{"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["x86"]}}
	]
}`

func TestResolveOtherTargets(t *testing.T) {
	p := mustParse(t, "c.json", conditional)
	names := func(r *Resolved) []string {
		var out []string
		for _, s := range r.OCI.Syscalls {
			out = append(out, s.Names...)
		}
		return out
	}
	cases := []struct {
		name   string
		target Target
		arches []specs.Arch
		want   []string
	}{
		{"arch=x86_64/caps=none/kernel=5.10", Target{Arch: arch(t, "x86_64"), Caps: []string{}, Kernel: KernelVersion{5, 10}},
			[]specs.Arch{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"},
			[]string{"read", "write", "close", "umount2", "arch_prctl", "io_uring_setup", "sysfs", "personality"}},
		{"arch=aarch64/caps=docker/kernel=4.7", Target{Arch: arch(t, "aarch64"), Caps: DockerDefaultCaps(), Kernel: KernelVersion{4, 7}},
			[]specs.Arch{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"},
			// umount2 is excluded by CAP_KILL (any excluded cap drops it).
			[]string{"read", "write", "close", "arm_fadvise64_64", "modify_ldt", "uselib", "sysfs", "personality", "clone"}},
		{"arch=riscv64/caps=all/kernel=4.8", Target{Arch: arch(t, "riscv64"), Caps: capNames, Kernel: KernelVersion{4, 8}},
			[]specs.Arch{"SCMP_ARCH_RISCV64"},
			[]string{"read", "write", "close", "ptrace", "mount", "modify_ldt", "sysfs", "personality"}},
		{"arch=x86/caps=SYS_ADMIN/kernel=99.1", Target{Arch: arch(t, "x86"), Caps: []string{"CAP_SYS_ADMIN"}, Kernel: KernelVersion{99, 1}},
			nil, // no archMap entry for x86
			[]string{"read", "write", "close", "modify_ldt", "io_uring_setup", "futex_waitv", "personality"}},
		{"arch=s390x/caps=CHOWN/kernel=3.1", Target{Arch: arch(t, "s390x"), Caps: []string{"CAP_CHOWN"}, Kernel: KernelVersion{3, 1}},
			nil,
			[]string{"read", "write", "close", "umount2", "modify_ldt", "uselib", "sysfs", "personality"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Resolve(p, tc.target)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.OCI.Architectures, tc.arches) {
				t.Errorf("architectures %v, want %v", r.OCI.Architectures, tc.arches)
			}
			if got := names(r); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("syscalls\n got  %v\n want %v", got, tc.want)
			}
			for i, e := range r.Entry {
				src := p.Seccomp.Syscalls[e]
				want := src.Names
				if src.Name != "" {
					want = []string{src.Name}
				}
				if !reflect.DeepEqual(r.OCI.Syscalls[i].Names, want) {
					t.Errorf("Entry[%d]=%d names %v, OCI has %v", i, e, want, r.OCI.Syscalls[i].Names)
				}
			}
		})
	}
	// The profile is not modified by resolving.
	if p.Seccomp.Syscalls[1].Names != nil || p.Seccomp.Architectures != nil {
		t.Error("Resolve modified the profile")
	}
}

func TestResolveUnknownKernel(t *testing.T) {
	p := mustParse(t, "c.json", conditional)
	_, err := Resolve(p, Target{Arch: arch(t, "x86_64")})
	if !errors.Is(err, ErrResolve) || !errors.Is(err, ErrInvalidProfile) {
		t.Fatalf("error %v", err)
	}
	want := `c.json:21:87: syscalls[8].includes.minKernel: cannot resolve profile: the entry depends on the kernel version and the target kernel is unknown (give --kernel)`
	if err.Error() != want {
		t.Errorf("error\n got  %v\n want %s", err, want)
	}
	// Without minKernel conditions the kernel is not needed.
	q := mustParse(t, "a.json", plainArchitectures)
	r, err := Resolve(q, Target{Arch: arch(t, "x86")})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.OCI.Syscalls) != 1 || !reflect.DeepEqual(r.OCI.Architectures, []specs.Arch{"SCMP_ARCH_X86", "SCMP_ARCH_X86_64"}) {
		t.Errorf("resolved %+v", r.OCI)
	}
	if _, err := Resolve(q, Target{}); !errors.Is(err, ErrResolve) {
		t.Errorf("no arch: %v", err)
	}
}

func TestResolveNative(t *testing.T) {
	p := mustParse(t, "podman.json", `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_NATIVE", "SCMP_ARCH_X86"]}`)
	r, err := Resolve(p, Target{Arch: arch(t, "x86_64")})
	if err != nil {
		t.Fatal(err)
	}
	if want := []specs.Arch{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}; !reflect.DeepEqual(r.OCI.Architectures, want) {
		t.Errorf("architectures %v, want %v", r.OCI.Architectures, want)
	}
}

func TestParseCaps(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  string
	}{
		{"", []string{}, ""},
		{"CAP_SYS_ADMIN", []string{"CAP_SYS_ADMIN"}, ""},
		{"sys_admin, NET_RAW,cap_kill", []string{"CAP_KILL", "CAP_NET_RAW", "CAP_SYS_ADMIN"}, ""},
		{"default,sys_admin,-net_raw", nil, ""},
		{"all,-sys_admin", nil, ""},
		{"sys_admn", nil, `unknown capability "sys_admn" (item 1 of --cap) (did you mean CAP_SYS_ADMIN?)`},
		{"kill,,chown", nil, `unknown capability: item 2 of "kill,,chown" is empty`},
	}
	for _, tc := range cases {
		got, err := ParseCaps(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || !errors.Is(err, ErrUnknownCapability) {
				t.Errorf("ParseCaps(%q) error %v, want %s", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseCaps(%q): %v", tc.in, err)
			continue
		}
		if tc.want != nil && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseCaps(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	d, _ := ParseCaps("default,sys_admin,-net_raw")
	if len(d) != len(DockerDefaultCaps()) || !slices.Contains(d, "CAP_SYS_ADMIN") || slices.Contains(d, "CAP_NET_RAW") {
		t.Errorf("default,sys_admin,-net_raw = %v", d)
	}
	a, _ := ParseCaps("all,-sys_admin")
	if len(a) != len(capNames)-1 || slices.Contains(a, "CAP_SYS_ADMIN") {
		t.Errorf("all,-sys_admin = %v", a)
	}
}

func TestParseKernel(t *testing.T) {
	cases := []struct {
		in   string
		want KernelVersion
		ok   bool
	}{
		{"5.10", KernelVersion{5, 10}, true},
		{"6.8.0-45-generic", KernelVersion{6, 8}, true},
		{"3.12-1-amd64", KernelVersion{3, 12}, true},
		{"4.19+", KernelVersion{4, 19}, true},
		// uname -r of other distributions: only the leading X.Y counts,
		// as in moby's parseRelease.
		{"6.18.44-fc", KernelVersion{6, 18}, true},
		{"6.18.44-fc-v669\n", KernelVersion{6, 18}, true},
		{"6.18fc", KernelVersion{6, 18}, true},
		{"5.10x", KernelVersion{5, 10}, true},
		{"6.1-rc7", KernelVersion{6, 1}, true},
		{"2.6.32-754.el6.x86_64", KernelVersion{2, 6}, true},
		{"5", KernelVersion{}, false},
		{"5.", KernelVersion{}, false},
		{"5.x", KernelVersion{}, false},
		{".10", KernelVersion{}, false},
		{"0.0", KernelVersion{}, false},
		{"", KernelVersion{}, false},
		{"v5.10", KernelVersion{}, false},
		{"-5.10", KernelVersion{}, false},
	}
	for _, tc := range cases {
		got, err := ParseKernel(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ParseKernel(%q) = %v, %v", tc.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrInvalidKernel) {
			t.Errorf("ParseKernel(%q) error %v is not ErrInvalidKernel", tc.in, err)
		}
	}
	if !(KernelVersion{5, 10}).AtLeast(5, 10) || (KernelVersion{5, 9}).AtLeast(5, 10) || !(KernelVersion{6, 0}).AtLeast(5, 10) {
		t.Error("AtLeast")
	}
}
