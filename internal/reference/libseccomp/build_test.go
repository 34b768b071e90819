//go:build libseccomp

package libseccomp

import (
	"errors"
	"testing"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/syscalls"
)

func run(t *testing.T, p bpf.Program, a *syscalls.Arch, name string, args ...uint64) uint32 {
	t.Helper()
	nr, ok := a.Number(name)
	if !ok {
		t.Fatalf("%s has no %s", a.Name, name)
	}
	d := bpf.Data{Nr: nr, Arch: a.AuditArch}
	copy(d.Args[:], args)
	r, err := bpf.Run(p, &d, a.BigEndian, false)
	if err != nil {
		t.Fatal(err)
	}
	return r.Ret
}

func dockerDefault(t *testing.T) *specs.LinuxSeccomp {
	t.Helper()
	rs := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{}}}
	oci, err := mobyseccomp.GetDefaultProfile(rs)
	if err != nil {
		t.Fatal(err)
	}
	return oci
}

func TestBuildDockerDefault(t *testing.T) {
	oci := dockerDefault(t)
	x86_64, _ := syscalls.ArchByName("x86_64")
	x86, _ := syscalls.ArchByName("x86")
	x32, _ := syscalls.ArchByName("x32")
	for _, tree := range []Tree{TreeOff, TreeOn} {
		for _, enosys := range []bool{false, true} {
			p, err := Build(oci, x86_64, Options{Tree: tree, ENOSYS: enosys})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("tree=%v enosys=%v: %d instructions", tree, enosys, len(p))
			const allow, eperm = 0x7fff0000, 0x50001
			for _, c := range []struct {
				a    *syscalls.Arch
				name string
				args []uint64
				want uint32
			}{
				{x86_64, "read", nil, allow},
				{x86_64, "kexec_load", nil, eperm},
				{x86_64, "personality", []uint64{0xffffffff}, allow},
				{x86_64, "personality", []uint64{7}, eperm},
				{x86_64, "clone", []uint64{0x7e020000}, eperm}, // namespaces without CAP_SYS_ADMIN
				{x86_64, "clone", []uint64{0x11}, allow},
				{x86, "read", nil, allow},
				{x86, "socketcall", []uint64{1, 2}, allow},
				{x32, "read", nil, allow},
			} {
				if got := run(t, p, c.a, c.name, c.args...); got != c.want {
					t.Errorf("tree=%v enosys=%v arch=%s %s%v = %#x, want %#x", tree, enosys, c.a.Name, c.name, c.args, got, c.want)
				}
			}
			// Above the last syscall the profile knows: ENOSYS with the stub.
			d := bpf.Data{Nr: 1000, Arch: x86_64.AuditArch}
			r, _ := bpf.Run(p, &d, false, false)
			want := uint32(eperm)
			if enosys {
				want = ENOSYSAction
			}
			if r.Ret != want {
				t.Errorf("tree=%v enosys=%v nr=1000 = %#x, want %#x", tree, enosys, r.Ret, want)
			}
		}
	}
}

func TestBuildRefuses(t *testing.T) {
	x86_64, _ := syscalls.ArchByName("x86_64")
	for name, oci := range map[string]*specs.LinuxSeccomp{
		"notify-default": {DefaultAction: specs.ActNotify},
		"notify-write":   {DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"write"}, Action: specs.ActNotify}}},
		"bad-action":     {DefaultAction: "SCMP_ACT_NOPE"},
		"bad-op":         {DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Op: "EQ"}}}}},
		"bad-index":      {DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}},
		"bad-arch":       {DefaultAction: specs.ActErrno, Architectures: []specs.Arch{"SCMP_ARCH_Z80"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Build(oci, x86_64, Options{})
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("err = %v, want ErrRefused", err)
			}
		})
	}
}
