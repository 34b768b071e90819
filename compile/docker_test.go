package compile

import (
	"testing"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// dockerCaps is Docker's default container capability set.
var dockerCaps = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}

// dockerDefault resolves moby's default profile for this machine (amd64,
// Docker's default capabilities, the running kernel) with moby's own code
// and turns it into a Policy with policy.FromOCI, runc's ENOSYS rule on.
// allArches false keeps only x86_64, as a profile without archMap would.
func dockerDefault(t testing.TB, allArches bool) *policy.Policy {
	t.Helper()
	spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: dockerCaps}}}
	oci, err := seccomp.GetDefaultProfile(spec)
	if err != nil {
		t.Fatal(err)
	}
	if !allArches {
		oci.Architectures = nil
	}
	x64, err := syscalls.ArchByName("x86_64")
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := policy.FromOCI(oci, x64, policy.Options{ENOSYS: true})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
