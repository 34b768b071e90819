//go:build libseccomp

package difftest

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	ref "github.com/sysfence/sysfence/internal/reference/libseccomp"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// Minimal reproducers of the libseccomp 2.5.4 defects the differential
// test excuses. Each checks the defect on both emulators (sysfence's and
// golang.org/x/net/bpf's) and that Decide answers as the rules say. If a
// newer libseccomp fixes one, the test says so instead of failing.

func quirk(t *testing.T, oci *specs.LinuxSeccomp, nrName string, args [6]uint64, decide, lib policy.Action) {
	t.Helper()
	x86_64, _ := syscalls.ArchByName("x86_64")
	p, _, err := policy.FromOCI(oci, x86_64, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	nr, _ := x86_64.Number(nrName)
	if d := p.Decide(x86_64.AuditArch, nr, &args); d.Action != decide {
		t.Fatalf("Decide = %v, want %v", d.Action, decide)
	}
	in := Input{Arch: x86_64.AuditArch, Nr: nr, Args: args}
	for _, tree := range []ref.Tree{ref.TreeOff, ref.TreeOn} {
		prog, err := ref.Build(oci, x86_64, ref.Options{Tree: tree})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := ProgramAnswer(prog)(&in)
		vm, err := XNetAnswer(prog)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := vm(&in); v != got {
			t.Fatalf("emulators disagree: %v vs %v", policy.Action(got), policy.Action(v))
		}
		if policy.Action(got) == decide {
			maj, min, mic := ref.Version()
			t.Logf("libseccomp %d.%d.%d (tree=%d) answers %v as the rules say: the defect is fixed", maj, min, mic, tree, decide)
			continue
		}
		if policy.Action(got) != lib {
			t.Errorf("tree=%d: libseccomp answers %v, want the known wrong %v or the right %v", tree, policy.Action(got), lib, decide)
		}
	}
}

// libseccomp's BPF generator reuses the accumulator across sibling nodes:
// after "a0 <= 5" fails on the low word, the next rule's high-word test
// "a0 >= 0x1ffffffff" compares the low word instead. Its PFC is right; its
// program answers TRAP for a0 = 7, which no rule matches.
func TestLibseccompQuirkAccumulator(t *testing.T) {
	oci := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"swapoff"}, Action: specs.ActTrap, Args: []specs.LinuxSeccompArg{
			{Index: 0, Value: 0x1ffffffff, Op: specs.OpGreaterEqual},
			{Index: 0, Value: 5, Op: specs.OpLessEqual}, // same index: runc ORs them
		}},
	}}
	quirk(t, oci, "swapoff", [6]uint64{7}, policy.Errno(1), policy.ActTrap)
}

// libseccomp's tree merge (db.c _db_tree_add) stops at a node whose true
// branch already ends in an action and never merges the new rule's false
// branch: "a2 != 2 && a1 > 0" is lost for a1 in 1..0x7fffffff once
// "a1 > 0x7fffffff" is in the tree. With a permissive default the call is
// allowed although a KILL rule matches.
func TestLibseccompQuirkDroppedRule(t *testing.T) {
	oci := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		{Names: []string{"timer_delete"}, Action: specs.ActKillProcess, Args: []specs.LinuxSeccompArg{
			{Index: 1, Value: 31, Op: specs.OpLessThan},
			{Index: 1, Value: 0x7fffffff, Op: specs.OpGreaterThan},
		}},
		{Names: []string{"timer_delete"}, Action: specs.ActKillProcess, Args: []specs.LinuxSeccompArg{
			{Index: 2, Value: 2, Op: specs.OpNotEqual},
			{Index: 1, Value: 0, Op: specs.OpGreaterThan},
		}},
	}}
	quirk(t, oci, "timer_delete", [6]uint64{0, 255, 3}, policy.ActKillProcess, policy.ActAllow)
}

