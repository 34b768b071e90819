package bench

import (
	"fmt"
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go"
	gseccomp "gvisor.dev/gvisor/pkg/seccomp"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
)

func init() {
	register(Contestant{
		Name:   "gVisor pkg/seccomp",
		OneABI: true,
		Build:  buildGVisor,
		Notes: []string{
			"one ABI and no x32 check (gVisor filters its own process);",
			"no ENOSYS for numbers newer than the profile (gVisor has no such rule): they get the default EPERM;",
			"rules become gVisor's own types one for one: MatchAll for unconditional rules, PerArg matchers " +
				"(EqualTo, NotEqual, LessThan, ..., MaskedEqual(mask, value&mask)) ANDed per rule, Or across rules, " +
				"one RuleSet per action in Decide's precedence order; ProgramOptions left at gVisor's defaults " +
				"(optimizations on, no HotSyscalls).",
		},
	}, 30)
}

func gvisorAction(a policy.Action) gseccomp.Action {
	var g gseccomp.Action
	switch a.Kind() {
	case policy.ActAllow:
		return gseccomp.Allow
	case policy.ActErrno:
		g = gseccomp.ReturnError
	case policy.ActTrace:
		g = gseccomp.Trace
	case policy.ActTrap:
		return gseccomp.Trap
	case policy.ActKillThread:
		return gseccomp.KillThread
	case policy.ActKillProcess:
		return gseccomp.KillProcess
	case policy.ActUserNotif:
		return gseccomp.UserNotify
	default:
		panic(fmt.Sprintf("gVisor has no action for %v", a))
	}
	return g.Code(a.Data())
}

func gvisorMatcher(c policy.Cond) gseccomp.ValueMatcher {
	v := uintptr(c.Value)
	switch c.Op {
	case policy.OpEq:
		return gseccomp.EqualTo(v)
	case policy.OpNe:
		return gseccomp.NotEqual(v)
	case policy.OpLt:
		return gseccomp.LessThan(v)
	case policy.OpLe:
		return gseccomp.LessThanOrEqual(v)
	case policy.OpGt:
		return gseccomp.GreaterThan(v)
	case policy.OpGe:
		return gseccomp.GreaterThanOrEqual(v)
	}
	// libseccomp (and Decide) mask the datum too.
	return gseccomp.MaskedEqual(uintptr(c.Mask), uintptr(c.Value&c.Mask))
}

func gvisorRule(r policy.Rule) gseccomp.SyscallRule {
	if r.Unconditional(true) {
		return gseccomp.MatchAll{}
	}
	var pa gseccomp.PerArg
	var and gseccomp.And
	for _, c := range r.Conds {
		if c.NoOp(true) {
			continue
		}
		if pa[c.Arg] == nil {
			pa[c.Arg] = gvisorMatcher(c)
			continue
		}
		var more gseccomp.PerArg
		more[c.Arg] = gvisorMatcher(c)
		and = append(and, more)
	}
	if len(and) == 0 {
		return pa
	}
	return append(gseccomp.And{pa}, and...)
}

// GVisorProgram translates the native ABI's rules into gVisor's types.
func GVisorProgram(oci *specs.LinuxSeccomp) (*gseccomp.Program, error) {
	p, err := Policy(oci)
	if err != nil {
		return nil, err
	}
	// One RuleSet per action, highest precedence first: gVisor uses the
	// first RuleSet that matches, Decide the matching rule of highest
	// precedence.
	var acts []policy.Action
	byAct := map[policy.Action]map[uintptr]gseccomp.SyscallRule{}
	for _, r := range nativeRules(p) {
		m, ok := byAct[r.Action]
		if !ok {
			m = map[uintptr]gseccomp.SyscallRule{}
			byAct[r.Action] = m
			acts = append(acts, r.Action)
		}
		nr := uintptr(r.Nr)
		rule := gvisorRule(r)
		switch old := m[nr].(type) {
		case nil:
			m[nr] = rule
		case gseccomp.MatchAll:
			// already unconditional
		case gseccomp.Or:
			m[nr] = append(old, rule)
		default:
			if _, all := rule.(gseccomp.MatchAll); all {
				m[nr] = rule
			} else {
				m[nr] = gseccomp.Or{old, rule}
			}
		}
	}
	slices.SortStableFunc(acts, func(a, b policy.Action) int { return b.Precedence() - a.Precedence() })
	prog := &gseccomp.Program{Options: gseccomp.ProgramOptions{
		DefaultAction: gvisorAction(p.DefaultAction),
		BadArchAction: gvisorAction(p.BadArch),
	}}
	for _, a := range acts {
		prog.RuleSets = append(prog.RuleSets, gseccomp.RuleSet{Rules: gseccomp.MakeSyscallRules(byAct[a]), Action: gvisorAction(a)})
	}
	return prog, nil
}

func buildGVisor(oci *specs.LinuxSeccomp) (bpf.Program, error) {
	gp, err := GVisorProgram(oci)
	if err != nil {
		return nil, err
	}
	insns, _, err := gp.Build()
	if err != nil {
		return nil, err
	}
	out := make(bpf.Program, len(insns))
	for i, ins := range insns {
		out[i] = bpf.Instruction{Op: ins.OpCode, Jt: ins.JumpIfTrue, Jf: ins.JumpIfFalse, K: ins.K}
	}
	return out, nil
}
