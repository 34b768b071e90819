package policy

import (
	"fmt"
	"testing"

	"github.com/sysfence/sysfence/internal/difftest/a2order"
)

// Same-kind rules with other data that overlap: the tightest comparison
// wins, as libseccomp's regression suite pins it (rule 5), on 64- and
// 32-bit ABIs.
func TestDecideLibseccompA2Order(t *testing.T) {
	for _, native := range []string{"x86_64", "x86", "aarch64", "arm", "s390x", "ppc64le", "mips", "riscv64"} {
		t.Run("arch="+native, func(t *testing.T) {
			a := arch(t, native)
			p, _ := fromOCI(t, a2order.Profile(), native, Options{})
			for _, c := range a2order.Rows {
				args := [6]uint64{a2order.Arg0, a2order.Arg1, c.A2}
				d := p.Decide(a.AuditArch, nr(t, a, c.Call), &args)
				if d.Action.String() != c.Want {
					t.Errorf("%s(a2=%d) = %v, want %s (decided by %v)", c.Call, c.A2, d.Action, c.Want, d.Rule)
				}
			}
		})
	}
}

func TestTightens(t *testing.T) {
	c := func(arg uint8, op Op, v uint64) Cond { return Cond{Arg: arg, Op: op, Value: v} }
	masked := func(arg uint8, m, v uint64) Cond { return Cond{Arg: arg, Op: OpMaskedEq, Mask: m, Value: v} }
	for _, tc := range []struct {
		name string
		r, s []Cond
		is64 bool
		want bool
		cond Cond // s's tighter comparison
	}{
		{"gt-larger", []Cond{c(2, OpGt, 128)}, []Cond{c(2, OpGt, 256)}, true, true, c(2, OpGt, 256)},
		{"gt-smaller", []Cond{c(2, OpGt, 256)}, []Cond{c(2, OpGt, 128)}, true, false, Cond{}},
		{"gt-equal", []Cond{c(2, OpGt, 10)}, []Cond{c(2, OpGe, 10)}, true, false, Cond{}},
		{"ge-equal", []Cond{c(2, OpGe, 10)}, []Cond{c(2, OpGt, 10)}, true, false, Cond{}},
		{"ge-over-gt", []Cond{c(2, OpGt, 10)}, []Cond{c(2, OpGe, 11)}, true, true, c(2, OpGe, 11)},
		{"lt-smaller", []Cond{c(2, OpLt, 256)}, []Cond{c(2, OpLe, 128)}, true, true, c(2, OpLe, 128)},
		{"lt-larger", []Cond{c(2, OpLt, 128)}, []Cond{c(2, OpLt, 256)}, true, false, Cond{}},
		{"other-direction", []Cond{c(2, OpGt, 10)}, []Cond{c(2, OpLt, 5)}, true, false, Cond{}},
		{"other-argument", []Cond{c(2, OpGt, 10)}, []Cond{c(1, OpGt, 20)}, true, false, Cond{}},
		{"eq", []Cond{c(2, OpEq, 10)}, []Cond{c(2, OpEq, 20)}, true, false, Cond{}},
		{"ne", []Cond{c(2, OpNe, 10)}, []Cond{c(2, OpNe, 20)}, true, false, Cond{}},
		{"same-prefix", []Cond{c(0, OpEq, 1), c(2, OpGt, 10)}, []Cond{c(2, OpGt, 20), c(0, OpEq, 1)}, true, true, c(2, OpGt, 20)},
		{"other-prefix", []Cond{c(0, OpEq, 1), c(2, OpGt, 10)}, []Cond{c(0, OpEq, 2), c(2, OpGt, 20)}, true, false, Cond{}},
		{"extra-condition", []Cond{c(2, OpGt, 10)}, []Cond{c(0, OpEq, 1), c(2, OpGt, 20)}, true, false, Cond{}},
		{"two-changed", []Cond{c(1, OpGt, 5), c(2, OpGt, 10)}, []Cond{c(1, OpGt, 6), c(2, OpGt, 20)}, true, false, Cond{}},
		{"bound-elsewhere", []Cond{c(1, OpGt, 5), c(2, OpGt, 10)}, []Cond{c(1, OpGt, 5), c(2, OpGt, 20)}, true, true, c(2, OpGt, 20)},
		{"high-word-32", []Cond{c(2, OpGt, 0x1_00000010)}, []Cond{c(2, OpGt, 0x2_00000008)}, false, false, Cond{}},
		{"high-word-64", []Cond{c(2, OpGt, 0x1_00000010)}, []Cond{c(2, OpGt, 0x2_00000008)}, true, true, c(2, OpGt, 0x2_00000008)},
		{"low-word-32", []Cond{c(2, OpGt, 0x2_00000008)}, []Cond{c(2, OpGt, 0x1_00000010)}, false, true, c(2, OpGt, 0x10)},
		{"prefix-low-word-32", []Cond{c(0, OpEq, 0x1_00000001), c(2, OpLt, 9)}, []Cond{c(0, OpEq, 1), c(2, OpLt, 8)}, false, true, c(2, OpLt, 8)},
		{"masked-datum", []Cond{masked(0, 0xf0, 0x1f), c(2, OpGt, 1)}, []Cond{masked(0, 0xf0, 0x10), c(2, OpGt, 2)}, true, true, c(2, OpGt, 2)},
		{"empty-mask-ignored", []Cond{masked(1, 0, 3), c(2, OpGt, 1)}, []Cond{c(2, OpGt, 2)}, true, true, c(2, OpGt, 2)},
		{"unconditional", nil, nil, true, false, Cond{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, s := &Rule{Conds: tc.r}, &Rule{Conds: tc.s}
			got, ok := s.Tightens(r, tc.is64)
			if ok != tc.want || got != tc.cond {
				t.Errorf("Tightens = %v, %v; want %v, %v", got, ok, tc.cond, tc.want)
			}
		})
	}
}

