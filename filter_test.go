package sysfence

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

func mustCheck(t *testing.T, f *Filter, name string, args ...uint64) Action {
	t.Helper()
	a, err := f.Check(name, args...)
	if err != nil {
		t.Fatalf("Check(%s): %v", name, err)
	}
	return a
}

func requireAMD64(t *testing.T) {
	t.Helper()
	if a, err := syscalls.Native(); err != nil || a.Name != "x86_64" {
		t.Skip("the ABIs of this test are those of x86_64")
	}
}

// TestFilterDecisions builds small filters and checks the compiled
// program's answers.
func TestFilterDecisions(t *testing.T) {
	eperm := Errno(syscall.EPERM)
	type call struct {
		name string
		args []uint64
		want Action
	}
	for _, tc := range []struct {
		name  string
		build func(f *Filter) error
		def   Action
		calls []call
	}{
		{"case=allow-list", func(f *Filter) error { return f.Allow("read", "write", "exit_group") }, KillProcess, []call{
			{"read", nil, Allow}, {"write", []uint64{2}, Allow}, {"openat", nil, KillProcess},
		}},
		{"case=errno-and-trap", func(f *Filter) error {
			if err := f.Add(Errno(syscall.EACCES), "openat"); err != nil {
				return err
			}
			return f.Add(Trap, "ptrace")
		}, Allow, []call{
			{"openat", nil, Errno(syscall.EACCES)}, {"ptrace", nil, Trap}, {"getpid", nil, Allow},
		}},
		{"op=EQ/write-only-stdout", func(f *Filter) error { return f.Add(Allow, "write", Arg(0).Eq(1)) }, eperm, []call{
			{"write", []uint64{1}, Allow}, {"write", []uint64{2}, eperm}, {"write", []uint64{1<<32 | 1}, eperm},
		}},
		{"op=NE", func(f *Filter) error { return f.Add(eperm, "kill", Arg(1).Ne(0)) }, Allow, []call{
			{"kill", []uint64{1, 0}, Allow}, {"kill", []uint64{1, 9}, eperm},
		}},
		{"op=LT/LE/GT/GE", func(f *Filter) error {
			for _, r := range []struct {
				name string
				c    Cond
			}{{"dup", Arg(0).Lt(3)}, {"dup2", Arg(1).Le(10)}, {"dup3", Arg(1).Gt(100)}, {"close", Arg(0).Ge(3)}} {
				if err := f.Add(Allow, r.name, r.c); err != nil {
					return err
				}
			}
			return nil
		}, eperm, []call{
			{"dup", []uint64{2}, Allow}, {"dup", []uint64{3}, eperm},
			{"dup2", []uint64{0, 10}, Allow}, {"dup2", []uint64{0, 11}, eperm},
			{"dup3", []uint64{0, 101}, Allow}, {"dup3", []uint64{0, 100}, eperm},
			{"close", []uint64{3}, Allow}, {"close", []uint64{2}, eperm},
		}},
		{"op=MASKED_EQ/read-only-open", func(f *Filter) error {
			return f.Add(Allow, "openat", Arg(2).MaskedEq(syscall.O_ACCMODE, syscall.O_RDONLY))
		}, eperm, []call{
			{"openat", []uint64{0, 0, syscall.O_RDONLY | syscall.O_CLOEXEC}, Allow},
			{"openat", []uint64{0, 0, syscall.O_RDWR}, eperm},
		}},
		{"case=range-AND-on-one-argument", func(f *Filter) error {
			return f.Add(Allow, "personality", Arg(0).Ge(8), Arg(0).Le(16))
		}, eperm, []call{
			{"personality", []uint64{7}, eperm}, {"personality", []uint64{8}, Allow},
			{"personality", []uint64{16}, Allow}, {"personality", []uint64{17}, eperm},
		}},
		{"case=two-arguments-AND", func(f *Filter) error {
			return f.Add(Allow, "socket", Arg(0).Eq(syscall.AF_UNIX), Arg(1).MaskedEq(0xf, syscall.SOCK_STREAM))
		}, eperm, []call{
			{"socket", []uint64{syscall.AF_UNIX, syscall.SOCK_STREAM | syscall.SOCK_CLOEXEC}, Allow},
			{"socket", []uint64{syscall.AF_UNIX, syscall.SOCK_DGRAM}, eperm},
			{"socket", []uint64{syscall.AF_INET, syscall.SOCK_STREAM}, eperm},
		}},
		{"case=rules-OR", func(f *Filter) error {
			if err := f.Add(Allow, "write", Arg(0).Eq(1)); err != nil {
				return err
			}
			return f.Add(Allow, "write", Arg(0).Eq(2))
		}, eperm, []call{
			{"write", []uint64{1}, Allow}, {"write", []uint64{2}, Allow}, {"write", []uint64{3}, eperm},
		}},
		{"case=conditional-precedence", func(f *Filter) error {
			if err := f.Add(Allow, "kill", Arg(1).Lt(32)); err != nil {
				return err
			}
			return f.Add(KillProcess, "kill", Arg(1).Eq(9))
		}, eperm, []call{
			{"kill", []uint64{1, 15}, Allow}, {"kill", []uint64{1, 9}, KillProcess}, {"kill", []uint64{1, 40}, eperm},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFilter(tc.def)
			if err := tc.build(f); err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.calls {
				got, err := f.Check(c.name, c.args...)
				if err != nil {
					t.Fatal(err)
				}
				if got != c.want {
					t.Errorf("%s%v: got %v, want %v", c.name, c.args, got, c.want)
				}
			}
		})
	}
}