// libseccomp 2.5.4 gives sys_debug_setcontext and switch_endian the same
// pseudo number, so a rule for one, added on a host that lacks both, is
// translated to the other on an ABI that has them.
func TestLibseccompQuirkPseudoNumbers(t *testing.T) {
	x86_64, _ := syscalls.ArchByName("x86_64")
	a, _ := ref.ResolveName(x86_64, "sys_debug_setcontext")
	b, _ := ref.ResolveName(x86_64, "switch_endian")
	if a != b {
		t.Logf("pseudo numbers differ (%d, %d): fixed", a, b)
		return
	}
	if back := ref.ResolveNum(x86_64, uint32(a)); back == "sys_debug_setcontext" {
		t.Errorf("round trip works although the numbers collide")
	}
}

// errnoRule is an ERRNO(errno) entry for one syscall with one comparison.
func errnoRule(name string, errno uint, op specs.LinuxSeccompOperator, arg uint, v uint64) specs.LinuxSyscall {
	return specs.LinuxSyscall{Names: []string{name}, Action: specs.ActErrno, ErrnoRet: &errno,
		Args: []specs.LinuxSeccompArg{{Index: arg, Op: op, Value: v}}}
}

// libseccomp merges the high-word nodes of >/>= comparisons that share a
// high word and gives the merged node the action of the rule with the
// higher value, but compares each new value with the first rule's, never
// updated (db.c _db_tree_add, datum_full): added as a2 > 128, > 512, > 256,
// an a2 above 2^32 gets ERRNO(6) although "> 512" is the tightest that
// matches (and the answer for a2 = 513 is ERRNO(7)). Still in 2.6.1.
func TestLibseccompQuirkStaleValue(t *testing.T) {
	oci := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		errnoRule("read", 5, specs.OpGreaterThan, 2, 128),
		errnoRule("read", 7, specs.OpGreaterThan, 2, 512),
		errnoRule("read", 6, specs.OpGreaterThan, 2, 256),
	}}
	quirk(t, oci, "read", [6]uint64{0, 0, 1 << 40}, policy.Errno(7), policy.Errno(6))
}

// For </<= comparisons that share a nonzero high word, libseccomp 2.5.4
// updates the merged node's true action where the false one is meant
// (db.c _db_tree_add, fixed in 2.6.1 by commit 5404f5c), so an argument
// with a lower high word gets the first rule's action, not the tightest's.
func TestLibseccompQuirkFalseActionTypo(t *testing.T) {
	oci := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		errnoRule("read", 5, specs.OpLessThan, 2, 0x1_00000005),
		errnoRule("read", 6, specs.OpLessThan, 2, 0x1_00000000),
	}}
	quirk(t, oci, "read", [6]uint64{0, 0, 3}, policy.Errno(6), policy.Errno(5))
}

// "a2 <= 0x5a" and "a2 > 0x5a" share one node (a2 > 0x5a, with a false
// and a true action), which keeps the place in its level of the rule added
// first: added as LOG a2 <= 0x5a, ERRNO(5) a2 > 0x5a, ERRNO(6) a2 > 0x6c,
// the node sits with the <= comparisons, ahead of "> 0x6c", and a2 = 0xff
// gets ERRNO(5), not the tighter ERRNO(6). Added with the > rules first,
// it answers ERRNO(6).
func TestLibseccompQuirkSharedNodePlace(t *testing.T) {
	le := specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActLog, Args: []specs.LinuxSeccompArg{{Index: 2, Op: specs.OpLessEqual, Value: 0x5a}}}
	oci := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
		le,
		errnoRule("read", 5, specs.OpGreaterThan, 2, 0x5a),
		errnoRule("read", 6, specs.OpGreaterThan, 2, 0x6c),
	}}
	quirk(t, oci, "read", [6]uint64{0, 0, 0xff}, policy.Errno(6), policy.Errno(5))
	oci.Syscalls = append(oci.Syscalls[1:], le)
	x86_64, _ := syscalls.ArchByName("x86_64")
	nr, _ := x86_64.Number("read")
	prog, err := ref.Build(oci, x86_64, ref.Options{Tree: ref.TreeOff})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := ProgramAnswer(prog)(&Input{Arch: x86_64.AuditArch, Nr: nr, Args: [6]uint64{0, 0, 0xff}}); policy.Action(got) != policy.Errno(6) {
		t.Errorf("with the > rules added first libseccomp answers %v, want ERRNO(6)", policy.Action(got))
	}
}