// Rule 5 against rules 4 and 3, and where profile order still decides.
func TestDecideSameKind(t *testing.T) {
	c := func(arg uint8, op Op, v uint64) Cond { return Cond{Arg: arg, Op: op, Value: v} }
	x86_64, x86 := arch(t, "x86_64"), arch(t, "x86")
	for _, tc := range []struct {
		name  string
		a     string
		rules []Rule
		args  [6]uint64
		want  Action
	}{
		{"tightest-gt", "x86_64", []Rule{{Action: Errno(5), Conds: []Cond{c(2, OpGt, 128)}}, {Action: Errno(7), Conds: []Cond{c(2, OpGt, 512)}}, {Action: Errno(6), Conds: []Cond{c(2, OpGt, 256)}}}, [6]uint64{0, 0, 0x101}, Errno(6)},
		{"tightest-gt-high", "x86_64", []Rule{{Action: Errno(5), Conds: []Cond{c(2, OpGt, 128)}}, {Action: Errno(7), Conds: []Cond{c(2, OpGt, 512)}}, {Action: Errno(6), Conds: []Cond{c(2, OpGt, 256)}}}, [6]uint64{0, 0, 1 << 40}, Errno(7)},
		{"tightest-lt", "x86_64", []Rule{{Action: Errno(5), Conds: []Cond{c(2, OpLt, 0x1_00000005)}}, {Action: Errno(6), Conds: []Cond{c(2, OpLt, 0x1_00000000)}}}, [6]uint64{0, 0, 3}, Errno(6)},
		{"trace-data", "x86_64", []Rule{{Action: Trace(1), Conds: []Cond{c(0, OpGe, 1)}}, {Action: Trace(2), Conds: []Cond{c(0, OpGe, 2)}}}, [6]uint64{3}, Trace(2)},
		{"32-bit-low-words", "x86", []Rule{{Action: Errno(5), Conds: []Cond{c(2, OpGt, 0x2_00000008)}}, {Action: Errno(6), Conds: []Cond{c(2, OpGt, 0x1_00000010)}}}, [6]uint64{0, 0, 0x20}, Errno(6)},
		{"equal-values-profile-order", "x86_64", []Rule{{Action: Errno(5), Conds: []Cond{c(2, OpGe, 10)}}, {Action: Errno(6), Conds: []Cond{c(2, OpGt, 10)}}}, [6]uint64{0, 0, 11}, Errno(5)},
		{"other-operators-profile-order", "x86_64", []Rule{{Action: Errno(5), Conds: []Cond{c(2, OpGt, 10)}}, {Action: Errno(6), Conds: []Cond{c(2, OpLt, 100)}}}, [6]uint64{0, 0, 50}, Errno(5)},
		{"other-arguments-profile-order", "x86_64", []Rule{{Action: Errno(5), Conds: []Cond{c(1, OpGt, 10)}}, {Action: Errno(6), Conds: []Cond{c(2, OpGt, 20)}}}, [6]uint64{0, 50, 50}, Errno(5)},
		{"set-aside-then-order", "x86_64", []Rule{{Action: Errno(5), Conds: []Cond{c(2, OpGt, 10)}}, {Action: Errno(8), Conds: []Cond{c(0, OpEq, 1)}}, {Action: Errno(6), Conds: []Cond{c(2, OpGt, 20)}}}, [6]uint64{1, 0, 25}, Errno(8)},
		{"same-action-not-set-aside", "x86_64", []Rule{{Action: Errno(5), Conds: []Cond{c(2, OpGt, 10)}}, {Action: Errno(8), Conds: []Cond{c(0, OpEq, 1)}}, {Action: Errno(5), Conds: []Cond{c(2, OpGt, 20)}}}, [6]uint64{1, 0, 25}, Errno(5)},
		{"kinds-precedence-first", "x86_64", []Rule{{Action: ActTrap, Conds: []Cond{c(2, OpGt, 10)}}, {Action: Errno(6), Conds: []Cond{c(2, OpGt, 20)}}}, [6]uint64{0, 0, 25}, ActTrap},
		{"unconditional-first", "x86_64", []Rule{{Action: Errno(5), Conds: []Cond{c(2, OpGt, 10)}}, {Action: Errno(9)}, {Action: Errno(6), Conds: []Cond{c(2, OpGt, 20)}}}, [6]uint64{0, 0, 25}, Errno(9)},
		{"tighter-does-not-match", "x86_64", []Rule{{Action: Errno(5), Conds: []Cond{c(2, OpGt, 10)}}, {Action: Errno(6), Conds: []Cond{c(2, OpGt, 20)}}}, [6]uint64{0, 0, 15}, Errno(5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := x86_64
			if tc.a == "x86" {
				a = x86
			}
			rules := make([]Rule, len(tc.rules))
			for i, r := range tc.rules {
				r.Nr = 3
				r.Origin = Origin{Entry: i, Name: fmt.Sprint("rule", i)}
				rules[i] = r
			}
			p := &Policy{DefaultAction: ActAllow, BadArch: ActKillThread, Arches: []*ArchPolicy{{Arch: a, Rules: rules}}}
			d := p.Decide(a.AuditArch, 3, &tc.args)
			if d.Action != tc.want || d.Why != WhyRule || d.Rule == nil || d.Rule.Action != tc.want {
				t.Errorf("Decide = %v by %v, want %v", d.Action, d.Rule, tc.want)
			}
		})
	}
}
