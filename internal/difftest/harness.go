package difftest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	xbpf "golang.org/x/net/bpf"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// Answer tells what a filter returns (SECCOMP_RET_*) for a syscall.
type Answer func(in *Input) (uint32, error)

// Contestant is a filter compiler under test. Build compiles an OCI
// config for a native ABI, with runc's ENOSYS rule on or off, and returns
// how the result answers. The reference every contestant is held to is
// policy.Decide on policy.FromOCI's result.
//
// Adding a compiler is a few lines, e.g. for package compile:
//
//	difftest.Contestant{Name: "sysfence", Build: func(oci *specs.LinuxSeccomp, native *syscalls.Arch, enosys bool) (difftest.Filter, error) {
//		p, _, err := policy.FromOCI(oci, native, policy.Options{ENOSYS: enosys})
//		if err != nil {
//			return difftest.Filter{}, err
//		}
//		prog, err := compile.Compile(p, compile.Options{})
//		if err != nil {
//			return difftest.Filter{}, err
//		}
//		return difftest.Filter{Answer: difftest.ProgramAnswer(prog)}, nil
//	}}
type Contestant struct {
	Name  string
	Build func(oci *specs.LinuxSeccomp, native *syscalls.Arch, enosys bool) (Filter, error)
}

// Filter is what a contestant built.
type Filter struct {
	Answer Answer
	// Excuse, if not nil, may name a known defect of the contestant that
	// explains a disagreement on an input the reference decides by its
	// rules or default action ("" if it does not). Excused disagreements
	// are counted and shown, not failed.
	Excuse func(in *Input, got, want uint32) string
}

// ProgramAnswer answers by running a BPF program on sysfence's emulator,
// in the byte order of the ABI the AUDIT_ARCH token belongs to.
func ProgramAnswer(p bpf.Program) Answer {
	return func(in *Input) (uint32, error) {
		d := bpf.Data{Nr: in.Nr, Arch: in.Arch, Args: in.Args}
		r, err := bpf.Run(p, &d, BigEndian(in.Arch), false)
		return r.Ret, err
	}
}

// DecideAnswer answers with the reference semantics.
func DecideAnswer(p *policy.Policy) Answer {
	return func(in *Input) (uint32, error) {
		args := in.Args
		return uint32(p.Decide(in.Arch, in.Nr, &args).Action), nil
	}
}

// Conflict reports whether Decide's rule 4 decides the input: no
// unconditional rule, and matching conditional rules of different action
// kinds. There libseccomp's answer depends on its internal tree order,
// so differential tests leave such inputs out (and count them).
func Conflict(p *policy.Policy, in *Input) bool {
	d, matching, _ := decided(p, in)
	for _, r := range matching {
		if r.Action.Kind() != d.Action.Kind() {
			return true
		}
	}
	return false
}

// SameKind reports whether Decide's rule 5 had a say: the matching
// conditional rules of the deciding action kind have more than one action
// (ERRNO(5) and ERRNO(6)).
func SameKind(p *policy.Policy, in *Input) bool {
	return len(sameKindActions(p, in, false)) > 1
}

// ProfileOrder reports whether Decide's answer for the input rests on
// profile order: of the matching rules of the deciding kind, those that no
// other matching rule with other data tightens (rule 5) do not all act
// alike, so the first of them in profile order decides. libseccomp's tests
// do not define its answer there (it follows the order of its rule tree or
// the order rules were added in), so differential tests set such inputs
// aside (and count them).
func ProfileOrder(p *policy.Policy, in *Input) bool {
	return len(sameKindActions(p, in, true)) > 1
}

// sameKindActions returns the actions of the matching conditional rules of
// the deciding rule's kind, leaving out, if untightened, the rules that
// another matching rule of that kind with other data tightens. It looks at
// the rules only, not at which one Decide chose.
func sameKindActions(p *policy.Policy, in *Input, untightened bool) map[policy.Action]bool {
	d, matching, is64 := decided(p, in)
	var kind []*policy.Rule
	for _, r := range matching {
		if r.Action.Kind() == d.Action.Kind() {
			kind = append(kind, r)
		}
	}
	acts := map[policy.Action]bool{}
	for _, r := range kind {
		tightened := false
		for _, s := range kind {
			if untightened && s.Action != r.Action {
				if _, ok := s.Tightens(r, is64); ok {
					tightened = true
					break
				}
			}
		}
		if !tightened {
			acts[r.Action] = true
		}
	}
	return acts
}

// decided returns the rule that decides the input when Decide's answer
// comes from a conditional rule (nil otherwise), the rules of its syscall
// that match the input, in profile order (it among them), and whether its
// ABI is 64-bit.
func decided(p *policy.Policy, in *Input) (d *policy.Rule, matching []*policy.Rule, is64 bool) {
	args := in.Args
	dec := p.Decide(in.Arch, in.Nr, &args)
	if dec.Why != policy.WhyRule {
		return nil, nil, false
	}
	for _, ap := range p.Arches {
		is64 := ap.Arch.Is64()
		for i := range ap.Rules {
			if &ap.Rules[i] != dec.Rule {
				continue
			}
			if dec.Rule.Unconditional(is64) {
				return nil, nil, false
			}
			for j := range ap.Rules {
				if r := &ap.Rules[j]; r.Nr == in.Nr && r.Matches(&args, is64) {
					matching = append(matching, r)
				}
			}
			return dec.Rule, matching, is64
		}
	}
	return nil, nil, false
}

