package bench

import (
	"fmt"
	"strings"
	"sync"

	eseccomp "github.com/elastic/go-seccomp-bpf"
	earch "github.com/elastic/go-seccomp-bpf/arch"
	"github.com/opencontainers/runtime-spec/specs-go"
	xbpf "golang.org/x/net/bpf"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
)

func init() {
	register(Contestant{
		Name:   "elastic go-seccomp-bpf",
		OneABI: true,
		Build:  buildElastic,
		Notes: []string{
			"one ABI; its own x32 check answers ERRNO(ENOSYS) for every number >= 0x40000000 (Docker: kill);",
			"no ENOSYS for numbers newer than the profile: they get the default EPERM;",
			"one SyscallGroup per action in profile order, unconditional names in Names, each conditional rule " +
				"one NamesWithCondtions entry (ANDed conditions, entries for one name ORed); MASKED_EQ(mask, 0) " +
				"becomes BitsNotSet(mask), the only masked form in Docker's default; syscall names missing from " +
				"its table are left out.",
		},
		More: func(oci *specs.LinuxSeccomp) []string {
			_, missing, err := ElasticPolicy(oci)
			if err != nil || len(missing) == 0 {
				return nil
			}
			return []string{fmt.Sprintf("its table lacks %d of the profile's syscalls: %s.", len(missing), strings.Join(missing, ", "))}
		},
	}, 40)
}

var elasticNames = sync.OnceValue(func() map[string]int {
	info, err := earch.GetInfo("")
	if err != nil {
		return nil
	}
	return info.SyscallNames
})

func elasticCond(c policy.Cond) (eseccomp.Condition, error) {
	ec := eseccomp.Condition{Argument: uint32(c.Arg), Value: c.Value}
	switch c.Op {
	case policy.OpEq:
		ec.Operation = eseccomp.Equal
	case policy.OpNe:
		ec.Operation = eseccomp.NotEqual
	case policy.OpLt:
		ec.Operation = eseccomp.LessThan
	case policy.OpLe:
		ec.Operation = eseccomp.LessOrEqual
	case policy.OpGt:
		ec.Operation = eseccomp.GreaterThan
	case policy.OpGe:
		ec.Operation = eseccomp.GreaterOrEqual
	case policy.OpMaskedEq:
		if c.Value&c.Mask != 0 {
			return ec, fmt.Errorf("elastic cannot express MASKED_EQ(%#x, %#x)", c.Mask, c.Value)
		}
		ec.Operation, ec.Value = eseccomp.BitsNotSet, c.Mask
	}
	return ec, nil
}

// ElasticPolicy translates the native ABI's rules into elastic's policy.
// missing lists the syscalls its table does not know.
func ElasticPolicy(oci *specs.LinuxSeccomp) (ep *eseccomp.Policy, missing []string, err error) {
	p, err := Policy(oci)
	if err != nil {
		return nil, nil, err
	}
	known := elasticNames()
	ep = &eseccomp.Policy{DefaultAction: eseccomp.Action(p.DefaultAction)}
	if p.DefaultAction == policy.Errno(1) {
		ep.DefaultAction = eseccomp.ActionErrno // it returns EPERM for this
	}
	group := map[policy.Action]int{}
	listed := map[string]bool{}
	for _, r := range nativeRules(p) {
		name, _ := Native.SyscallName(r.Nr)
		if _, ok := known[name]; !ok {
			if !listed[name] {
				listed[name] = true
				missing = append(missing, name)
			}
			continue
		}
		gi, ok := group[r.Action]
		if !ok {
			gi = len(ep.Syscalls)
			group[r.Action] = gi
			ep.Syscalls = append(ep.Syscalls, eseccomp.SyscallGroup{Action: eseccomp.Action(r.Action)})
		}
		g := &ep.Syscalls[gi]
		if r.Unconditional(true) {
			g.Names = append(g.Names, name)
			continue
		}
		nc := eseccomp.NameWithConditions{Name: name}
		for _, c := range r.Conds {
			ec, err := elasticCond(c)
			if err != nil {
				return nil, nil, err
			}
			nc.Conditions = append(nc.Conditions, ec)
		}
		g.NamesWithCondtions = append(g.NamesWithCondtions, nc)
	}
	return ep, missing, nil
}

func buildElastic(oci *specs.LinuxSeccomp) (bpf.Program, error) {
	ep, _, err := ElasticPolicy(oci)
	if err != nil {
		return nil, err
	}
	insns, err := ep.Assemble()
	if err != nil {
		return nil, err
	}
	raw, err := xbpf.Assemble(insns)
	if err != nil {
		return nil, err
	}
	out := make(bpf.Program, len(raw))
	for i, r := range raw {
		out[i] = bpf.Instruction{Op: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return out, nil
}
