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
// Docker's default capabilities, the running kernel) and turns it into a
// Policy the way runc hands it to libseccomp. It stands in for
// policy.FromOCI until that lands. allArches false keeps only x86_64, as a
// profile without archMap would.
func dockerDefault(t testing.TB, allArches bool) *policy.Policy {
	t.Helper()
	spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: dockerCaps}}}
	oci, err := seccomp.GetDefaultProfile(spec)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"x86_64"}
	if allArches {
		for _, a := range oci.Architectures {
			names = append(names, string(a))
		}
	}
	return ociToPolicy(t, oci, names)
}

func ociAction(t testing.TB, a specs.LinuxSeccompAction, errno *uint) policy.Action {
	t.Helper()
	ret := uint16(1) // runc's default errno and trace data: EPERM
	if errno != nil {
		ret = uint16(*errno)
	}
	switch a {
	case specs.ActAllow:
		return policy.ActAllow
	case specs.ActErrno:
		return policy.Errno(ret)
	case specs.ActTrace:
		return policy.Trace(ret)
	case specs.ActKill, specs.ActKillThread:
		return policy.ActKillThread
	case specs.ActKillProcess:
		return policy.ActKillProcess
	case specs.ActTrap:
		return policy.ActTrap
	case specs.ActLog:
		return policy.ActLog
	case specs.ActNotify:
		return policy.ActUserNotif
	}
	t.Fatalf("unknown action %q", a)
	return 0
}

var ociOps = map[specs.LinuxSeccompOperator]policy.Op{
	specs.OpEqualTo: policy.OpEq, specs.OpNotEqual: policy.OpNe, specs.OpLessThan: policy.OpLt,
	specs.OpLessEqual: policy.OpLe, specs.OpGreaterThan: policy.OpGt, specs.OpGreaterEqual: policy.OpGe,
	specs.OpMaskedEqual: policy.OpMaskedEq,
}

func ociToPolicy(t testing.TB, oci *specs.LinuxSeccomp, archNames []string) *policy.Policy {
	t.Helper()
	p := &policy.Policy{
		DefaultAction: ociAction(t, oci.DefaultAction, oci.DefaultErrnoRet),
		BadArch:       policy.ActKillThread,
		ENOSYS:        true,
	}
	seen := map[string]bool{}
	for _, n := range archNames {
		arch, err := syscalls.ArchByName(n)
		if err != nil {
			t.Fatal(err)
		}
		if seen[arch.Name] {
			continue
		}
		seen[arch.Name] = true
		ap := &policy.ArchPolicy{Arch: arch}
		for i, sc := range oci.Syscalls {
			act := ociAction(t, sc.Action, sc.ErrnoRet)
			for _, name := range sc.Names {
				nr, ok := arch.Number(name)
				if !ok {
					continue
				}
				ap.MaxNr = max(ap.MaxNr, nr)
				if act == p.DefaultAction {
					continue
				}
				origin := policy.Origin{Entry: i, Name: name}
				// runc: conditions on an index used more than once become
				// rules of their own (OR); the others are ANDed in one rule.
				var count [6]int
				for _, a := range sc.Args {
					count[a.Index]++
				}
				var and []policy.Cond
				for _, a := range sc.Args {
					c := policy.Cond{Arg: uint8(a.Index), Op: ociOps[a.Op], Value: a.Value}
					if a.Op == specs.OpMaskedEqual {
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
	return p
}
