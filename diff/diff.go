package diff

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/sysdecode"
	"github.com/sysfence/sysfence/lift"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// Finding is one place where A and B decide differently: a run of
// syscall numbers of one ABI (or of architecture values that are no ABI)
// and a region of argument values, with both answers and one concrete
// call in it.
type Finding struct {
	// ABI is the ABI of the numbers; nil for architecture values that are
	// no ABI of either filter (then Arches says which).
	ABI    *syscalls.Arch
	Arches lift.Set
	// Lo and Hi bound the run of syscall numbers (as seccomp_data.nr
	// has them: x32 numbers with the x32 bit).
	Lo, Hi uint32
	// Region is where the arguments differ, as boxes; nil means for
	// every argument value.
	Region []lift.Box
	// A and B are the two filters' return values there.
	A, B uint32
	// Witness is one call in the region: A answers A, B answers B.
	Witness bpf.Data
}

// Compare returns every place where a and b (lifted filters of one
// Space) decide differently, exactly: the inputs of all findings are
// precisely those on which the two return different values. include
// names ABIs to lay out even where neither filter treats their token
// apart (the ABIs both sides were built for), so that their numbers get
// names. Findings come ABI by ABI in table order (an ABI's numbers in
// increasing order), then other architecture values.
func Compare(a, b lift.Func, include ...*syscalls.Arch) ([]Finding, error) {
	return findings(a, b, func(x, y uint64) bool { return x != y }, include)
}

// Subset returns the places where a decides more permissively than b
// (nothing when a never does): where a's action ranks below b's in the
// kernel's precedence (KILL_PROCESS > KILL_THREAD > TRAP > ERRNO >
// USER_NOTIF > TRACE > LOG > ALLOW). Actions of one kind with different
// data (ERRNO(EPERM) and ERRNO(ENOSYS), TRACE(1) and TRACE(2)) are
// equally permissive: both refuse the call, or both hand it to a tracer;
// Compare still lists them.
func Subset(a, b lift.Func, include ...*syscalls.Arch) ([]Finding, error) {
	return findings(a, b, func(x, y uint64) bool {
		return policy.Action(x).Precedence() < policy.Action(y).Precedence()
	}, include)
}

func findings(a, b lift.Func, differ func(x, y uint64) bool, include []*syscalls.Arch) ([]Finding, error) {
	d, pairs := lift.Differ(a, b, differ)
	if v, ok := d.Const(); ok && v == 0 {
		return nil, nil
	}
	t, err := d.Table(include...)
	if err != nil {
		return nil, err
	}
	var out []Finding
	add := func(abi *syscalls.Arch, arches lift.Set, token uint32, r lift.Range) error {
		if v, ok := r.Out.Const(); ok {
			if v != 0 {
				f := Finding{ABI: abi, Arches: arches, Lo: r.Lo, Hi: r.Hi, A: uint32(pairs[v-1].A), B: uint32(pairs[v-1].B)}
				f.Witness = bpf.Data{Arch: token, Nr: witnessNr(abi, r.Lo, r.Hi)}
				out = append(out, f)
			}
			return nil
		}
		cases, err := r.Out.Cases()
		if err != nil {
			return err
		}
		for _, c := range cases {
			if c.Value == 0 {
				continue
			}
			p := pairs[c.Value-1]
			f := Finding{ABI: abi, Arches: arches, Lo: r.Lo, Hi: r.Hi, Region: c.Boxes, A: uint32(p.A), B: uint32(p.B)}
			args, ip := c.Boxes[0].MinInput()
			f.Witness = bpf.Data{Arch: token, Nr: witnessNr(abi, r.Lo, r.Hi), Args: args, InstructionPointer: ip}
			out = append(out, f)
		}
		return nil
	}
	for _, abi := range t.ABIs {
		for _, r := range abi.Ranges {
			if err := add(abi.Arch, lift.Set{}, abi.Arch.AuditArch, r); err != nil {
				return nil, err
			}
		}
	}
	for _, g := range t.Other {
		for _, r := range g.Ranges {
			if err := add(nil, g.Arches, uint32(g.Arches.Min()), r); err != nil {
				return nil, err
			}
		}
	}
	// Every witness must lie where its finding says: A and B answer
	// there as stated.
	for i := range out {
		f := &out[i]
		if x, y := a.Eval(&f.Witness), b.Eval(&f.Witness); x != uint64(f.A) || y != uint64(f.B) {
			return nil, fmt.Errorf("diff: internal error: witness %+v gets %#x and %#x, not %#x and %#x", f.Witness, x, y, f.A, f.B)
		}
	}
	return out, nil
}

// witnessNr picks the number of a run to show: the first with a name.
func witnessNr(abi *syscalls.Arch, lo, hi uint32) uint32 {
	if abi == nil {
		return lo
	}
	for nr := uint64(lo); nr <= uint64(hi) && nr < uint64(lo)+4096; nr++ {
		if _, ok := abi.SyscallName(uint32(nr)); ok {
			return uint32(nr)
		}
	}
	return lo
}

