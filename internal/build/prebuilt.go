package build

import (
	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

//go:generate go run ./internal/genprebuilt/cmd/genprebuilt -out zprebuilt.go

// prebuiltFilter is a built-in profile compiled for one architecture and
// the default target (Docker's default capabilities, no Request option
// set) on kernels at least minKernel.
type prebuiltFilter struct {
	profile   string
	arch      string
	minKernel profile.KernelVersion
	program   bpf.Program
}

// Prebuilt returns the program Build would compile for req, taken from the
// table generated into sysfence (zprebuilt.go), when req asks for exactly
// what the table holds: a built-in profile by name, for this machine's
// architecture or another named one, Docker's default capabilities, the
// running kernel, no option set. Building Docker's default costs about
// half a millisecond, paid at every `sysfence run`; the table is checked
// against the pipeline by the package's tests, so it cannot drift from
// what Build gives. Callers that need the policy (to explain a decision)
// build it when they need it.
func Prebuilt(req Request) (bpf.Program, bool) {
	if req.Profile != nil || req.Caps != nil || req.Kernel != nil ||
		req.Strict || req.NoENOSYS || req.Annotate || req.Verbose {
		return nil, false
	}
	arch := req.Arch
	if arch == nil {
		var err error
		if arch, err = syscalls.Native(); err != nil {
			return nil, false
		}
	}
	for i := range prebuilt {
		p := &prebuilt[i]
		if p.profile != req.Ref || p.arch != arch.Name {
			continue
		}
		if !p.minKernel.IsZero() {
			k, err := profile.RunningKernel()
			if err != nil || !k.AtLeast(p.minKernel.Major, p.minKernel.Minor) {
				return nil, false
			}
		}
		return p.program, true
	}
	return nil, false
}