// TestArches: the native ABI always, others only when added; x86's
// socket goes through socketcall too.
func TestArches(t *testing.T) {
	requireAMD64(t)
	f := NewFilter(Errno(syscall.EPERM))
	if err := f.Allow("getpid", "socket"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		abi, name string
		args      []uint64
		before    Action
		after     Action
	}{
		{"x86_64", "getpid", nil, Allow, Allow},
		{"x86", "getpid", nil, KillProcess, Allow},
		{"x86", "socketcall", []uint64{1}, KillProcess, Allow}, // SYS_SOCKET through socketcall
		{"x86", "socketcall", []uint64{2}, KillProcess, Errno(syscall.EPERM)},
		{"x32", "getpid", nil, KillProcess, KillProcess}, // not added
		{"aarch64", "getpid", nil, KillProcess, KillProcess},
	} {
		if got, err := f.CheckABI(tc.abi, tc.name, tc.args...); err != nil || got != tc.before {
			t.Errorf("before AddArch: abi=%s %s%v: got %v, %v; want %v", tc.abi, tc.name, tc.args, got, err, tc.before)
		}
	}
	if err := f.AddArch("SCMP_ARCH_X86"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		abi, name string
		args      []uint64
		want      Action
	}{
		{"x86", "getpid", nil, Allow}, {"x86", "socketcall", []uint64{1}, Allow},
		{"x86", "socketcall", []uint64{2}, Errno(syscall.EPERM)}, {"x86", "socket", nil, Allow},
		{"x32", "getpid", nil, KillProcess},
	} {
		if got, err := f.CheckABI(tc.abi, tc.name, tc.args...); err != nil || got != tc.want {
			t.Errorf("after AddArch: abi=%s %s%v: got %v, %v; want %v", tc.abi, tc.name, tc.args, got, err, tc.want)
		}
	}
	if err := f.SetBadArchAction(Errno(syscall.ENOSYS)); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.CheckABI("x32", "getpid"); got != Errno(syscall.ENOSYS) {
		t.Errorf("bad-arch action: got %v", got)
	}
	if err := f.AddArch("vax"); !errors.Is(err, ErrUnknownArch) {
		t.Errorf("AddArch(vax): %v", err)
	}
}

