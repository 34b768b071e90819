package ebpfasm

import (
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"

	"github.com/sysfence/sysfence/internal/testenv"
)

// TestReadTaskLayout: this kernel's BTF has the layout (the argument
// registers in the order of each ABI's calling convention), and a BTF
// without one of its members (taken out of a copy) is refused naming it.
func TestReadTaskLayout(t *testing.T) {
	spec, m := KernelSpec()
	if m != nil {
		testenv.Skip(t, m.What)
	}
	l, m := ReadTaskLayout(spec)
	if m != nil {
		t.Fatalf("this kernel: %s (%v)", m.What, m.Err)
	}
	// pt_regs is the UAPI's order (asm/ptrace.h): r15 r14 r13 r12 bp bx
	// r11 r10 r9 r8 ax cx dx si di ...
	if l.NativeArgs[0] != l.CompatArgs[4] || l.NativeArgs[1] != l.CompatArgs[3] || l.NativeArgs[2] != l.CompatArgs[2] ||
		l.CompatArgs[0] != 5*8 || l.NativeArgs[3] != 7*8 || l.Pid == 0 || l.Tgid == 0 || l.Pid == l.Tgid {
		t.Errorf("layout %+v", l)
	}
	for _, tc := range []struct{ typ, member, want string }{
		{"thread_info", "status", "thread_info.status"},
		{"task_struct", "tgid", "task_struct.tgid"},
		{"pt_regs", "r10", "pt_regs.r10"},
	} {
		t.Run("missing="+tc.want, func(t *testing.T) {
			c := spec.Copy()
			var s *btf.Struct
			if err := c.TypeByName(tc.typ, &s); err != nil {
				t.Fatal(err)
			}
			s.Members = slices.DeleteFunc(slices.Clone(s.Members), func(m btf.Member) bool { return m.Name == tc.member })
			_, m := ReadTaskLayout(c)
			if m == nil || m.What != "a kernel whose BTF has "+tc.want || !strings.Contains(m.Err.Error(), "no member "+tc.member) {
				t.Errorf("layout without %s: %+v", tc.want, m)
			}
		})
	}
}
