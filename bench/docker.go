package bench

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// DockerCaps is Docker's default container capability set, which the
// profile is resolved against.
var DockerCaps = profile.DockerDefaultCaps()

// Native is the ABI the comparison runs for: the peers build for the host
// only, so the figures are x86_64's.
var Native = mustArch("x86_64")

func mustArch(name string) *syscalls.Arch {
	a, err := syscalls.ArchByName(name)
	if err != nil {
		panic(err)
	}
	return a
}

// CheckHost returns an error on a machine the comparison does not
// describe (the peers compile for the running architecture).
func CheckHost() error {
	if runtime.GOARCH != "amd64" {
		return fmt.Errorf("the comparison is defined for amd64 hosts, this is %s", runtime.GOARCH)
	}
	return nil
}

// DefaultJSON returns moby's default profile (from the moby module, not a
// copy) as JSON. Without archMap it is the profile Docker uses for a
// single ABI: only the native x86_64.
func DefaultJSON(withArchMap bool) (string, error) {
	p := seccomp.DefaultProfile()
	if !withArchMap {
		p.ArchMap = nil
	}
	b, err := json.Marshal(p)
	return string(b), err
}

// Resolve parses a Docker profile and resolves it with moby's own code for
// this machine: its architecture, Docker's default capabilities and the
// running kernel.
func Resolve(body string) (*specs.LinuxSeccomp, error) {
	spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: DockerCaps}}}
	return seccomp.LoadProfile(body, spec)
}

// SysfencePipeline is what `sysfence compile` does with the profile's
// text: sysfence's own parser and resolver (for this machine's target),
// policy.FromOCI and the compiler.
func SysfencePipeline(body string) (bpf.Program, error) {
	p, err := profile.Parse("default.json", []byte(body))
	if err != nil {
		return nil, err
	}
	res, err := build.Build(build.Request{Profile: p, Arch: Native, Caps: DockerCaps, Kernel: &kernel})
	if err != nil {
		return nil, err
	}
	return res.Program.Filter, nil
}

// SysfenceResolve is sysfence's parse + resolve stage alone.
func SysfenceResolve(body string) (*specs.LinuxSeccomp, error) {
	p, err := profile.Parse("default.json", []byte(body))
	if err != nil {
		return nil, err
	}
	r, err := profile.Resolve(p, profile.Target{Arch: Native, Caps: DockerCaps, Kernel: kernel})
	if err != nil {
		return nil, err
	}
	return r.OCI, nil
}

// kernel is the running kernel, as moby's resolver uses it.
var kernel = func() profile.KernelVersion {
	k, _ := profile.RunningKernel()
	return k
}()

// Policy turns a resolved profile into sysfence's policy the way runc
// hands a profile to libseccomp (policy.FromOCI, runc's ENOSYS rule on).
func Policy(oci *specs.LinuxSeccomp) (*policy.Policy, error) {
	p, _, err := policy.FromOCI(oci, Native, policy.Options{ENOSYS: true})
	return p, err
}

// nativeRules returns the rules of the native ABI.
func nativeRules(p *policy.Policy) []policy.Rule {
	for _, ap := range p.Arches {
		if ap.Arch == Native {
			return ap.Rules
		}
	}
	return nil
}