func TestENOSYS(t *testing.T) {
	requireAMD64(t)
	f := NewFilter(KillProcess)
	if err := f.Allow("read", "write", "openat"); err != nil {
		t.Fatal(err)
	}
	if got := mustCheck(t, f, "openat2"); got != KillProcess {
		t.Errorf("off: openat2 got %v", got)
	}
	f.SetENOSYS(true)
	if got := mustCheck(t, f, "openat2"); got != Errno(syscall.ENOSYS) {
		t.Errorf("on: openat2 got %v", got)
	}
	// Below the highest named number: the default.
	if got := mustCheck(t, f, "getpid"); got != KillProcess {
		t.Errorf("on: getpid got %v", got)
	}
}

func TestAddErrors(t *testing.T) {
	f := NewFilter(KillProcess)
	if err := f.Add(Allow, "write", Arg(0).Eq(1)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		action Action
		sys    string
		conds  []Cond
		want   error
		text   string
	}{
		{"unknown-syscall", Allow, "opnat", nil, ErrUnknownSyscall, "did you mean openat?"},
		{"arg-index", Allow, "read", []Cond{Arg(6).Eq(0)}, ErrInvalidRule, "argument index 6"},
		{"negative-arg-index", Allow, "read", []Cond{Arg(-1).Eq(0)}, ErrInvalidRule, "argument index -1"},
		{"empty-cond", Allow, "read", []Cond{{}}, ErrInvalidRule, "empty condition"},
		{"errno-range", Errno(5000), "read", nil, ErrInvalidRule, "errno 5000"},
		{"errno-overflow", Errno(70000), "read", nil, ErrInvalidRule, "above the kernel's maximum"},
		{"notify", policy.ActUserNotif, "read", nil, ErrInvalidRule, "supervisor"},
		{"conflict-unconditional-after-conditional", Errno(1), "write", nil, ErrConflict, `Remove("write")`},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			err := f.Add(tc.action, tc.sys, tc.conds...)
			var re *RuleError
			if !errors.Is(err, tc.want) || !errors.As(err, &re) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("got %v, want %v containing %q", err, tc.want, tc.text)
			}
		})
	}
	// Conditional rules with another action are fine; an unconditional one
	// then conflicts with them, and Remove clears the way.
	g := NewFilter(KillProcess)
	if err := g.Allow("getpid"); err != nil {
		t.Fatal(err)
	}
	if err := g.Add(Errno(1), "getpid", Arg(0).Eq(0)); !errors.Is(err, ErrConflict) {
		t.Errorf("conditional after unconditional: %v", err)
	}
	if err := g.Allow("getpid"); err != nil {
		t.Errorf("same rule twice: %v", err)
	}
	if err := g.Remove("getpid"); err != nil {
		t.Fatal(err)
	}
	if err := g.Add(Errno(1), "getpid", Arg(0).Eq(0)); err != nil {
		t.Errorf("after Remove: %v", err)
	}
	if err := g.Remove("getpidd"); !errors.Is(err, ErrUnknownSyscall) {
		t.Errorf("Remove(getpidd): %v", err)
	}
	// A name that no ABI of the filter has.
	h := NewFilter(KillProcess)
	missing := "arch_prctl"
	if h.native.Name == "x86_64" {
		missing = "socketcall"
	}
	if err := h.Allow(missing); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Compile(); !errors.Is(err, ErrUnknownSyscall) {
		t.Errorf("Compile with %s only: %v", missing, err)
	}
	if err := NewFilter(policy.ActUserNotif).Allow("read"); !errors.Is(err, ErrInvalidRule) {
		t.Errorf("USER_NOTIF default: %v", err)
	}
}

