package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/syscalls"
)

func arch(t *testing.T, name string) *syscalls.Arch {
	t.Helper()
	a, err := syscalls.ArchByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func nr(t *testing.T, a *syscalls.Arch, name string) uint32 {
	t.Helper()
	n, ok := a.Number(name)
	if !ok {
		t.Fatalf("%s has no %s", a.Name, name)
	}
	return n
}

func uptr(v uint) *uint { return &v }

func fromOCI(t *testing.T, oci *specs.LinuxSeccomp, native string, opts Options) (*Policy, []Warning) {
	t.Helper()
	p, w, err := FromOCI(oci, arch(t, native), opts)
	if err != nil {
		t.Fatal(err)
	}
	return p, w
}

func TestFromOCIArches(t *testing.T) {
	oci := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_X86"}}
	p, _ := fromOCI(t, oci, "x86_64", Options{})
	var got []string
	for _, ap := range p.Arches {
		got = append(got, ap.Arch.Name)
	}
	if want := []string{"x86_64", "x86", "x32"}; !slices.Equal(got, want) {
		t.Errorf("arches = %v, want %v (native first, duplicates dropped)", got, want)
	}
	if p.DefaultAction != Errno(1) || p.BadArch != ActKillThread {
		t.Errorf("default %v, bad arch %v; want ERRNO(1), KILL", p.DefaultAction, p.BadArch)
	}
}

func TestFromOCIActions(t *testing.T) {
	for _, c := range []struct {
		act  specs.LinuxSeccompAction
		ret  *uint
		want Action
	}{
		{specs.ActKill, nil, ActKillThread},
		{specs.ActKillThread, nil, ActKillThread},
		{specs.ActKillProcess, nil, ActKillProcess},
		{specs.ActTrap, nil, ActTrap},
		{specs.ActErrno, nil, Errno(1)},
		{specs.ActErrno, uptr(38), Errno(38)},
		{specs.ActErrno, uptr(0), Errno(0)},
		{specs.ActTrace, nil, Trace(1)}, // runc's quirk: EPERM as the trace message
		{specs.ActTrace, uptr(7), Trace(7)},
		{specs.ActLog, nil, ActLog},
		{specs.ActAllow, uptr(5), ActAllow},
		{specs.ActNotify, nil, ActUserNotif},
	} {
		t.Run("action="+string(c.act), func(t *testing.T) {
			oci := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: uptr(99),
				Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: c.act, ErrnoRet: c.ret}}}
			p, _ := fromOCI(t, oci, "x86_64", Options{})
			if len(p.Arches[0].Rules) != 1 || p.Arches[0].Rules[0].Action != c.want {
				t.Fatalf("rules %+v, want one %v", p.Arches[0].Rules, c.want)
			}
		})
	}
	p, _ := fromOCI(t, &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: uptr(38)}, "x86_64", Options{})
	if p.DefaultAction != Errno(38) {
		t.Errorf("defaultErrnoRet: default %v, want ERRNO(38)", p.DefaultAction)
	}
}