// Disagreement is one input on which a contestant and the reference differ.
type Disagreement struct {
	Contestant string
	Seed       uint64
	Profile    int // index of the profile in the run
	Native     string
	ENOSYS     bool
	OCI        *specs.LinuxSeccomp
	Input      Input
	Want, Got  uint32
	Err        error
	Excuse     string // set when the contestant's Excuse explained it
}

func (d *Disagreement) String() string {
	js, _ := json.MarshalIndent(d.OCI, "  ", "  ")
	got := policy.Action(d.Got).String()
	if d.Err != nil {
		got = "error: " + d.Err.Error()
	}
	head := "disagrees with"
	if d.Excuse != "" {
		head = "(excused: " + d.Excuse + ") disagrees with"
	}
	return fmt.Sprintf("%s %s policy.Decide (seed %d, profile %d, native %s, enosys %v)\n  input: %s\n  Decide: %s (%#x)\n  %s: %s (%#x)\n  profile: %s",
		d.Contestant, head, d.Seed, d.Profile, d.Native, d.ENOSYS, d.Input.String(),
		policy.Action(d.Want), d.Want, d.Contestant, got, d.Got, js)
}

// Stats counts what a run compared.
type Stats struct {
	Profiles  int // profiles compared
	Decisions int // (contestant, input) pairs compared
	Excluded  int // inputs left out under Decide's rule 4
	SetAside  int // inputs left out because profile order decides (ProfileOrder)
	SameKind  int // inputs compared that rule 5 decides (SameKind, not ProfileOrder)
	Disagree  int
	Excused   map[string]int // disagreements explained by a known defect, by reason
}

func (s *Stats) Add(o Stats) {
	s.Profiles += o.Profiles
	s.Decisions += o.Decisions
	s.Excluded += o.Excluded
	s.SetAside += o.SetAside
	s.SameKind += o.SameKind
	s.Disagree += o.Disagree
	for k, v := range o.Excused {
		if s.Excused == nil {
			s.Excused = map[string]int{}
		}
		s.Excused[k] += v
	}
}

// Compare holds each contestant's answers for the inputs to the
// reference's. It returns the disagreements (at most max, plus at most max
// excused ones as examples) and the counts.
func Compare(ref *policy.Policy, filters map[string]Filter, inputs []Input, max int) (dis, excused []Disagreement, st Stats) {
	for i := range inputs {
		in := &inputs[i]
		if Conflict(ref, in) {
			st.Excluded++
			continue
		}
		if ProfileOrder(ref, in) {
			st.SetAside++
			continue
		}
		if SameKind(ref, in) {
			st.SameKind++
		}
		args := in.Args
		d := ref.Decide(in.Arch, in.Nr, &args)
		w := uint32(d.Action)
		for name, f := range filters {
			st.Decisions++
			got, err := f.Answer(in)
			if err == nil && got == w {
				continue
			}
			dd := Disagreement{Contestant: name, Input: *in, Want: w, Got: got, Err: err}
			if err == nil && f.Excuse != nil && (d.Why == policy.WhyRule || d.Why == policy.WhyDefault) {
				if why := f.Excuse(in, got, w); why != "" {
					if st.Excused == nil {
						st.Excused = map[string]int{}
					}
					st.Excused[why]++
					if len(excused) < max {
						dd.Excuse = why
						excused = append(excused, dd)
					}
					continue
				}
			}
			st.Disagree++
			if len(dis) < max {
				dis = append(dis, dd)
			}
		}
	}
	return dis, excused, st
}

// XNetAnswer runs a program on golang.org/x/net/bpf's VM, an independent
// cBPF interpreter, to guard against an emulator bug hiding a
// disagreement. The VM loads big-endian words from a packet, so the packet
// is seccomp_data laid out in the ABI's byte order with every 32-bit word
// re-encoded big-endian: each load then sees what the kernel's native
// load would.
func XNetAnswer(p bpf.Program) (Answer, error) {
	raw := make([]xbpf.RawInstruction, len(p))
	for i, ins := range p {
		raw[i] = xbpf.RawInstruction{Op: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	insns, ok := xbpf.Disassemble(raw)
	if !ok {
		return nil, fmt.Errorf("x/net/bpf cannot disassemble the program")
	}
	vm, err := xbpf.NewVM(insns)
	if err != nil {
		return nil, err
	}
	return func(in *Input) (uint32, error) {
		var order binary.ByteOrder = binary.LittleEndian
		if BigEndian(in.Arch) {
			order = binary.BigEndian
		}
		mem := make([]byte, 64)
		order.PutUint32(mem[0:], in.Nr)
		order.PutUint32(mem[4:], in.Arch)
		for i, a := range in.Args {
			order.PutUint64(mem[16+8*i:], a)
		}
		pkt := make([]byte, 64)
		for off := 0; off < 64; off += 4 {
			binary.BigEndian.PutUint32(pkt[off:], order.Uint32(mem[off:]))
		}
		v, err := vm.Run(pkt)
		return uint32(v), err
	}, nil
}

// JSON renders an OCI config for logs.
func JSON(oci *specs.LinuxSeccomp) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetIndent("", " ")
	_ = enc.Encode(oci)
	return b.String()
}
