package profile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/internal/kversion"
	"github.com/sysfence/sysfence/syscalls"
)

// KernelVersion is a kernel release reduced to what Docker profiles
// compare: "6.8.0-45-generic" is 6.8.
type KernelVersion struct {
	Major, Minor uint64
}

func (k KernelVersion) String() string { return fmt.Sprintf("%d.%d", k.Major, k.Minor) }

// IsZero reports whether the version is unknown.
func (k KernelVersion) IsZero() bool { return k.Major == 0 && k.Minor == 0 }

// AtLeast reports whether k >= (major, minor), as moby compares: minor
// and patch levels and suffixes are ignored.
func (k KernelVersion) AtLeast(major, minor uint64) bool {
	return k.Major > major || (k.Major == major && k.Minor >= minor)
}

// ParseKernel reads a kernel version for --kernel: "X.Y", or a release as
// uname -r prints it ("6.8.0-45-generic", "6.18.44-fc", "3.12-1-amd64").
// As moby reads the running kernel's release (fmt.Sscanf "%d.%d"), only a
// leading X.Y counts; whatever follows the minor number is ignored.
func ParseKernel(s string) (KernelVersion, error) {
	v, err := kversion.Parse(s)
	if err != nil {
		return KernelVersion{}, fmt.Errorf("%w %q: want MAJOR.MINOR such as 5.10", ErrInvalidKernel, s)
	}
	if v.Major == 0 && v.Minor == 0 {
		return KernelVersion{}, fmt.Errorf("%w %q: version cannot be 0.0", ErrInvalidKernel, s)
	}
	return KernelVersion{v.Major, v.Minor}, nil
}