func TestFromOCIMultiplexX86(t *testing.T) {
	oci := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{"SCMP_ARCH_X86"},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"socket"}, Action: specs.ActAllow,
				Args: []specs.LinuxSeccompArg{{Index: 0, Value: 2, Op: specs.OpEqualTo}, {Index: 1, Value: 1, Op: specs.OpEqualTo}}},
			{Names: []string{"shmat"}, Action: specs.ActLog},
			{Names: []string{"send"}, Action: specs.ActTrap}, // x86 has no direct send
		}}
	p, w := fromOCI(t, oci, "x86_64", Options{})
	if len(w) != 1 || w[0].Name != "send" || w[0].Arch != "x86_64" {
		t.Errorf("warnings %v, want one for send on x86_64 (it has only sendto)", w)
	}
	x86 := p.Arches[1]
	a := x86.Arch
	socketcall, ipc := nr(t, a, "socketcall"), nr(t, a, "ipc")
	want := []Rule{
		// muxed first: arg 0 replaced by the call number, other conditions kept
		{Nr: socketcall, Action: ActAllow, Conds: []Cond{{Arg: 0, Op: OpEq, Value: 1}, {Arg: 1, Op: OpEq, Value: 1}},
			Origin: Origin{Entry: 0, Name: "socket", Mux: "socketcall"}},
		// then the direct syscall with the profile's conditions
		{Nr: nr(t, a, "socket"), Action: ActAllow, Conds: []Cond{{Arg: 0, Op: OpEq, Value: 2}, {Arg: 1, Op: OpEq, Value: 1}},
			Origin: Origin{Entry: 0, Name: "socket"}},
		{Nr: ipc, Action: ActLog, Conds: []Cond{{Arg: 0, Op: OpEq, Value: 21}}, Origin: Origin{Entry: 1, Name: "shmat", Mux: "ipc"}},
		{Nr: nr(t, a, "shmat"), Action: ActLog, Origin: Origin{Entry: 1, Name: "shmat"}},
		{Nr: socketcall, Action: ActTrap, Conds: []Cond{{Arg: 0, Op: OpEq, Value: 9}}, Origin: Origin{Entry: 2, Name: "send", Mux: "socketcall"}},
	}
	if len(x86.Rules) != len(want) {
		t.Fatalf("x86 rules:\n%+v\nwant\n%+v", x86.Rules, want)
	}
	for i := range want {
		g := x86.Rules[i]
		if g.Nr != want[i].Nr || g.Action != want[i].Action || !slices.Equal(g.Conds, want[i].Conds) || g.Origin != want[i].Origin {
			t.Errorf("rule %d = %+v, want %+v", i, g, want[i])
		}
	}
	// x86_64 does not multiplex: one direct rule each, and send is absent.
	if n := len(p.Arches[0].Rules); n != 2 {
		t.Errorf("x86_64 has %d rules, want 2", n)
	}
	// Decide: socketcall(SYS_SOCKET, 1) is allowed, socketcall(SYS_SEND) traps.
	args := [6]uint64{1, 1}
	if d := p.Decide(a.AuditArch, socketcall, &args); d.Action != ActAllow {
		t.Errorf("socketcall(1, 1) = %v, want ALLOW", d.Action)
	}
	args = [6]uint64{9}
	if d := p.Decide(a.AuditArch, socketcall, &args); d.Action != ActTrap {
		t.Errorf("socketcall(9) = %v, want TRAP", d.Action)
	}
}

func TestFromOCISameIndexExpansion(t *testing.T) {
	args := []specs.LinuxSeccompArg{
		{Index: 0, Value: 1, Op: specs.OpEqualTo},
		{Index: 0, Value: 2, Op: specs.OpEqualTo},
		{Index: 1, Value: 3, Op: specs.OpGreaterThan},
	}
	oci := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"personality"}, Action: specs.ActAllow, Args: args},
			{Names: []string{"read"}, Action: specs.ActAllow, Args: args[1:]},
		}}
	p, _ := fromOCI(t, oci, "x86_64", Options{})
	a := p.Arches[0].Arch
	var pers, read []Rule
	for _, r := range p.Arches[0].Rules {
		switch r.Nr {
		case nr(t, a, "personality"):
			pers = append(pers, r)
		case nr(t, a, "read"):
			read = append(read, r)
		}
	}
	if len(pers) != 3 {
		t.Fatalf("index 0 repeated: %d rules, want 3 (one per condition, ORed)", len(pers))
	}
	for i, r := range pers {
		if len(r.Conds) != 1 || r.Conds[0] != (Cond{Arg: uint8(args[i].Index), Op: []Op{OpEq, OpEq, OpGt}[i], Value: args[i].Value}) {
			t.Errorf("rule %d conds %+v", i, r.Conds)
		}
	}
	if len(read) != 1 || len(read[0].Conds) != 2 {
		t.Fatalf("distinct indexes: %+v, want one rule with both conditions (ANDed)", read)
	}
	// OR semantics: personality(3, 0) matches the third rule only.
	in := [6]uint64{9, 4}
	if d := p.Decide(a.AuditArch, nr(t, a, "personality"), &in); d.Action != ActAllow {
		t.Errorf("personality(9, 4) = %v, want ALLOW", d.Action)
	}
	in = [6]uint64{9, 0}
	if d := p.Decide(a.AuditArch, nr(t, a, "personality"), &in); d.Action != Errno(1) {
		t.Errorf("personality(9, 0) = %v, want ERRNO(1)", d.Action)
	}
}