// TestCompileAgreesWithDecide builds random filters (several conditions
// on one argument included) and compares the compiled program, run on the
// emulator, with policy.Decide on random calls.
func TestCompileAgreesWithDecide(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>7))
	names := []string{"read", "write", "openat", "close", "mmap", "socket", "kill", "personality", "futex", "ioctl"}
	values := []uint64{0, 1, 2, 3, 8, 0x7f, 0xffffffff, 1 << 32, 1<<32 | 1, ^uint64(0), ^uint64(99)}
	actions := []Action{Allow, Errno(1), Errno(13), KillProcess, Trap, Log}
	ops := []func(Argument, uint64) Cond{Argument.Eq, Argument.Ne, Argument.Lt, Argument.Le, Argument.Gt, Argument.Ge,
		func(a Argument, v uint64) Cond { return a.MaskedEq(v|1, v) }}
	for iter := range 200 {
		f := NewFilter(actions[rng.IntN(len(actions))])
		if rng.IntN(2) == 0 {
			f.AddArch("x86")
		}
		for range 1 + rng.IntN(8) {
			var conds []Cond
			for range rng.IntN(4) {
				conds = append(conds, ops[rng.IntN(len(ops))](Arg(rng.IntN(3)), values[rng.IntN(len(values))]))
			}
			f.Add(actions[rng.IntN(len(actions))], names[rng.IntN(len(names))], conds...) // conflicts are skipped
		}
		pol, err := f.Policy()
		if err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		prog, err := f.Compile()
		if err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		for range 50 {
			ap := pol.Arches[rng.IntN(len(pol.Arches))]
			nr, ok := ap.Arch.Number(names[rng.IntN(len(names))])
			if !ok {
				continue
			}
			d := bpf.Data{Nr: nr, Arch: ap.Arch.AuditArch}
			for i := range 3 {
				d.Args[i] = values[rng.IntN(len(values))]
			}
			res, err := bpf.Run(prog, &d, ap.Arch.BigEndian, false)
			if err != nil {
				t.Fatal(err)
			}
			want := pol.Decide(d.Arch, d.Nr, &d.Args)
			if Action(res.Ret) != want.Action {
				t.Fatalf("iter %d: %s nr %d args %#x: program %v, Decide %v", iter, ap.Arch.Name, nr, d.Args[:3], Action(res.Ret), want.Action)
			}
		}
	}
}

