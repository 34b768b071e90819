package compile

import (
	"testing"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// dockerDefault resolves moby's default profile for this machine (amd64,
// Docker's default capabilities, the running kernel) with moby's own code
// and turns it into a Policy with policy.FromOCI, runc's ENOSYS rule on.
// allArches false keeps only x86_64, as a profile without archMap would.
func dockerDefault(t testing.TB, allArches bool) *policy.Policy {
	t.Helper()
	spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: profile.DockerDefaultCaps()}}}
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