func TestFromOCIMaskedEq(t *testing.T) {
	oci := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Syscalls: []specs.LinuxSyscall{{Names: []string{"clone"}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0x7e020000, ValueTwo: 0, Op: specs.OpMaskedEqual}}}}}
	p, _ := fromOCI(t, oci, "x86_64", Options{})
	if c := p.Arches[0].Rules[0].Conds[0]; c.Mask != 0x7e020000 || c.Value != 0 || c.Op != OpMaskedEq {
		t.Errorf("cond %+v: OCI value is the mask, valueTwo the value", c)
	}
}

func TestFromOCIDefaultEqualSkipped(t *testing.T) {
	oci := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, // ERRNO(EPERM)
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"read"}, Action: specs.ActErrno, ErrnoRet: uptr(1)}, // equal: skipped
			{Names: []string{"write"}, Action: specs.ActErrno, ErrnoRet: uptr(2)},
			{Names: []string{"getpid"}, Action: specs.ActErrno},
		}}
	p, _ := fromOCI(t, oci, "x86_64", Options{})
	rules := p.Arches[0].Rules
	if len(rules) != 1 || rules[0].Origin.Name != "write" {
		t.Fatalf("rules %+v, want only write's ERRNO(2)", rules)
	}
	oci = &specs.LinuxSeccomp{DefaultAction: specs.ActKill,
		Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActKillThread}}}
	if p, _ = fromOCI(t, oci, "x86_64", Options{}); len(p.Arches[0].Rules) != 0 {
		t.Errorf("KILL_THREAD rule under a KILL default kept: %+v", p.Arches[0].Rules)
	}
}

func TestFromOCIWarningsAndStrict(t *testing.T) {
	oci := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{"SCMP_ARCH_X86"},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"read", "tuxcall"}, Action: specs.ActAllow}, // tuxcall: x86_64 only
			{Names: []string{"no_such_call"}, Action: specs.ActAllow},
		}}
	_, w := fromOCI(t, oci, "x86_64", Options{})
	want := []Warning{
		{Entry: 0, Name: "tuxcall", Arch: "x86"},
		{Entry: 1, Name: "no_such_call", Arch: "x86_64"},
		{Entry: 1, Name: "no_such_call", Arch: "x86"},
	}
	if len(w) != len(want) {
		t.Fatalf("warnings %v, want %d", w, len(want))
	}
	for _, ww := range want {
		found := false
		for _, g := range w {
			if g.Entry == ww.Entry && g.Name == ww.Name && g.Arch == ww.Arch {
				found = true
				if !strings.HasPrefix(g.String(), "syscalls[") || !strings.Contains(g.String(), ww.Name) {
					t.Errorf("warning text %q", g.String())
				}
			}
		}
		if !found {
			t.Errorf("missing warning %+v in %v", ww, w)
		}
	}
	// Strict: tuxcall exists on one of the two ABIs (skipped on the other
	// as without Strict); no_such_call on none.
	_, _, err := FromOCI(oci, arch(t, "x86_64"), Options{Strict: true})
	var oe *OCIError
	if !errors.Is(err, ErrUnknownSyscall) || !errors.As(err, &oe) || oe.Path != "syscalls[1].names[0]" ||
		!strings.Contains(err.Error(), `"no_such_call" on any of x86_64, x86`) {
		t.Errorf("strict: err = %v, want ErrUnknownSyscall at syscalls[1].names[0]", err)
	}
}