// ParseCaps reads a capability list for --cap: comma-separated names in
// any of the spellings CAP_SYS_ADMIN, SYS_ADMIN, sys_admin; "default" adds
// Docker's default set, "all" every capability, and a leading "-" removes
// one ("default,sys_admin", "all,-sys_admin"). The empty string is the
// empty set. The result is sorted by capability number and has no
// duplicates.
func ParseCaps(s string) ([]string, error) {
	set := map[string]bool{}
	if strings.TrimSpace(s) == "" {
		return []string{}, nil
	}
	for i, item := range strings.Split(s, ",") {
		it := strings.TrimSpace(item)
		drop := strings.HasPrefix(it, "-")
		it = strings.TrimPrefix(strings.TrimPrefix(it, "-"), "+")
		var names []string
		switch strings.ToLower(it) {
		case "":
			return nil, fmt.Errorf("%w: item %d of %q is empty", ErrUnknownCapability, i+1, s)
		case "all":
			names = capNames
		case "default", "docker", "docker-default":
			names = dockerDefaultCaps
		default:
			c := normalizeCap(it)
			if !slices.Contains(capNames, c) {
				return nil, fmt.Errorf("%w %q (item %d of --cap)%s", ErrUnknownCapability, item, i+1, didYouMean(suggest(c, capNames)))
			}
			names = []string{c}
		}
		for _, n := range names {
			set[n] = !drop
		}
	}
	out := []string{}
	for _, c := range capNames {
		if set[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

// Target is what a Docker profile is resolved for: the machine
// architecture, the container's bounding capability set and the kernel.
type Target struct {
	// Arch is the native architecture (the one whose archMap entry and
	// includes/excludes "arches" apply).
	Arch *syscalls.Arch
	// Caps is the bounding set, as "CAP_*" names.
	Caps []string
	// Kernel is the kernel version minKernel is compared with. Zero means
	// unknown: resolving a profile that has a minKernel condition fails.
	Kernel KernelVersion
}

// DefaultTarget is what Docker would use on this machine: its
// architecture, Docker's default capability set and the running kernel.
func DefaultTarget() (Target, error) {
	a, err := syscalls.Native()
	if err != nil {
		return Target{}, err
	}
	k, err := RunningKernel()
	if err != nil {
		return Target{}, err
	}
	return Target{Arch: a, Caps: DockerDefaultCaps(), Kernel: k}, nil
}

// Resolved is a profile resolved for a target: the OCI LinuxSeccomp that
// Docker would hand to runc.
type Resolved struct {
	// OCI is the runtime-spec profile. Architectures are as the profile
	// gives them (SCMP_ARCH_NATIVE replaced by the target's); the target's
	// own architecture is not added here (policy.FromOCI adds it, as
	// libseccomp does).
	OCI *specs.LinuxSeccomp
	// Entry[i] is the index in Profile.Seccomp.Syscalls of the entry that
	// OCI.Syscalls[i] came from (use Profile.Pos("syscalls[N]")).
	Entry []int
	// ArchPath[i] is the profile path OCI.Architectures[i] came from:
	// "architectures[N]", "archMap[N].architecture" or
	// "archMap[N].subArchitectures[M]".
	ArchPath []string
	Target   Target
	// Profile is the profile that was resolved.
	Profile *Profile
}

// Resolve applies a profile's conditions for a target exactly as moby's
// setupSeccomp does (github.com/moby/profiles/seccomp, seccomp_linux.go),
// except that the architecture, capabilities and kernel come from t
// instead of the running machine:
//
//   - archMap: the entry whose architecture is the target's (in moby's
//     native-to-SCMP table) contributes itself and its subArchitectures;
//     with "architectures" instead, those are kept as given.
//   - per syscall entry, excludes first: skipped if excludes.arches holds
//     the target's native name (amd64, x86, arm64, ...), if the bounding
//     set holds ANY of excludes.caps, or if the kernel is at least
//     excludes.minKernel; then includes: skipped unless includes.arches
//     holds the native name, unless the bounding set holds ALL of
//     includes.caps, and unless the kernel is at least
//     includes.minKernel. Kernel comparisons look at major.minor only.
//   - "name" becomes a one-element "names".
//
// OCI, config.json and SPO profiles have no conditions: only the
// architecture handling applies. The profile is not modified.
func Resolve(p *Profile, t Target) (*Resolved, error) {
	if t.Arch == nil {
		return nil, fmt.Errorf("%w: no target architecture", ErrResolve)
	}
	s := p.Seccomp
	if len(s.Architectures) != 0 && len(s.ArchMap) != 0 {
		return nil, p.Errorf("archMap", "both \"architectures\" and \"archMap\" are given; use one")
	}
	out := &specs.LinuxSeccomp{
		DefaultAction:    s.DefaultAction,
		DefaultErrnoRet:  s.DefaultErrnoRet,
		Flags:            s.Flags,
		ListenerPath:     s.ListenerPath,
		ListenerMetadata: s.ListenerMetadata,
	}
	var archPath []string
	for i, a := range s.Architectures {
		if a == archNative { // Podman/SPO: the machine's own architecture
			a = specs.Arch(t.Arch.OCI)
			if slices.Contains(out.Architectures, a) {
				continue
			}
		}
		out.Architectures = append(out.Architectures, a)
		archPath = append(archPath, fmt.Sprintf("architectures[%d]", i))
	}
	native, want, ok := mobyNative(t.Arch.Name)
	if ok {
		for i, a := range s.ArchMap {
			if string(a.Arch) == want {
				out.Architectures = append(out.Architectures, a.Arch)
				out.Architectures = append(out.Architectures, a.SubArches...)
				archPath = append(archPath, fmt.Sprintf("archMap[%d].architecture", i))
				for j := range a.SubArches {
					archPath = append(archPath, fmt.Sprintf("archMap[%d].subArchitectures[%d]", i, j))
				}
				break
			}
		}
	}
	r := &Resolved{OCI: out, Target: t, Profile: p, ArchPath: archPath}
	hasCap := func(c string) bool { return slices.Contains(t.Caps, c) }
	kernelAtLeast := func(i int, field string, major, minor uint64) (bool, error) {
		if t.Kernel.IsZero() {
			e := p.Errorf(fmt.Sprintf("syscalls[%d].%s.minKernel", i, field),
				"%v: the entry depends on the kernel version and the target kernel is unknown (give --kernel)", ErrResolve)
			e.Kind = ErrResolve
			return false, e
		}
		return t.Kernel.AtLeast(major, minor), nil
	}
	out.Syscalls = make([]specs.LinuxSyscall, 0, len(s.Syscalls))
	r.Entry = make([]int, 0, len(s.Syscalls))
	for i, c := range s.Syscalls {
		names := c.Names
		if c.Name != "" {
			if len(c.Names) != 0 {
				return nil, p.Errorf(fmt.Sprintf("syscalls[%d]", i), "both \"name\" and \"names\" are given; use one")
			}
			names = []string{c.Name}
		}
		if x := c.Excludes; x != nil {
			if len(x.Arches) > 0 && slices.Contains(x.Arches, native) {
				continue
			}
			if slices.ContainsFunc(x.Caps, hasCap) {
				continue
			}
			if x.MinKernel != nil {
				ok, err := kernelAtLeast(i, "excludes", x.MinKernel.Kernel, x.MinKernel.Major)
				if err != nil {
					return nil, err
				}
				if ok {
					continue
				}
			}
		}
		if in := c.Includes; in != nil {
			if len(in.Arches) > 0 && !slices.Contains(in.Arches, native) {
				continue
			}
			if !all(in.Caps, hasCap) {
				continue
			}
			if in.MinKernel != nil {
				ok, err := kernelAtLeast(i, "includes", in.MinKernel.Kernel, in.MinKernel.Major)
				if err != nil {
					return nil, err
				}
				if !ok {
					continue
				}
			}
		}
		sc := c.LinuxSyscall
		sc.Names = names
		out.Syscalls = append(out.Syscalls, sc)
		r.Entry = append(r.Entry, i)
	}
	if len(out.Syscalls) == 0 {
		out.Syscalls = nil // as moby leaves it
	}
	return r, nil
}

func all[T any](xs []T, f func(T) bool) bool {
	for _, x := range xs {
		if !f(x) {
			return false
		}
	}
	return true
}

// AsProfile returns the resolved profile as a plain OCI profile (no
// conditions), e.g. to write it as config.json or a SeccompProfile. The
// extension section is kept; positions are not.
func (r *Resolved) AsProfile() *Profile {
	oci := *r.OCI
	p := newFromOCI(&oci, r.Profile.Ext)
	p.File = r.Profile.File
	return p
}
