// Package profilegen writes large, realistic seccomp profiles for memory
// and speed tests of the parser and the pipeline: deterministic for a
// seed, so that a measure taken on them can be asserted.
package profilegen

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/syscalls"
)

// Shape says what the profile is made of.
type Shape int

const (
	// Entries is many syscall entries as big real profiles have them
	// (Docker's default, recorded profiles merged over many runs): a few
	// names each, argument conditions, comments, includes/excludes and
	// errno values.
	Entries Shape = iota
	// HugeNames is one entry whose names list holds every name of the
	// profile, repeated (a generated deny list).
	HugeNames
)

func (s Shape) String() string {
	if s == HugeNames {
		return "huge-names"
	}
	return "entries"
}

// Docker profile JSON of at least size bytes, of the given shape, written
// as moby writes default.json (json.MarshalIndent with tabs) when indent
// is set, or compact. The same arguments give the same bytes.
func Docker(shape Shape, size int, indent bool, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x5eccf11e))
	names := syscalls.Names()
	s := &seccomp.Seccomp{
		LinuxSeccomp: specs.LinuxSeccomp{DefaultAction: specs.ActErrno},
		ArchMap: []seccomp.Architecture{
			{Arch: specs.ArchX86_64, SubArches: []specs.Arch{specs.ArchX86, specs.ArchX32}},
			{Arch: specs.ArchAARCH64, SubArches: []specs.Arch{specs.ArchARM}},
		},
	}
	eperm := uint(1)
	s.DefaultErrnoRet = &eperm
	// Entries are added in batches and the text measured after each: the
	// size of the JSON is what the caller asked for.
	var huge *seccomp.Syscall
	if shape == HugeNames {
		huge = &seccomp.Syscall{LinuxSyscall: specs.LinuxSyscall{Action: specs.ActAllow}}
		s.Syscalls = []*seccomp.Syscall{huge}
	}
	batch, items := 64, 0
	for {
		for range batch {
			if huge != nil {
				huge.Names = append(huge.Names, names[r.IntN(len(names))])
				continue
			}
			s.Syscalls = append(s.Syscalls, entry(r, names, len(s.Syscalls)))
		}
		items += batch
		data := marshal(s, indent)
		if len(data) >= size {
			return data
		}
		// What is missing, at the bytes per item so far (plus one, so
		// that the next text is large enough, or nearly): a few marshals
		// whatever the size.
		batch = (size-len(data))/max(len(data)/items, 1) + 1
	}
}

func marshal(s *seccomp.Seccomp, indent bool) []byte {
	var data []byte
	var err error
	if indent {
		data, err = json.MarshalIndent(s, "", "\t")
	} else {
		data, err = json.Marshal(s)
	}
	if err != nil {
		panic(err) // moby's types always marshal
	}
	return append(data, '\n')
}

var (
	actions  = []specs.LinuxSeccompAction{specs.ActAllow, specs.ActAllow, specs.ActAllow, specs.ActErrno, specs.ActLog, specs.ActTrace, specs.ActKillProcess}
	ops      = []specs.LinuxSeccompOperator{specs.OpEqualTo, specs.OpNotEqual, specs.OpMaskedEqual, specs.OpGreaterThan, specs.OpLessEqual}
	caps     = []string{"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_NET_ADMIN", "CAP_SYS_BOOT", "CAP_BPF", "CAP_PERFMON"}
	arches   = []string{"amd64", "x86", "arm64", "arm", "s390x", "ppc64le", "riscv64"}
	comments = []string{
		"recorded by sysfence record --args from ./app --self-test",
		"needed by the JIT: mprotect with PROT_EXEC on anonymous memory only",
		"s390 parameter ordering for clone is different",
		"",
	}
)

// entry is one syscall entry as real profiles write them.
func entry(r *rand.Rand, names []string, i int) *seccomp.Syscall {
	e := &seccomp.Syscall{LinuxSyscall: specs.LinuxSyscall{Action: actions[r.IntN(len(actions))]}}
	for range 1 + r.IntN(8) {
		e.Names = append(e.Names, names[r.IntN(len(names))])
	}
	switch e.Action {
	case specs.ActErrno:
		v := uint(1 + r.IntN(133))
		e.ErrnoRet = &v
	case specs.ActTrace:
		v := uint(r.IntN(4096))
		e.ErrnoRet = &v
	}
	if r.IntN(3) == 0 {
		for range 1 + r.IntN(3) {
			a := specs.LinuxSeccompArg{Index: uint(r.IntN(6)), Value: r.Uint64() >> uint(r.IntN(64)), Op: ops[r.IntN(len(ops))]}
			if a.Op == specs.OpMaskedEqual {
				a.ValueTwo = a.Value & 0xffff
			}
			e.Args = append(e.Args, a)
		}
	}
	if c := comments[r.IntN(len(comments))]; c != "" {
		e.Comment = fmt.Sprintf("%s (entry %d)", c, i)
	}
	switch r.IntN(6) {
	case 0:
		e.Includes = &seccomp.Filter{Caps: []string{caps[r.IntN(len(caps))]}}
	case 1:
		e.Includes = &seccomp.Filter{Arches: []string{arches[r.IntN(len(arches))]}}
		if r.IntN(2) == 0 {
			e.Includes.MinKernel = &seccomp.KernelVersion{Kernel: 4, Major: uint64(r.IntN(20))}
		}
	case 2:
		e.Excludes = &seccomp.Filter{Caps: []string{caps[r.IntN(len(caps))]}}
	}
	return e
}