// Strict refuses only names that none of the filter's ABIs has.
func TestFromOCIStrictNeedsNoABI(t *testing.T) {
	for _, c := range []struct {
		name   string
		arches []specs.Arch
		names  []string
		path   string // "" = accepted
		msg    string
	}{
		{"arch=x86_64/32-bit-only-call", []specs.Arch{"SCMP_ARCH_X86", "SCMP_ARCH_X32"}, []string{"read", "chown32"}, "", ""},
		{"arch=x86_64/x32-and-x86_64", []specs.Arch{"SCMP_ARCH_X86"}, []string{"tuxcall"}, "", ""},
		{"arch=x86_64/mux-only-on-x86", []specs.Arch{"SCMP_ARCH_X86"}, []string{"socket"}, "", ""},
		{"arch=x86_64/alone", nil, []string{"read", "chown32"}, "syscalls[0].names[1]", `unknown syscall "chown32" on x86_64 (runc would skip it)`},
		{"arch=x86_64/arm-only-call", []specs.Arch{"SCMP_ARCH_X86", "SCMP_ARCH_X32"}, []string{"arm_fadvise64_64"}, "syscalls[0].names[0]",
			`unknown syscall "arm_fadvise64_64" on any of x86_64, x86, x32`},
	} {
		t.Run(c.name, func(t *testing.T) {
			oci := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Architectures: c.arches,
				Syscalls: []specs.LinuxSyscall{{Names: c.names, Action: specs.ActAllow}}}
			_, _, err := FromOCI(oci, arch(t, "x86_64"), Options{Strict: true})
			if c.path == "" {
				if err != nil {
					t.Fatalf("strict refused a name one of the ABIs has: %v", err)
				}
				return
			}
			var oe *OCIError
			if !errors.Is(err, ErrUnknownSyscall) || !errors.As(err, &oe) || oe.Path != c.path || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v, want %q at %s", err, c.msg, c.path)
			}
		})
	}
	// Docker's default lists calls of other ABIs; an entry equal to the
	// default action is skipped before its names are looked at, as runc does.
	oci := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Syscalls: []specs.LinuxSyscall{{Names: []string{"arm_fadvise64_64"}, Action: specs.ActErrno}}}
	if _, _, err := FromOCI(oci, arch(t, "x86_64"), Options{Strict: true}); err != nil {
		t.Errorf("strict checked an entry runc skips: %v", err)
	}
}

func TestFromOCIMaxNr(t *testing.T) {
	oci := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{"SCMP_ARCH_X86", "SCMP_ARCH_X32"},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"read", "openat"}, Action: specs.ActAllow},
			{Names: []string{"clone3"}, Action: specs.ActErrno}, // equal to default: still counts
			{Names: []string{"socket"}, Action: specs.ActAllow}, // x86: libseccomp's pseudo number, not counted
		}}
	p, _ := fromOCI(t, oci, "x86_64", Options{ENOSYS: true})
	if !p.ENOSYS {
		t.Error("ENOSYS option not carried")
	}
	for _, ap := range p.Arches {
		want := nr(t, ap.Arch, "clone3")
		if ap.MaxNr != want {
			t.Errorf("arch=%s: MaxNr %#x, want %#x (clone3, socket does not count on x86)", ap.Arch.Name, ap.MaxNr, want)
		}
	}
	oci.Syscalls = []specs.LinuxSyscall{{Names: []string{"read", "recvmmsg"}, Action: specs.ActAllow}}
	p, _ = fromOCI(t, oci, "x86_64", Options{ENOSYS: true})
	if x86 := p.Arches[1]; x86.MaxNr != nr(t, x86.Arch, "read") {
		t.Errorf("x86 MaxNr %d, want read's %d: recvmmsg is multiplexed there", x86.MaxNr, nr(t, x86.Arch, "read"))
	}
	if ap := p.Arches[0]; ap.MaxNr != nr(t, ap.Arch, "recvmmsg") {
		t.Errorf("x86_64 MaxNr %d, want recvmmsg's", ap.MaxNr)
	}
}

func TestFromOCIErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		oci  specs.LinuxSeccomp
		path string
		is   error
	}{
		{"no-default", specs.LinuxSeccomp{}, "defaultAction", ErrEmpty},
		{"bad-default", specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_NOPE"}, "defaultAction", ErrUnknownAction},
		{"notify-default", specs.LinuxSeccomp{DefaultAction: specs.ActNotify}, "defaultAction", ErrNotify},
		{"errno-range", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: uptr(4096)}, "defaultErrnoRet", ErrErrnoRange},
		{"arch", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Architectures: []specs.Arch{"SCMP_ARCH_Z80"}}, "architectures[0]", syscalls.ErrUnknownArch},
		{"notify-write", specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"read", "write"}, Action: specs.ActNotify}}}, "syscalls[0].names[1]", ErrNotify},
		{"index", specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}},
			"syscalls[0].args[0].index", ErrArgIndex},
		{"op", specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Op: "SCMP_CMP_EQUAL"}}}}},
			"syscalls[0].args[0].op", ErrUnknownOperator},
		{"rule-errno", specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, ErrnoRet: uptr(70000)}}},
			"syscalls[0].errnoRet", ErrErrnoRange},
		{"empty-name", specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
			Syscalls: []specs.LinuxSyscall{{Names: []string{""}, Action: specs.ActAllow}}}, "syscalls[0].names[0]", ErrEmpty},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := FromOCI(&c.oci, arch(t, "x86_64"), Options{})
			var oe *OCIError
			if !errors.As(err, &oe) || oe.Path != c.path || !errors.Is(err, c.is) || !errors.Is(err, ErrInvalidOCI) {
				t.Fatalf("err = %v, want %v at %s", err, c.is, c.path)
			}
		})
	}
}

