package policy

import (
	"testing"

	seccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/syscalls"
)

func dockerDefaultOCI(tb testing.TB) *specs.LinuxSeccomp {
	tb.Helper()
	rs := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: []string{
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
		"CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}}}}
	oci, err := seccomp.GetDefaultProfile(rs)
	if err != nil {
		tb.Fatal(err)
	}
	return oci
}

func BenchmarkFromOCIDockerDefault(b *testing.B) {
	oci := dockerDefaultOCI(b)
	native, _ := syscalls.ArchByName("x86_64")
	for _, tc := range []struct {
		name   string
		arches []specs.Arch
	}{{"abis=1", nil}, {"abis=3", oci.Architectures}} {
		o := *oci
		o.Architectures = tc.arches
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := FromOCI(&o, native, Options{ENOSYS: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