// Numbers names a finding's run of syscall numbers: "openat", "mount,
// umount2", "nr 0x1cf-0x3fffffff", "nr 0x1c0-0x3fffffff (fchmodat2,
// map_shadow_stack, …)".
func (f *Finding) Numbers() string { return lift.RunString(f.ABI, f.Lo, f.Hi) }

// Where names the ABI (or architecture values) of a finding: "x86_64",
// "arch ∉ {0xc000003e, 0x40000003}".
func (f *Finding) Where() string {
	if f.ABI != nil {
		return f.ABI.Name
	}
	return f.Arches.String("arch")
}

// RegionString renders the argument region ("" for every argument value).
func (f *Finding) RegionString() string {
	if f.Region == nil {
		return ""
	}
	return lift.RegionString(f.Region, f.ABI == nil || f.ABI.Is64())
}

// Call renders the witness as a call: "personality(0x1)", or for
// architecture values that are no ABI "arch 0x0, nr 0".
func (f *Finding) Call() string {
	if f.ABI == nil {
		return fmt.Sprintf("arch %s, nr %s", lift.Num(uint64(f.Witness.Arch)), lift.Num(uint64(f.Witness.Nr)))
	}
	call := sysdecode.Decoder{Arch: f.ABI, Native: f.ABI}.Call(f.Witness.Nr, f.Witness.Args)
	if !f.ABI.Is64() {
		// The decoder shows what a 32-bit ABI passes; a region that
		// needs high words says so.
		for i, v := range f.Witness.Args {
			if v>>32 != 0 {
				call += fmt.Sprintf(" with args[%d] = %#x", i, v)
			}
		}
	}
	if f.Witness.InstructionPointer != 0 {
		call += fmt.Sprintf(" at ip %#x", f.Witness.InstructionPointer)
	}
	return call
}

// String is the finding on one line, e.g.
//
//	x86_64 personality(arg0 ∉ {0, 8, 0x20000, 0x20008, 0xffffffff}): A ERRNO(EPERM), B ALLOW — e.g. personality(0x1)
func (f *Finding) String() string {
	var b strings.Builder
	b.WriteString(f.Where())
	b.WriteByte(' ')
	b.WriteString(f.Numbers())
	if r := f.RegionString(); r != "" {
		b.WriteString("(" + r + ")")
	}
	fmt.Fprintf(&b, ": A %s, B %s — e.g. %s", Action(f.A), Action(f.B), f.Call())
	return b.String()
}

// Action names a return value as scmp_bpf_sim does, with errno names:
// ALLOW, ERRNO(EPERM), KILL_PROCESS, TRACE(7).
func Action(ret uint32) string { return lift.Action(uint64(ret)) }

// Contains reports whether the input d is in the finding: its
// architecture, number and arguments.
func (f *Finding) Contains(d *bpf.Data) bool {
	if f.ABI != nil {
		if d.Arch != f.ABI.AuditArch {
			return false
		}
	} else if !f.Arches.Contains(uint64(d.Arch)) {
		return false
	}
	if d.Nr < f.Lo || d.Nr > f.Hi {
		return false
	}
	if f.Region == nil {
		return true
	}
	for i := range f.Region {
		if inBox(&f.Region[i], d) {
			return true
		}
	}
	return false
}

func inBox(b *lift.Box, d *bpf.Data) bool {
	for i := range b {
		if b.Any(i) {
			continue
		}
		v := d.InstructionPointer
		if i < lift.IP {
			v = d.Args[i]
		}
		if !b[i].Contains(v) {
			return false
		}
	}
	return true
}

// jsonFinding is a Finding as --json prints it.
type jsonFinding struct {
	ABI     string      `json:"abi,omitempty"`
	Arches  string      `json:"arches,omitempty"`
	Numbers string      `json:"numbers"`
	Lo      uint32      `json:"lo"`
	Hi      uint32      `json:"hi"`
	Region  string      `json:"region,omitempty"`
	A       string      `json:"a"`
	B       string      `json:"b"`
	ARet    uint32      `json:"a_ret"`
	BRet    uint32      `json:"b_ret"`
	Witness jsonWitness `json:"witness"`
}

type jsonWitness struct {
	Call string    `json:"call"`
	Arch uint32    `json:"arch"`
	Nr   uint32    `json:"nr"`
	Args [6]uint64 `json:"args"`
	IP   uint64    `json:"instruction_pointer,omitempty"`
}

// MarshalJSON writes the finding with its parts rendered as the text
// output has them, and the numbers.
func (f *Finding) MarshalJSON() ([]byte, error) {
	j := jsonFinding{Numbers: f.Numbers(), Lo: f.Lo, Hi: f.Hi, Region: f.RegionString(),
		A: Action(f.A), B: Action(f.B), ARet: f.A, BRet: f.B,
		Witness: jsonWitness{Call: f.Call(), Arch: f.Witness.Arch, Nr: f.Witness.Nr, Args: f.Witness.Args, IP: f.Witness.InstructionPointer}}
	if f.ABI != nil {
		j.ABI = f.ABI.Name
	} else {
		j.Arches = f.Arches.String("arch")
	}
	return json.Marshal(j)
}
