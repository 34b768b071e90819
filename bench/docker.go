package bench

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// DockerCaps is Docker's default container capability set, which the
// profile is resolved against.
var DockerCaps = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}

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

func ociAction(a specs.LinuxSeccompAction, errno *uint) (policy.Action, error) {
	ret := uint16(1) // runc's default errno and trace data: EPERM
	if errno != nil {
		ret = uint16(*errno)
	}
	switch a {
	case specs.ActAllow:
		return policy.ActAllow, nil
	case specs.ActErrno:
		return policy.Errno(ret), nil
	case specs.ActTrace:
		return policy.Trace(ret), nil
	case specs.ActKill, specs.ActKillThread:
		return policy.ActKillThread, nil
	case specs.ActKillProcess:
		return policy.ActKillProcess, nil
	case specs.ActTrap:
		return policy.ActTrap, nil
	case specs.ActLog:
		return policy.ActLog, nil
	case specs.ActNotify:
		return policy.ActUserNotif, nil
	}
	return 0, fmt.Errorf("unknown action %q", a)
}

var ociOps = map[specs.LinuxSeccompOperator]policy.Op{
	specs.OpEqualTo: policy.OpEq, specs.OpNotEqual: policy.OpNe, specs.OpLessThan: policy.OpLt,
	specs.OpLessEqual: policy.OpLe, specs.OpGreaterThan: policy.OpGt, specs.OpGreaterEqual: policy.OpGe,
	specs.OpMaskedEqual: policy.OpMaskedEq,
}

// Policy turns a resolved profile into sysfence's policy the way runc hands
// a profile to libseccomp: the native ABI first, then the listed ones;
// rules equal to the default action left out; conditions on an argument
// index used more than once split into rules of their own (OR); runc's
// ENOSYS rule on. It stands in for policy.FromOCI, which is being written
// in parallel; it does not route socket calls through socketcall on x86
// (the default profile allows socketcall outright).
func Policy(oci *specs.LinuxSeccomp) (*policy.Policy, error) {
	def, err := ociAction(oci.DefaultAction, oci.DefaultErrnoRet)
	if err != nil {
		return nil, err
	}
	p := &policy.Policy{DefaultAction: def, BadArch: policy.ActKillThread, ENOSYS: true}
	archNames := []string{Native.Name}
	for _, a := range oci.Architectures {
		archNames = append(archNames, string(a))
	}
	names := 0
	for _, sc := range oci.Syscalls {
		names += len(sc.Names) * max(1, len(sc.Args))
	}
	seen := map[string]bool{}
	for _, n := range archNames {
		arch, err := syscalls.ArchByName(n)
		if err != nil {
			return nil, err
		}
		if seen[arch.Name] {
			continue
		}
		seen[arch.Name] = true
		ap := &policy.ArchPolicy{Arch: arch, Rules: make([]policy.Rule, 0, names)}
		for i, sc := range oci.Syscalls {
			act, err := ociAction(sc.Action, sc.ErrnoRet)
			if err != nil {
				return nil, err
			}
			numbers := numbersOf(arch)
			for _, name := range sc.Names {
				nr, ok := numbers[name]
				if !ok {
					continue
				}
				ap.MaxNr = max(ap.MaxNr, nr)
				if act == def {
					continue
				}
				origin := policy.Origin{Entry: i, Name: name}
				var count [6]int
				for _, a := range sc.Args {
					if a.Index > 5 {
						return nil, fmt.Errorf("syscalls[%d]: argument index %d > 5", i, a.Index)
					}
					count[a.Index]++
				}
				var and []policy.Cond
				for _, a := range sc.Args {
					op, ok := ociOps[a.Op]
					if !ok {
						return nil, fmt.Errorf("syscalls[%d]: unknown operator %q", i, a.Op)
					}
					c := policy.Cond{Arg: uint8(a.Index), Op: op, Value: a.Value}
					if op == policy.OpMaskedEq {
						c.Mask, c.Value = a.Value, a.ValueTwo
					}
					if count[a.Index] > 1 {
						ap.Rules = append(ap.Rules, policy.Rule{Nr: nr, Action: act, Conds: []policy.Cond{c}, Origin: origin})
					} else {
						and = append(and, c)
					}
				}
				if len(and) > 0 || len(sc.Args) == 0 {
					ap.Rules = append(ap.Rules, policy.Rule{Nr: nr, Action: act, Conds: and, Origin: origin})
				}
			}
		}
		p.Arches = append(p.Arches, ap)
	}
	return p, nil
}

// numbers caches each ABI's name -> number table as a map, built once per
// process (syscalls.Arch.Number is a binary search over all names).
var numbers sync.Map

func numbersOf(a *syscalls.Arch) map[string]uint32 {
	if m, ok := numbers.Load(a); ok {
		return m.(map[string]uint32)
	}
	m := map[string]uint32{}
	for _, sc := range a.Syscalls() {
		m[sc.Name] = sc.Nr
	}
	numbers.Store(a, m)
	return m
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
