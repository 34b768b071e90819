package difftest

import (
	"math/rand/v2"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/syscalls"
)

// Target is a native ABI with the extra ABIs a profile may add to it (all
// of one byte order: libseccomp refuses to mix them in one filter).
type Target struct {
	Native string
	Extra  []string
}

// Targets are the ABI sets the random profiles use: every ABI libseccomp
// 2.5 supports, grouped as Docker's archMap groups them.
var Targets = []Target{
	{"x86_64", []string{"x86", "x32"}},
	{"aarch64", []string{"arm"}},
	{"s390x", []string{"s390"}},
	{"ppc64le", nil},
	{"ppc64", []string{"ppc"}},
	{"riscv64", nil},
	{"mips64", []string{"mips", "mips64n32"}},
	{"mipsel64", []string{"mipsel", "mipsel64n32"}},
	{"parisc64", []string{"parisc"}},
	{"x86", nil},
	{"arm", nil},
}

// Edge values for argument conditions: the word boundaries, sign bits,
// and values that differ only in the high word.
var Edges = []uint64{
	0, 1, 2, 0x7f, 0xff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	0x100000000, 0x100000001, 0x1ffffffff, 0x7fffffffffffffff, 1 << 63, 1<<63 | 1,
	^uint64(0), ^uint64(0) - 1, 0xffffffff00000000, 0x00000001ffffffff, 0x8000000000000000 | 0xffffffff,
	0xdeadbeef, 0x1deadbeef, 0xffffffffdeadbeef,
}

var (
	ociActions = []specs.LinuxSeccompAction{specs.ActKill, specs.ActKillThread, specs.ActKillProcess, specs.ActTrap,
		specs.ActErrno, specs.ActTrace, specs.ActLog, specs.ActAllow, specs.ActNotify}
	ociOps = []specs.LinuxSeccompOperator{specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
		specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual}
	muxNames = func() []string {
		var out []string
		for _, m := range []string{"socketcall", "ipc"} {
			for n := range syscalls.MuxCalls(m) {
				out = append(out, n)
			}
		}
		slices.Sort(out)
		return out
	}()
)

// Shape tunes a random profile.
type Shape struct {
	Entries    int     // syscall entries
	MaxNames   int     // names per entry, 1..MaxNames
	CondProb   float64 // chance an entry has argument conditions
	MaxConds   int
	RepeatProb float64 // chance an entry repeats an argument index (runc ORs them)
	ReuseProb  float64 // chance a name is reused from an earlier entry
	DefaultEq  float64 // chance an entry's action equals the default action
}

// RandomShape picks a profile size: mostly small, sometimes large enough
// (hundreds of conditional names) to need long jumps in a compiled filter.
func RandomShape(r *rand.Rand) Shape {
	s := Shape{Entries: 1 + r.IntN(12), MaxNames: 3, CondProb: 0.6, MaxConds: 3, RepeatProb: 0.25, ReuseProb: 0.3, DefaultEq: 0.1}
	switch r.IntN(10) {
	case 0:
		s.Entries, s.MaxNames, s.CondProb, s.ReuseProb = 80+r.IntN(120), 4, 0.5, 0.05
	case 1:
		s.Entries, s.MaxNames, s.CondProb = 20+r.IntN(40), 3, 0.3
	}
	return s
}

// Profile is a generated OCI config and the ABI it is meant for.
type Profile struct {
	Native *syscalls.Arch
	OCI    *specs.LinuxSeccomp
}