func TestDecideX86_64OnlyHighNumbers(t *testing.T) {
	// libseccomp filters x32 out of an x86_64-only filter with
	// nr >= 0x40000000, so numbers with bit 31 set are bad-arch too.
	oci := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno}
	p, _ := fromOCI(t, oci, "x86_64", Options{})
	var args [6]uint64
	for _, c := range []struct {
		nr   uint32
		want Why
	}{{0x3fffffff, WhyDefault}, {0x40000000, WhyBadArch}, {0x80000000, WhyBadArch}, {0xa2cbbbb9, WhyBadArch}, {0xffffffff, WhyDefault}} {
		if d := p.Decide(0xc000003e, c.nr, &args); d.Why != c.want {
			t.Errorf("nr=%#x: why %d, want %d", c.nr, d.Why, c.want)
		}
	}
	// With ENOSYS on, runc's stub answers first for numbers without the x32 bit.
	p.ENOSYS = true
	p.Arches[0].MaxNr = 300
	if d := p.Decide(0xc000003e, 0x80000000, &args); d.Why != WhyENOSYS {
		t.Errorf("nr=0x80000000 with ENOSYS: why %d, want ENOSYS", d.Why)
	}
}

// libseccomp refuses an architecture whose byte order differs from the
// native one (seccomp_arch_add: -EDOM); internal/difftest checks every
// pair against libseccomp itself.
func TestFromOCIByteOrder(t *testing.T) {
	for _, c := range []struct {
		native string
		arches []specs.Arch
		path   string // "" = accepted
		msg    string
	}{
		{"x86_64", []specs.Arch{"SCMP_ARCH_S390X", "SCMP_ARCH_PPC64"}, "architectures[0]",
			"architectures[0]: SCMP_ARCH_S390X is big-endian but the filter's native architecture x86_64 is little-endian; libseccomp (and so runc) refuses to mix byte orders in one filter"},
		{"x86_64", []specs.Arch{"SCMP_ARCH_X86", "SCMP_ARCH_PPC64"}, "architectures[1]", "SCMP_ARCH_PPC64 is big-endian"},
		{"mips", []specs.Arch{"SCMP_ARCH_MIPSEL"}, "architectures[0]",
			"SCMP_ARCH_MIPSEL is little-endian but the filter's native architecture mips is big-endian"},
		{"mipsel64", []specs.Arch{"SCMP_ARCH_MIPS64N32"}, "architectures[0]", "SCMP_ARCH_MIPS64N32 is big-endian"},
		{"ppc64le", []specs.Arch{"SCMP_ARCH_PPC64"}, "architectures[0]", "SCMP_ARCH_PPC64 is big-endian"},
		{"s390x", []specs.Arch{"SCMP_ARCH_S390", "SCMP_ARCH_PPC64", "SCMP_ARCH_MIPS"}, "", ""},
		{"mipsel64", []specs.Arch{"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}, "", ""},
		{"x86_64", []specs.Arch{"SCMP_ARCH_AARCH64", "SCMP_ARCH_RISCV64"}, "", ""},
	} {
		t.Run("arch="+c.native+"/extra="+string(c.arches[0]), func(t *testing.T) {
			oci := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Architectures: c.arches,
				Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}}}
			_, _, err := FromOCI(oci, arch(t, c.native), Options{})
			if c.path == "" {
				if err != nil {
					t.Fatalf("refused one byte order: %v", err)
				}
				return
			}
			var oe *OCIError
			if !errors.As(err, &oe) || oe.Path != c.path || !errors.Is(err, ErrByteOrder) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v, want ErrByteOrder at %s saying %q", err, c.path, c.msg)
			}
		})
	}
}
