//go:build libseccomp

package bench

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"

	"github.com/sysfence/sysfence/bpf"
)

// libseccomp takes part through libseccomp-golang (cgo), building the
// filter the way runc's InitSeccomp does. When the project's reference
// package (internal/reference/libseccomp) is on main, this file should
// call it instead.
func init() {
	notes := []string{
		"built as runc builds it (default action, native + listed arches, rules equal to the default left out, " +
			"same-index conditions as separate rules) and exported with seccomp_export_bpf, without runc's ENOSYS stub " +
			"(which runc prepends; sysfence's figures include that rule);",
	}
	register(Contestant{Name: "libseccomp (default)", Build: func(oci *specs.LinuxSeccomp) (bpf.Program, error) {
		return buildLibseccomp(oci, false)
	}, Notes: notes, More: unknownToLibseccomp}, 10)
	register(Contestant{Name: "libseccomp (binary tree)", Build: func(oci *specs.LinuxSeccomp) (bpf.Program, error) {
		return buildLibseccomp(oci, true)
	}, Notes: []string{"as above with SCMP_FLTATR_CTL_OPTIMIZE=2 (runc turns it on for profiles naming more than 32 syscalls)."}}, 20)
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
			if _, err := libseccomp.GetSyscallFromName(n); err != nil {
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
	a, b, c := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", a, b, c)
}

func scmpAction(a specs.LinuxSeccompAction, errno *uint) (libseccomp.ScmpAction, error) {
	ret := int16(1)
	if errno != nil {
		ret = int16(*errno)
	}
	switch a {
	case specs.ActKill, specs.ActKillThread:
		return libseccomp.ActKillThread, nil
	case specs.ActKillProcess:
		return libseccomp.ActKillProcess, nil
	case specs.ActTrap:
		return libseccomp.ActTrap, nil
	case specs.ActErrno:
		return libseccomp.ActErrno.SetReturnCode(ret), nil
	case specs.ActTrace:
		return libseccomp.ActTrace.SetReturnCode(ret), nil
	case specs.ActLog:
		return libseccomp.ActLog, nil
	case specs.ActAllow:
		return libseccomp.ActAllow, nil
	case specs.ActNotify:
		return libseccomp.ActNotify, nil
	}
	return libseccomp.ActInvalid, fmt.Errorf("unknown action %q", a)
}

var scmpOps = map[specs.LinuxSeccompOperator]libseccomp.ScmpCompareOp{
	specs.OpEqualTo: libseccomp.CompareEqual, specs.OpNotEqual: libseccomp.CompareNotEqual,
	specs.OpLessThan: libseccomp.CompareLess, specs.OpLessEqual: libseccomp.CompareLessOrEqual,
	specs.OpGreaterThan: libseccomp.CompareGreater, specs.OpGreaterEqual: libseccomp.CompareGreaterEqual,
	specs.OpMaskedEqual: libseccomp.CompareMaskedEqual,
}

func buildLibseccomp(oci *specs.LinuxSeccomp, tree bool) (bpf.Program, error) {
	def, err := scmpAction(oci.DefaultAction, oci.DefaultErrnoRet)
	if err != nil {
		return nil, err
	}
	f, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, err
	}
	defer f.Release()
	for _, a := range oci.Architectures {
		arch, err := libseccomp.GetArchFromString(strings.ToLower(strings.TrimPrefix(string(a), "SCMP_ARCH_")))
		if err != nil {
			return nil, err
		}
		if err := f.AddArch(arch); err != nil {
			return nil, err
		}
	}
	if tree {
		if err := f.SetOptimize(2); err != nil {
			return nil, err
		}
	}
	for _, sc := range oci.Syscalls {
		act, err := scmpAction(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, err
		}
		if act == def {
			continue
		}
		var count [6]int
		for _, a := range sc.Args {
			count[a.Index]++
		}
		for _, name := range sc.Names {
			nr, err := libseccomp.GetSyscallFromName(name)
			if err != nil {
				continue // runc skips names the library does not know
			}
			if len(sc.Args) == 0 {
				if err := f.AddRule(nr, act); err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				continue
			}
			var and []libseccomp.ScmpCondition
			for _, a := range sc.Args {
				vals := []uint64{a.Value}
				if a.Op == specs.OpMaskedEqual {
					vals = append(vals, a.ValueTwo)
				}
				c, err := libseccomp.MakeCondition(a.Index, scmpOps[a.Op], vals...)
				if err != nil {
					return nil, err
				}
				if count[a.Index] > 1 {
					if err := f.AddRuleConditional(nr, act, []libseccomp.ScmpCondition{c}); err != nil {
						return nil, fmt.Errorf("%s: %w", name, err)
					}
				} else {
					and = append(and, c)
				}
			}
			if len(and) > 0 {
				if err := f.AddRuleConditional(nr, act, and); err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
			}
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	errc := make(chan error, 1)
	go func() {
		errc <- f.ExportBPF(w)
		w.Close()
	}()
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if err := <-errc; err != nil {
		return nil, err
	}
	return bpf.Decode(raw, binary.NativeEndian)
}