// RandomProfile generates an OCI seccomp config for one of the Targets:
// random default action and extra ABIs, entries with every action (errno
// and trace data included), every operator with 64-bit edge values,
// same-index ORs, names shared between entries, entries equal to the
// default action, socket and IPC names, and the odd unknown name.
func RandomProfile(r *rand.Rand, s Shape) Profile {
	t := Targets[r.IntN(len(Targets))]
	if r.IntN(2) == 0 {
		t = Targets[0] // x86_64 + x86 + x32 is what matters most
	}
	native, _ := syscalls.ArchByName(t.Native)
	oci := &specs.LinuxSeccomp{}
	set := []*syscalls.Arch{native}
	for _, e := range t.Extra {
		if r.IntN(3) > 0 {
			a, _ := syscalls.ArchByName(e)
			oci.Architectures = append(oci.Architectures, specs.Arch(a.OCI))
			set = append(set, a)
		}
	}
	if r.IntN(8) == 0 { // the native ABI listed explicitly too
		oci.Architectures = append(oci.Architectures, specs.Arch(native.OCI))
	}

	// Default action: ERRNO and KILL most often, as real profiles.
	for {
		oci.DefaultAction = ociActions[r.IntN(len(ociActions))]
		if r.IntN(3) == 0 {
			oci.DefaultAction = specs.ActErrno
		}
		if oci.DefaultAction != specs.ActNotify {
			break
		}
	}
	oci.DefaultErrnoRet = randomRet(r)

	// Candidate names: those of the ABIs in the set, plus mux names.
	var pool []string
	seen := map[string]bool{}
	for _, a := range set {
		for _, sc := range a.Syscalls() {
			if !seen[sc.Name] {
				seen[sc.Name] = true
				pool = append(pool, sc.Name)
			}
		}
	}
	var used []string
	pick := func() string {
		switch {
		case len(used) > 0 && r.Float64() < s.ReuseProb:
			return used[r.IntN(len(used))]
		case r.IntN(6) == 0:
			return muxNames[r.IntN(len(muxNames))]
		case r.IntN(60) == 0:
			return "no_such_syscall"
		case r.IntN(40) == 0:
			all := syscalls.Names()
			return all[r.IntN(len(all))] // maybe not on these ABIs
		}
		return pool[r.IntN(len(pool))]
	}

	for range s.Entries {
		var e specs.LinuxSyscall
		for range 1 + r.IntN(s.MaxNames) {
			n := pick()
			if !slices.Contains(e.Names, n) {
				e.Names = append(e.Names, n)
			}
		}
		used = append(used, e.Names...)
		if r.Float64() < s.DefaultEq {
			e.Action, e.ErrnoRet = oci.DefaultAction, oci.DefaultErrnoRet
		} else {
			e.Action = ociActions[r.IntN(len(ociActions))]
			e.ErrnoRet = randomRet(r)
		}
		if e.Action == specs.ActNotify && slices.Contains(e.Names, "write") {
			e.Action = specs.ActLog // runc refuses NOTIFY on write
		}
		if r.Float64() < s.CondProb {
			e.Args = randomArgs(r, s)
		}
		oci.Syscalls = append(oci.Syscalls, e)
	}
	return Profile{Native: native, OCI: oci}
}

func randomRet(r *rand.Rand) *uint {
	var v uint
	switch r.IntN(6) {
	case 0, 1, 2:
		return nil
	case 3:
		v = 0
	case 4:
		v = uint(r.IntN(4096))
	default:
		v = uint(1 + r.IntN(40))
	}
	return &v
}

func randomArgs(r *rand.Rand, s Shape) []specs.LinuxSeccompArg {
	n := 1 + r.IntN(s.MaxConds)
	var out []specs.LinuxSeccompArg
	var idx []uint
	for range n {
		var i uint
		if len(idx) > 0 && r.Float64() < s.RepeatProb {
			i = idx[r.IntN(len(idx))]
		} else {
			i = uint(r.IntN(6))
			if r.IntN(2) == 0 {
				i = uint(r.IntN(2)) // arguments 0 and 1 matter most
			}
		}
		idx = append(idx, i)
		a := specs.LinuxSeccompArg{Index: i, Op: ociOps[r.IntN(len(ociOps))], Value: randomValue(r)}
		if a.Op == specs.OpMaskedEqual {
			a.ValueTwo = randomValue(r)
			if r.IntN(3) == 0 {
				a.ValueTwo &= a.Value // a satisfiable pair more often
			}
		}
		out = append(out, a)
	}
	return out
}

func randomValue(r *rand.Rand) uint64 {
	switch r.IntN(5) {
	case 0, 1:
		return Edges[r.IntN(len(Edges))]
	case 2:
		return uint64(r.IntN(64))
	case 3:
		return r.Uint64()
	}
	return uint64(r.Uint32())
}