func TestExport(t *testing.T) {
	f := NewFilter(KillProcess)
	if err := f.Allow(GoRuntime()...); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Export(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := bpf.Decode(buf.Bytes(), binary.NativeEndian)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := f.Compile()
	if len(got) != len(want) || buf.Len() != 8*len(want) {
		t.Fatalf("exported %d instructions, compiled %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("instruction %d differs", i)
		}
	}
	if err := bpf.Validate(got); err != nil {
		t.Fatal(err)
	}
}

func TestFromProfile(t *testing.T) {
	requireAMD64(t)
	opts := &ProfileOptions{Kernel: "6.1"}
	f, err := FromProfile("docker-default", opts)
	if err != nil {
		t.Fatal(err)
	}
	eperm := Errno(syscall.EPERM)
	for _, c := range []struct {
		name string
		args []uint64
		want Action
	}{
		{"getpid", nil, Allow}, {"mount", nil, eperm}, {"socket", []uint64{syscall.AF_INET}, Allow},
		{"personality", []uint64{0xffffffff}, Allow}, {"personality", []uint64{0x40000}, eperm},
		{"clone", []uint64{syscall.CLONE_NEWUSER}, eperm}, {"clone3", nil, Errno(syscall.ENOSYS)},
	} {
		if got := mustCheck(t, f, c.name, c.args...); got != c.want {
			t.Errorf("docker-default %s%v: got %v, want %v", c.name, c.args, got, c.want)
		}
	}
	if got, _ := f.CheckABI("x86", "getpid"); got != Allow {
		t.Errorf("docker-default keeps its archMap (x86): got %v", got)
	}
	if err := f.Remove("socket", "bind", "listen"); err != nil {
		t.Fatal(err)
	}
	if got := mustCheck(t, f, "socket", syscall.AF_INET); got != eperm {
		t.Errorf("after Remove: socket got %v", got)
	}
	if got := mustCheck(t, f, "connect"); got != Allow {
		t.Errorf("after Remove: connect got %v", got)
	}
	// A rule that the profile's unconditional allow would override.
	err = f.Add(eperm, "write", Arg(0).Eq(2))
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "docker-default:") {
		t.Errorf("conflict with the profile: %v", err)
	}
	if err := f.Remove("write"); err != nil {
		t.Fatal(err)
	}
	if err := f.Add(Allow, "write", Arg(0).Eq(1)); err != nil {
		t.Fatal(err)
	}
	if got := mustCheck(t, f, "write", 2); got != eperm {
		t.Errorf("write(2) got %v", got)
	}
	// The same program as the CLI's pipeline for an unmodified profile.
	g, _ := FromProfile("docker-default", opts)
	n, err := FromProfile("docker-default", &ProfileOptions{Kernel: "6.1", NoENOSYS: true})
	if err != nil {
		t.Fatal(err)
	}
	// rseq_slice_yield (471) is newer than the profile.
	if got := mustCheck(t, g, "rseq_slice_yield"); got != Errno(syscall.ENOSYS) {
		t.Errorf("ENOSYS rule: got %v", got)
	}
	if got := mustCheck(t, n, "rseq_slice_yield"); got != eperm {
		t.Errorf("NoENOSYS: got %v", got)
	}
	if _, err := FromProfile("no-such-profile.json", nil); err == nil {
		t.Error("missing profile: no error")
	}
	if _, err := FromProfileData("bad.json", []byte(`{"defaultAction": "SCMP_ACT_NOPE"}`), nil); err == nil || !strings.Contains(err.Error(), "bad.json:1:") {
		t.Errorf("bad profile: %v", err)
	}
	if _, err := FromProfile("docker-default", &ProfileOptions{Caps: []string{"no_such_cap"}}); err == nil {
		t.Error("bad capability: no error")
	}
}

func TestGoRuntimeList(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range GoRuntime() {
		if seen[n] {
			t.Errorf("%s listed twice", n)
		}
		seen[n] = true
		if !syscalls.Known(n) {
			t.Errorf("%s is not a syscall", n)
		}
	}
	for _, n := range []string{"openat", "execve", "kill", "pipe2"} {
		if seen[n] {
			t.Errorf("%s is not the runtime's after start-up", n)
		}
	}
	l := GoRuntime()
	l[0] = "changed"
	if GoRuntime()[0] == "changed" {
		t.Error("GoRuntime returns shared storage")
	}
}

// TestFromProfileIsTheCLIPipeline: with runc's bad-architecture action, a
// profile compiles to exactly the program `sysfence run -p` installs.
func TestFromProfileIsTheCLIPipeline(t *testing.T) {
	k, _ := profile.ParseKernel("6.1")
	res, err := build.Build(build.Request{Ref: "docker-default", Kernel: &k})
	if err != nil {
		t.Fatal(err)
	}
	f, err := FromProfile("docker-default", &ProfileOptions{Kernel: "6.1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetBadArchAction(KillThread); err != nil {
		t.Fatal(err)
	}
	got, err := f.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, res.Program.Filter) {
		t.Fatalf("Go API: %d instructions, CLI pipeline: %d; they differ", len(got), len(res.Program.Filter))
	}
}

func TestZeroFilter(t *testing.T) {
	var f Filter
	if err := f.Allow("read"); err == nil {
		t.Error("Allow on a zero Filter: no error")
	}
	if _, err := f.Check("read"); err == nil {
		t.Error("Check on a zero Filter: no error")
	}
	if err := f.Load(); err == nil {
		t.Error("Load on a zero Filter: no error")
	}
}
