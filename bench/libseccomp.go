//go:build libseccomp

package bench

import (
	"fmt"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/bpf"
	ref "github.com/sysfence/sysfence/internal/reference/libseccomp"
)

// libseccomp takes part through the project's reference builder
// (internal/reference/libseccomp, cgo), which builds the filter the way
// runc's InitSeccomp does.
func init() {
	register(Contestant{
		Name: "libseccomp (default)",
		Build: func(oci *specs.LinuxSeccomp) (bpf.Program, error) {
			return ref.Build(oci, Native, ref.Options{Tree: ref.TreeOff})
		},
		Notes: []string{
			"built as runc builds it (internal/reference/libseccomp) and exported with seccomp_export_bpf, " +
				"without runc's ENOSYS stub, which runc prepends (sysfence's figures include that rule);",
		},
		More: func(oci *specs.LinuxSeccomp) []string {
			var out []string
			if stub, err := ref.ENOSYSStub(oci, Native); err == nil {
				out = append(out, fmt.Sprintf("runc's ENOSYS stub for this profile adds %d instructions (x86_64 only) and runs before every call;", len(stub)))
			}
			return append(out, unknownToLibseccomp(oci)...)
		},
	}, 10)
	register(Contestant{
		Name: "libseccomp (binary tree)",
		Build: func(oci *specs.LinuxSeccomp) (bpf.Program, error) {
			return ref.Build(oci, Native, ref.Options{Tree: ref.TreeOn})
		},
		Notes: []string{"as above with SCMP_FLTATR_CTL_OPTIMIZE=2 (runc turns it on for profiles naming more than 32 syscalls)."},
	}, 20)
}

// unknownToLibseccomp lists the profile's syscalls the installed
// libseccomp cannot resolve: runc leaves them out, so they get the default
// action although the profile allows them.
func unknownToLibseccomp(oci *specs.LinuxSeccomp) []string {
	var out []string
	seen := map[string]bool{}
	for _, sc := range oci.Syscalls {
		for _, n := range sc.Names {
			if _, ok := Native.Number(n); !ok || seen[n] {
				continue
			}
			seen[n] = true
			if _, ok := ref.ResolveName(Native, n); !ok {
				out = append(out, n)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("libseccomp %s does not know %d of the profile's x86_64 syscalls (%s): runc leaves them out, so they get EPERM.",
		LibseccompVersion(), len(out), strings.Join(out, ", "))}
}

// LibseccompVersion reports the library's version.
func LibseccompVersion() string {
	a, b, c := ref.Version()
	return fmt.Sprintf("%d.%d.%d", a, b, c)
}
