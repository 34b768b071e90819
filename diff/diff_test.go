package diff

import (
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/moby/profiles/seccomp"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/compile"
	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/internal/difftest"
	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/lift"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// randomPolicy makes a policy for one of difftest's targets: a few
// syscall numbers with rules of every action and operator, edge values.
func randomPolicy(r *rand.Rand) *policy.Policy {
	tg := difftest.Targets[r.IntN(len(difftest.Targets))]
	native, _ := syscalls.ArchByName(tg.Native)
	p := &policy.Policy{DefaultAction: randomAction(r), BadArch: []policy.Action{policy.ActKillThread, policy.ActKillProcess, policy.Errno(1)}[r.IntN(3)], ENOSYS: r.IntN(2) == 0}
	arches := []*syscalls.Arch{native}
	for _, e := range tg.Extra {
		if r.IntN(2) == 0 {
			a, _ := syscalls.ArchByName(e)
			arches = append(arches, a)
		}
	}
	for _, a := range arches {
		ap := &policy.ArchPolicy{Arch: a}
		table := a.Syscalls()
		for range 1 + r.IntN(12) {
			sc := table[r.IntN(len(table))]
			for range 1 + r.IntN(3) {
				rule := policy.Rule{Nr: sc.Nr, Action: randomAction(r), Origin: policy.Origin{Name: sc.Name}}
				for range r.IntN(3) {
					rule.Conds = append(rule.Conds, randomCond(r))
				}
				ap.Rules = append(ap.Rules, rule)
				ap.MaxNr = max(ap.MaxNr, sc.Nr)
			}
		}
		p.Arches = append(p.Arches, ap)
	}
	return p
}

func randomAction(r *rand.Rand) policy.Action {
	return []policy.Action{policy.ActAllow, policy.ActAllow, policy.Errno(1), policy.Errno(38), policy.ActKillProcess,
		policy.ActKillThread, policy.ActTrap, policy.Trace(3), policy.ActLog, policy.ActUserNotif}[r.IntN(10)]
}

func randomCond(r *rand.Rand) policy.Cond {
	c := policy.Cond{Arg: uint8(r.IntN(6)), Op: policy.Op(1 + r.IntN(7)), Value: difftest.Edges[r.IntN(len(difftest.Edges))]}
	if r.IntN(3) == 0 {
		c.Value = uint64(r.IntN(64))
	}
	if c.Op == policy.OpMaskedEq {
		c.Mask = []uint64{0xff, 0x7e020000, 0xffffffff, 0xffffffff00000000, ^uint64(0), r.Uint64()}[r.IntN(6)]
	}
	return c
}

// mutate returns a copy of p changed in one or two places.
func mutate(r *rand.Rand, p *policy.Policy) *policy.Policy {
	q := &policy.Policy{DefaultAction: p.DefaultAction, BadArch: p.BadArch, ENOSYS: p.ENOSYS}
	for _, ap := range p.Arches {
		c := &policy.ArchPolicy{Arch: ap.Arch, MaxNr: ap.MaxNr}
		for _, rule := range ap.Rules {
			rule.Conds = slices.Clone(rule.Conds)
			c.Rules = append(c.Rules, rule)
		}
		q.Arches = append(q.Arches, c)
	}
	for range 1 + r.IntN(2) {
		ap := q.Arches[r.IntN(len(q.Arches))]
		switch k := r.IntN(8); {
		case k == 0:
			q.DefaultAction = randomAction(r)
		case k == 1:
			q.ENOSYS = !q.ENOSYS
		case k == 2 && len(ap.Rules) > 0:
			i := r.IntN(len(ap.Rules))
			ap.Rules = slices.Delete(ap.Rules, i, i+1)
		case k == 3 && len(ap.Rules) > 0:
			ap.Rules[r.IntN(len(ap.Rules))].Action = randomAction(r)
		case k <= 5 && len(ap.Rules) > 0:
			rule := &ap.Rules[r.IntN(len(ap.Rules))]
			if len(rule.Conds) == 0 {
				rule.Conds = append(rule.Conds, randomCond(r))
			} else {
				c := &rule.Conds[r.IntN(len(rule.Conds))]
				c.Value += uint64(r.IntN(3)) - 1
			}
		default:
			table := ap.Arch.Syscalls()
			sc := table[r.IntN(len(table))]
			ap.Rules = append(ap.Rules, policy.Rule{Nr: sc.Nr, Action: randomAction(r), Conds: []policy.Cond{randomCond(r)}})
			ap.MaxNr = max(ap.MaxNr, sc.Nr)
		}
	}
	return q
}

// index finds the findings that hold an input.
type index struct {
	byToken map[uint32][]*Finding // sorted by Lo
	other   []*Finding
}

func newIndex(fs []Finding) *index {
	ix := &index{byToken: map[uint32][]*Finding{}}
	for i := range fs {
		f := &fs[i]
		if f.ABI == nil {
			ix.other = append(ix.other, f)
			continue
		}
		ix.byToken[f.ABI.AuditArch] = append(ix.byToken[f.ABI.AuditArch], f)
	}
	for _, l := range ix.byToken {
		sort.SliceStable(l, func(i, j int) bool { return l[i].Lo < l[j].Lo })
	}
	return ix
}

func (ix *index) find(d *bpf.Data) []*Finding {
	var out []*Finding
	l := ix.byToken[d.Arch]
	i := sort.Search(len(l), func(i int) bool { return l[i].Lo > d.Nr })
	for j := i - 1; j >= 0 && j >= i-64; j-- {
		if l[j].Contains(d) {
			out = append(out, l[j])
		}
	}
	for _, f := range ix.other {
		if f.Contains(d) {
			out = append(out, f)
		}
	}
	return out
}

// TestRandomPairs holds Compare to the emulator on random pairs of
// policies (one a mutation of the other): every witness gets the stated
// answers from both compiled programs, and on random inputs the programs
// answer differently exactly where a finding says so.
func TestRandomPairs(t *testing.T) {
	seed := testenv.Seed(t)
	r := rand.New(rand.NewPCG(seed, 11))
	pairs, nfind, inputs, differing := 0, 0, 0, 0
	for n := 0; pairs < 600; n++ {
		pa := randomPolicy(r)
		pb := mutate(r, pa)
		progA, err := compile.Compile(pa, compile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		progB, err := compile.Compile(pb, compile.Options{})
		if err != nil {
			t.Fatal(err)
		}
		be := pa.Arches[0].Arch.BigEndian
		s := lift.NewSpace()
		fa, err := s.Program(progA.Filter, be)
		if err != nil {
			t.Fatal(err)
		}
		fb, err := s.Program(progB.Filter, be)
		if err != nil {
			t.Fatal(err)
		}
		found, err := Compare(fa, fb)
		if err != nil {
			t.Fatal(err)
		}
		pairs++
		nfind += len(found)
		for _, f := range found {
			x, _ := bpf.Run(progA.Filter, &f.Witness, be, false)
			y, _ := bpf.Run(progB.Filter, &f.Witness, be, false)
			if x.Ret != f.A || y.Ret != f.B || x.Ret == y.Ret {
				t.Fatalf("pair %d (seed %d): %s: the programs answer %v and %v", n, seed, f.String(), Action(x.Ret), Action(y.Ret))
			}
		}
		ix := newIndex(found)
		ins := difftest.Inputs(r, pa, 2500)
		ins = append(ins, difftest.Inputs(r, pb, 2500)...)
		for range 300 {
			as := syscalls.Arches()
			ins = append(ins, difftest.Input{Arch: as[r.IntN(len(as))].AuditArch, Nr: r.Uint32() % 1000, Args: [6]uint64{r.Uint64(), r.Uint64()}})
		}
		for _, in := range ins {
			d := bpf.Data{Arch: in.Arch, Nr: in.Nr, Args: in.Args}
			x, _ := bpf.Run(progA.Filter, &d, be, false)
			y, _ := bpf.Run(progB.Filter, &d, be, false)
			inputs++
			hold := ix.find(&d)
			if x.Ret != y.Ret {
				differing++
				if len(hold) != 1 || hold[0].A != x.Ret || hold[0].B != y.Ret {
					t.Fatalf("pair %d (seed %d): %+v: A %v, B %v, but findings %v", n, seed, d, Action(x.Ret), Action(y.Ret), hold)
				}
			} else if len(hold) > 0 {
				t.Fatalf("pair %d (seed %d): %+v: both answer %v, but %s", n, seed, d, Action(x.Ret), hold[0].String())
			}
		}
	}
	t.Logf("%d random pairs, %d findings, every witness confirmed by the emulator; %d inputs (%d answered differently) agree with the findings", pairs, nfind, inputs, differing)
}

func dockerFor(t testing.TB, a *syscalls.Arch, caps []string) bpf.Program {
	t.Helper()
	res, err := build.Build(build.Request{Ref: "docker-default", Arch: a, Caps: caps})
	if err != nil {
		t.Fatal(err)
	}
	return res.Program.Filter
}

// TestDockerCapabilities: Docker's default for the default capability set
// and for it plus CAP_SYS_ADMIN differs exactly in the syscalls whose
// entries name CAP_SYS_ADMIN, on every ABI of an x86_64 host.
func TestDockerCapabilities(t *testing.T) {
	x86_64, _ := syscalls.ArchByName("x86_64")
	withAdmin := append(profile.DockerDefaultCaps(), "CAP_SYS_ADMIN")
	s := lift.NewSpace()
	fa, err := s.Program(dockerFor(t, x86_64, nil), false)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := s.Program(dockerFor(t, x86_64, withAdmin), false)
	if err != nil {
		t.Fatal(err)
	}
	found, err := Compare(fa, fb)
	if err != nil {
		t.Fatal(err)
	}
	// The names of the entries that CAP_SYS_ADMIN includes or excludes,
	// from moby's own profile.
	prof, err := profile.Builtin("docker-default")
	if err != nil {
		t.Fatal(err)
	}
	gated := map[string]bool{}
	for _, e := range prof.Seccomp.Syscalls {
		if names(e.Includes) || names(e.Excludes) {
			if e.Includes != nil && len(e.Includes.Arches) > 0 && !slices.Contains(e.Includes.Arches, "amd64") {
				continue // another host's entry
			}
			if e.Excludes != nil && slices.Contains(e.Excludes.Arches, "amd64") {
				continue
			}
			for _, n := range e.Names {
				gated[n] = true
			}
		}
	}
	for _, abiName := range []string{"x86_64", "x86", "x32"} {
		abi, _ := syscalls.ArchByName(abiName)
		want := map[string]bool{}
		for n := range gated {
			if _, ok := abi.Number(n); ok {
				want[n] = true
			}
		}
		got := map[string]bool{}
		for _, f := range found {
			if f.ABI != abi {
				continue
			}
			for nr := f.Lo; nr <= f.Hi; nr++ {
				n, ok := abi.SyscallName(nr)
				if !ok {
					t.Errorf("%s: a number without a name differs: %s", abiName, f.String())
					break
				}
				got[n] = true
			}
			if f.B != 0x7fff0000 || policy.Action(f.A).Kind() != policy.ActErrno {
				t.Errorf("%s: %s", abiName, f.String())
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: the diff names %v; the entries gated by CAP_SYS_ADMIN name %v", abiName, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
		t.Logf("%s: %d syscalls differ, as the profile's CAP_SYS_ADMIN entries say", abiName, len(got))
	}
	for _, f := range found {
		if f.ABI == nil {
			t.Errorf("other architectures differ: %s", f.String())
		}
	}
	// Subset: the default set is never more permissive than with
	// CAP_SYS_ADMIN; the other way round it is, in the same places.
	if sub, err := Subset(fa, fb); err != nil || len(sub) > 0 {
		t.Errorf("default ⊆ sys_admin: %v %v", sub, err)
	}
	sub, err := Subset(fb, fa)
	if err != nil || len(sub) != len(found) {
		t.Errorf("sys_admin ⊆ default: %d findings, want %d (%v)", len(sub), len(found), err)
	}
}

func names(f *seccomp.Filter) bool { return f != nil && slices.Contains(f.Caps, "CAP_SYS_ADMIN") }

// TestIdentical: a filter against itself, and a policy's filter against
// the filter of the policy lifted from it, have no finding.
func TestIdentical(t *testing.T) {
	x86_64, _ := syscalls.ArchByName("x86_64")
	prog := dockerFor(t, x86_64, nil)
	s := lift.NewSpace()
	f, err := s.Program(prog, false)
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.Program(slices.Clone(prog), false)
	if err != nil {
		t.Fatal(err)
	}
	if found, err := Compare(f, g); err != nil || found != nil {
		t.Fatalf("%v %v", found, err)
	}
	p, err := f.Policy(x86_64)
	if err != nil {
		t.Fatal(err)
	}
	again, err := compile.Compile(p, compile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.Program(again.Filter, false)
	if err != nil {
		t.Fatal(err)
	}
	if found, err := Compare(f, h); err != nil || found != nil {
		t.Fatalf("%v %v", found, err)
	}
}

// TestFindingString pins the text of a finding on Docker's default.
func TestFindingString(t *testing.T) {
	x86_64, _ := syscalls.ArchByName("x86_64")
	s := lift.NewSpace()
	fa, err := s.Program(dockerFor(t, x86_64, nil), false)
	if err != nil {
		t.Fatal(err)
	}
	// B: allow personality whatever its argument, on every ABI.
	p, err := fa.Policy(x86_64)
	if err != nil {
		t.Fatal(err)
	}
	for _, ap := range p.Arches {
		if nr, ok := ap.Arch.Number("personality"); ok {
			ap.Rules = append([]policy.Rule{{Nr: nr, Action: policy.ActAllow}}, ap.Rules...)
		}
	}
	prog, err := compile.Compile(p, compile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fb, err := s.Program(prog.Filter, false)
	if err != nil {
		t.Fatal(err)
	}
	found, err := Compare(fa, fb, x86_64)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, f := range found {
		lines = append(lines, f.String())
	}
	want := []string{
		"x86_64 personality(arg0 ∉ {0, 8, 0x20000, 0x20008, 0xffffffff}): A ERRNO(EPERM), B ALLOW — e.g. personality(0x1)",
		"x86 personality(arg0 ∉ {0, 8, 0x20000, 0x20008, 0xffffffff}): A ERRNO(EPERM), B ALLOW — e.g. personality(0x1)",
		"x32 personality(arg0 ∉ {0, 8, 0x20000, 0x20008, 0xffffffff}): A ERRNO(EPERM), B ALLOW — e.g. personality(0x1)",
	}
	if got := strings.Join(lines, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}
