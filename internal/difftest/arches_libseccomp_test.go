//go:build libseccomp

package difftest

import (
	"errors"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	ref "github.com/sysfence/sysfence/internal/reference/libseccomp"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// TestArchPairsAgree asks libseccomp to build a filter for every native
// ABI with every other ABI added (runc's seccomp_arch_add) and checks that
// FromOCI refuses exactly the pairs libseccomp refuses: those of different
// byte orders (EDOM). ABIs the installed libseccomp does not know are left
// out.
func TestArchPairsAgree(t *testing.T) {
	var known []*syscalls.Arch
	for _, a := range syscalls.Arches() {
		if _, err := buildIsolated(&specs.LinuxSeccomp{DefaultAction: specs.ActErrno}, a, ref.Options{}); err != nil {
			t.Logf("arch=%s: left out, libseccomp cannot build for it: %v", a.Name, err)
			continue
		}
		known = append(known, a)
	}
	if len(known) < 2 {
		t.Fatalf("libseccomp builds for %d ABIs", len(known))
	}
	refused := 0
	for _, native := range known {
		for _, extra := range known {
			oci := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Architectures: []specs.Arch{specs.Arch(extra.OCI)},
				Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}}}
			_, libErr := buildIsolated(oci, native, ref.Options{})
			if libErr != nil && !errors.Is(libErr, ref.ErrRejected) {
				t.Fatalf("arch=%s/extra=%s: %v", native.Name, extra.Name, libErr)
			}
			_, _, err := policy.FromOCI(oci, native, policy.Options{})
			if err != nil && !errors.Is(err, policy.ErrByteOrder) {
				t.Fatalf("arch=%s/extra=%s: FromOCI: %v", native.Name, extra.Name, err)
			}
			if (libErr != nil) != (err != nil) {
				t.Errorf("arch=%s/extra=%s: libseccomp error %v, FromOCI error %v", native.Name, extra.Name, libErr, err)
			}
			if err != nil {
				refused++
			}
		}
	}
	t.Logf("%d ABIs, %d pairs, %d refused by both", len(known), len(known)*len(known), refused)
}
