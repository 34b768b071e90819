package record

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

func arch(t testing.TB, name string) *syscalls.Arch {
	t.Helper()
	a, err := syscalls.ArchByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func nr(t testing.TB, a *syscalls.Arch, name string) uint32 {
	t.Helper()
	n, ok := a.Number(name)
	if !ok {
		t.Fatalf("%s has no %s", a, name)
	}
	return n
}

// entries returns the profile's entries for a syscall name.
func entries(p *seccomp.Seccomp, name string) []*seccomp.Syscall {
	var out []*seccomp.Syscall
	for _, s := range p.Syscalls {
		if s.Names[0] == name {
			out = append(out, s)
		}
	}
	return out
}

func recorded(t testing.TB, o *Observations, opts ProfileOptions) *Result {
	t.Helper()
	if opts.Native == nil {
		opts.Native = arch(t, "x86_64")
	}
	r, err := o.Profile(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestProfileNamesSortedCountedAndPerABI(t *testing.T) {
	x64, x86 := arch(t, "x86_64"), arch(t, "x86")
	o := New()
	o.Add(x64, nr(t, x64, "write"), 3, -1)
	o.Add(x64, nr(t, x64, "read"), 10, 2)
	o.Add(x86, nr(t, x86, "read"), 1, 0)
	o.Add(x86, nr(t, x86, "socketcall"), 1, -1)
	o.Add(x64, 999, 4, -1) // no syscall 999 on x86_64: kept by number
	r := recorded(t, o, ProfileOptions{})
	p := r.Profile

	var names []string
	for _, s := range p.Syscalls {
		names = append(names, strings.Join(s.Names, ","))
		if s.Action != specs.ActAllow {
			t.Errorf("%v: action %s", s.Names, s.Action)
		}
	}
	if got, want := strings.Join(names, " "), "read restart_syscall socketcall write"; got != want {
		t.Errorf("names = %q, want %q", got, want)
	}
	if got := entries(p, "read")[0].Comment; got != "11 calls, 2 errors (x86_64 10, x86 1)" {
		t.Errorf("read comment = %q", got)
	}
	if got := entries(p, "write")[0].Comment; got != "3 calls" {
		t.Errorf("write comment = %q", got)
	}
	if got := entries(p, "socketcall")[0].Comment; got != "1 call (x86 1)" {
		t.Errorf("socketcall comment = %q", got)
	}
	if got := strings.Join(archStrings(p.Architectures), " "); got != "SCMP_ARCH_X86_64 SCMP_ARCH_X86" {
		t.Errorf("architectures = %s", got)
	}
	if p.DefaultAction != specs.ActErrno || p.DefaultErrnoRet == nil || *p.DefaultErrnoRet != 1 {
		t.Errorf("default = %s %v, want ERRNO(EPERM)", p.DefaultAction, p.DefaultErrnoRet)
	}
	if len(r.Unknown) != 1 || r.Unknown[0].Nr != 999 || r.Unknown[0].Arch != x64 || r.Unknown[0].Calls != 4 {
		t.Errorf("unknown = %+v", r.Unknown)
	}
	if s := r.Unknown[0].String(); !strings.Contains(s, "999") || !strings.Contains(s, "x86_64") {
		t.Errorf("unknown message %q", s)
	}
	for _, s := range p.Syscalls {
		for _, n := range s.Names {
			if n == "" || strings.Contains(n, "unknown") {
				t.Errorf("bad name %q", n)
			}
		}
	}
	// Entries keep the number.
	var sawNr bool
	for _, e := range o.Entries() {
		if e.Nr == 999 {
			sawNr = e.Name == "" && e.String() == "x86_64/#999"
		}
	}
	if !sawNr {
		t.Error("Entries lost syscall 999 or named it")
	}
}

func archStrings(a []specs.Arch) []string {
	out := make([]string, len(a))
	for i, x := range a {
		out[i] = string(x)
	}
	return out
}

func TestX32NumbersCarryTheBit(t *testing.T) {
	x32 := arch(t, "x32")
	o := New()
	o.Add(x32, nr(t, x32, "read"), 1, -1)
	if n := nr(t, x32, "read"); n&syscalls.X32SyscallBit == 0 {
		t.Fatalf("x32 read = %#x", n)
	}
	p := recorded(t, o, ProfileOptions{}).Profile
	if len(entries(p, "read")) != 1 || strings.Join(archStrings(p.Architectures), " ") != "SCMP_ARCH_X86_64 SCMP_ARCH_X32" {
		t.Errorf("x32 profile: %+v %v", p.Syscalls, p.Architectures)
	}
}

func TestProfileDeterministic(t *testing.T) {
	x64 := arch(t, "x86_64")
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	type call struct {
		nr   uint32
		args ArgValues
	}
	var calls []call
	for range 300 {
		name := []string{"socket", "ioctl", "read", "mmap", "prctl", "openat"}[rng.IntN(6)]
		calls = append(calls, call{nr(t, x64, name), ArgValues{rng.Uint64N(4), rng.Uint64N(8)}})
	}
	var first []byte
	for i := range 5 {
		rng.Shuffle(len(calls), func(a, b int) { calls[a], calls[b] = calls[b], calls[a] })
		o := New()
		o.ArgsRecorded = true
		for _, c := range calls {
			o.Add(x64, c.nr, 1, -1)
			if _, ok := ArgSpecFor(x64, c.nr); ok {
				o.AddArgs(x64, c.nr, c.args, 1)
			}
		}
		b, err := json.Marshal(recorded(t, o, ProfileOptions{Args: true}).Profile)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
		} else if string(b) != string(first) {
			t.Fatalf("run %d differs:\n%s\n%s", i, first, b)
		}
	}
}

func TestArgRules(t *testing.T) {
	x64, x86 := arch(t, "x86_64"), arch(t, "x86")
	type obs struct {
		arch *syscalls.Arch
		name string
		v    ArgValues
	}
	const sockStream, sockCloexec, afInet, afUnix = 1, 0o2000000, 2, 1
	tests := []struct {
		name string
		obs  []obs
		sc   string
		want []string // rendered args of each entry
	}{
		{"syscall=socket/op=EQ+MASKED_EQ", []obs{{x64, "socket", ArgValues{afInet, sockStream | sockCloexec}}, {x64, "socket", ArgValues{afUnix, sockStream}}, {x64, "socket", ArgValues{afInet, sockStream}}},
			"socket", []string{"0 EQ 1; 1 MASKED_EQ 15 1", "0 EQ 2; 1 MASKED_EQ 15 1"}},
		{"syscall=socket/op=sign-extended", []obs{{x64, "socket", ArgValues{0xffffffff00000002, 2}}},
			"socket", []string{"0 MASKED_EQ 4294967295 2; 1 MASKED_EQ 15 2"}},
		{"syscall=ioctl/op=EQ", []obs{{x64, "ioctl", ArgValues{0x5401}}, {x64, "ioctl", ArgValues{0x5413}}},
			"ioctl", []string{"1 EQ 21505", "1 EQ 21523"}},
		{"syscall=mmap/op=MASKED_EQ", []obs{{x64, "mmap", ArgValues{3}}, {x64, "mmap", ArgValues{1}}},
			"mmap", []string{"2 MASKED_EQ 4 0"}},
		{"syscall=mmap/op=none", []obs{{x64, "mmap", ArgValues{3}}, {x64, "mmap", ArgValues{5}}},
			"mmap", []string{""}},
		{"syscall=clone/op=MASKED_EQ", []obs{{x64, "clone", ArgValues{0x01200011}}, {x64, "clone", ArgValues{0x10000000 | 17}}},
			"clone", []string{"0 MASKED_EQ 2114060288 0", "0 MASKED_EQ 2114060288 268435456"}},
		{"syscall=unshare/op=MASKED_EQ", []obs{{x64, "unshare", ArgValues{0x200}}},
			"unshare", []string{"0 MASKED_EQ 2114060416 0"}},
		{"syscall=personality/op=EQ", []obs{{x64, "personality", ArgValues{0xffffffff}}, {x86, "personality", ArgValues{0xffffffff}}},
			"personality", []string{"0 EQ 4294967295"}},
		{"syscall=prctl/arch=x86/op=EQ", []obs{{x86, "prctl", ArgValues{0xdead000000000f}}},
			"prctl", []string{"0 EQ 15"}},
		{"syscall=clone3/op=ENOSYS", []obs{{x64, "clone3", ArgValues{0x3d0f00}}},
			"clone3", []string{"ENOSYS"}},
		{"syscall=clone3/fallback=clone", []obs{{x64, "clone3", ArgValues{0x3d0f00}}, {x64, "clone", ArgValues{0x20000000 | 17}}},
			"clone", []string{"0 MASKED_EQ 2114060288 0", "0 MASKED_EQ 2114060288 536870912"}},
		{"syscall=clone3/op=NEWTIME", []obs{{x64, "clone3", ArgValues{0x80}}},
			"clone3", []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := New()
			o.ArgsRecorded = true
			for _, ob := range tt.obs {
				n := nr(t, ob.arch, ob.name)
				o.Add(ob.arch, n, 1, -1)
				o.AddArgs(ob.arch, n, ob.v, 1)
			}
			p := recorded(t, o, ProfileOptions{Args: true}).Profile
			var got []string
			for _, s := range entries(p, tt.sc) {
				got = append(got, render(s))
				if s.Comment == "" || strings.Contains(s.Comment, "not seen") {
					t.Errorf("%v: comment %q", s.Names, s.Comment)
				}
			}
			if strings.Join(got, " | ") != strings.Join(tt.want, " | ") {
				t.Errorf("%s entries = %q, want %q", tt.sc, got, tt.want)
			}
			// Without Args there is exactly one plain entry per name.
			p = recorded(t, o, ProfileOptions{}).Profile
			if e := entries(p, tt.obs[0].name); len(e) != 1 || len(e[0].Args) != 0 || e[0].Action != specs.ActAllow {
				t.Errorf("without Args: %+v", e)
			}
		})
	}
}

func render(s *seccomp.Syscall) string {
	if s.Action == specs.ActErrno && s.ErrnoRet != nil && *s.ErrnoRet == errnoENOSYS {
		return "ENOSYS"
	}
	var parts []string
	for _, a := range s.Args {
		op := strings.TrimPrefix(string(a.Op), "SCMP_CMP_")
		if a.Op == specs.OpMaskedEqual {
			parts = append(parts, strings.Join([]string{itoa(a.Index), op, utoa(a.Value), utoa(a.ValueTwo)}, " "))
		} else {
			parts = append(parts, strings.Join([]string{itoa(a.Index), op, utoa(a.Value)}, " "))
		}
	}
	return strings.Join(parts, "; ")
}

func itoa(v uint) string   { return utoa(uint64(v)) }
func utoa(v uint64) string { return strconvU(v) }

func TestIncompleteArgsGivePlainRule(t *testing.T) {
	x64 := arch(t, "x86_64")
	sock := nr(t, x64, "socket")
	o := New()
	o.Add(x64, sock, 2, -1)
	o.AddArgs(x64, sock, ArgValues{2, 1}, 1)
	o.MarkArgsIncomplete(x64, sock)
	p := recorded(t, o, ProfileOptions{Args: true}).Profile
	if e := entries(p, "socket"); len(e) != 1 || len(e[0].Args) != 0 {
		t.Errorf("incomplete socket args gave %+v", e)
	}
}

// TestArgRulesAllowWhatWasSeen checks, with the reference semantics of
// package policy, that every recorded call is allowed by the generated
// entries and that values never seen in the deciding bits are not.
func TestArgRulesAllowWhatWasSeen(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	for _, an := range []string{"x86_64", "x86"} {
		a := arch(t, an)
		for _, spec := range ArgSpecs() {
			n, ok := a.Number(spec.Name)
			if !ok || spec.Name == "clone3" {
				continue
			}
			t.Run("arch="+an+"/syscall="+spec.Name, func(t *testing.T) {
				o := New()
				var seen []ArgValues
				for range 1 + rng.IntN(6) {
					v := ArgValues{randArg(rng), randArg(rng)}
					seen = append(seen, v)
					o.Add(a, n, 1, -1)
					o.AddArgs(a, n, v, 1)
				}
				p := recorded(t, o, ProfileOptions{Args: true}).Profile
				es := entries(p, spec.Name)
				for _, v := range seen {
					if !allowed(es, v, a.Is64()) {
						t.Errorf("seen %#x not allowed by %+v", v, es)
					}
				}
				// A value differing in the deciding bits of field 0 from
				// everything seen must be denied.
				f := spec.Fields[0]
				for range 50 {
					v := ArgValues{randArg(rng), randArg(rng)}
					fresh := true
					for _, s := range seen {
						m := f.Mask
						if f.Int32 || !a.Is64() {
							m &= 0xffffffff
						}
						if v[0]&m == s[0]&m {
							fresh = false
						}
					}
					if fresh && allowed(es, v, a.Is64()) {
						t.Errorf("unseen %#x allowed by %+v", v, es)
					}
				}
			})
		}
	}
}

func randArg(rng *rand.Rand) uint64 {
	switch rng.IntN(4) {
	case 0:
		return rng.Uint64N(8)
	case 1:
		return rng.Uint64() | 0xffffffff00000000
	case 2:
		return uint64(rng.Uint32())
	}
	return rng.Uint64()
}

// allowed applies OCI semantics: some entry whose conditions all hold.
func allowed(es []*seccomp.Syscall, v ArgValues, is64 bool) bool {
	args := [6]uint64{}
	for _, e := range es {
		ok := e.Action == specs.ActAllow
		for _, c := range e.Args {
			// Place the value at the argument index the spec uses.
			args[c.Index] = v[argSlot(es, c.Index)]
			pc := policy.Cond{Arg: uint8(c.Index), Value: c.Value}
			switch c.Op {
			case specs.OpEqualTo:
				pc.Op = policy.OpEq
			case specs.OpMaskedEqual:
				pc.Op, pc.Mask, pc.Value = policy.OpMaskedEq, c.Value, c.ValueTwo
			default:
				panic(c.Op)
			}
			ok = ok && pc.Match(args[c.Index], is64)
		}
		if ok {
			return true
		}
	}
	return false
}

// argSlot maps an argument index back to the ArgValues position: the
// first distinct index seen in the entries is slot 0.
func argSlot(es []*seccomp.Syscall, idx uint) int {
	for _, e := range es {
		if len(e.Args) > 0 {
			if e.Args[0].Index == idx {
				return 0
			}
			return 1
		}
	}
	return 0
}

func TestMerge(t *testing.T) {
	x64 := arch(t, "x86_64")
	read, sock := nr(t, x64, "read"), nr(t, x64, "socket")
	a := New()
	a.ArgsRecorded = true
	a.Processes = 2
	a.Add(x64, read, 5, 1)
	a.Add(x64, sock, 1, -1)
	a.AddArgs(x64, sock, ArgValues{2, 1}, 1)
	b := New()
	b.ArgsRecorded = true
	b.Processes = 3
	b.Add(x64, read, 7, 0)
	b.Add(x64, sock, 1, -1)
	b.AddArgs(x64, sock, ArgValues{10, 2}, 1)
	c := New() // no --args, never read; socket without values
	c.Add(x64, sock, 4, -1)

	a.Merge(b)
	if s := a.Lookup(x64, read); s.Calls != 12 || s.Errors != 1 || !s.ErrorsKnown || s.Recordings != 2 {
		t.Errorf("read after merge: %+v", s)
	}
	if s := a.Lookup(x64, sock); len(s.Args.Values) != 2 || !s.Args.Complete {
		t.Errorf("socket args after merge: %+v", s.Args)
	}
	if a.Processes != 5 || a.Recordings != 2 || !a.ArgsRecorded {
		t.Errorf("merged counts: %+v", a)
	}
	p := recorded(t, a, ProfileOptions{Args: true}).Profile
	if got := entries(p, "read")[0].Comment; got != "12 calls, 1 error, in 2 of 2 recordings" {
		t.Errorf("read comment %q", got)
	}
	if len(entries(p, "socket")) != 2 {
		t.Errorf("socket entries: %+v", entries(p, "socket"))
	}

	a.Merge(c)
	if s := a.Lookup(x64, sock); s.Args.Complete || s.Recordings != 3 || s.Calls != 6 {
		t.Errorf("socket after merging a recording without args: %+v %+v", s, s.Args)
	}
	if s := a.Lookup(x64, read); s.Recordings != 2 {
		t.Errorf("read recordings = %d", s.Recordings)
	}
	if a.ArgsRecorded {
		t.Error("ArgsRecorded should be false after merging a recording without args")
	}
	p = recorded(t, a, ProfileOptions{Args: true}).Profile
	if e := entries(p, "socket"); len(e) != 1 || len(e[0].Args) != 0 {
		t.Errorf("socket should be unrestricted: %+v", e)
	}
	if got := entries(p, "read")[0].Comment; got != "12 calls, 1 error, in 2 of 3 recordings" {
		t.Errorf("read comment %q", got)
	}
}

func TestRuntimeSyscalls(t *testing.T) {
	x64 := arch(t, "x86_64")
	for _, rt := range Runtimes() {
		t.Run("for="+string(rt), func(t *testing.T) {
			names, err := RuntimeSyscalls(rt)
			if err != nil {
				t.Fatal(err)
			}
			if (rt == RuntimeSysfence) != (len(names) == 0) {
				t.Errorf("%s: %d names", rt, len(names))
			}
			for i, n := range names {
				if _, ok := x64.Number(n); !ok {
					t.Errorf("%s: %q is not an x86_64 syscall", rt, n)
				}
				if i > 0 && names[i-1] >= n {
					t.Errorf("%s: not sorted/unique at %q", rt, n)
				}
			}
		})
	}
	d, _ := RuntimeSyscalls(RuntimeDocker)
	r, _ := RuntimeSyscalls(RuntimeRunc)
	if strings.Join(d, " ") != strings.Join(r, " ") {
		t.Error("docker should equal runc")
	}
	if _, err := RuntimeSyscalls("podman"); !errors.Is(err, ErrUnknownRuntime) {
		t.Errorf("podman: %v", err)
	}
}

func TestProfileForRuntime(t *testing.T) {
	x64 := arch(t, "x86_64")
	o := New()
	o.ArgsRecorded = true
	pr := nr(t, x64, "prctl")
	o.Add(x64, pr, 1, -1)
	o.AddArgs(x64, pr, ArgValues{15}, 1)
	p := recorded(t, o, ProfileOptions{Args: true, For: RuntimeRunc}).Profile
	if e := entries(p, "prctl"); len(e) != 1 || len(e[0].Args) != 0 || !strings.Contains(e[0].Comment, "runc") {
		t.Errorf("prctl for runc: %+v", e)
	}
	if e := entries(p, "execve"); len(e) != 1 || !strings.Contains(e[0].Comment, "not seen; needed by runc") {
		t.Errorf("execve for runc: %+v", e)
	}
	p = recorded(t, o, ProfileOptions{Args: true, For: RuntimeSysfence}).Profile
	if len(p.Syscalls) != 2 || p.Syscalls[1].Names[0] != "restart_syscall" {
		t.Errorf("sysfence adds nothing, got %d entries", len(p.Syscalls))
	}
	if _, err := o.Profile(ProfileOptions{For: "lxc", Native: x64}); !errors.Is(err, ErrUnknownRuntime) {
		t.Errorf("lxc: %v", err)
	}
}

func TestNotSupportedError(t *testing.T) {
	cause := errors.New("operation not permitted")
	var err error = &NotSupportedError{Backend: "ebpf", Missing: "CAP_BPF", Err: cause}
	if !errors.Is(err, ErrNotSupported) || !errors.Is(err, cause) {
		t.Errorf("errors.Is failed for %v", err)
	}
	if !strings.Contains(err.Error(), "needs CAP_BPF") {
		t.Errorf("message %q", err)
	}
}

func TestImpliedSyscalls(t *testing.T) {
	x64, x86 := arch(t, "x86_64"), arch(t, "x86")
	for _, tc := range []struct {
		name string
		seen []string // abi/name
		want string   // implied names, not seen
	}{
		{"none", nil, ""},
		{"plain", []string{"x86_64/write"}, "restart_syscall"},
		{"handlers", []string{"x86_64/rt_sigaction"}, "restart_syscall rt_sigreturn"},
		{"handlers-x86", []string{"x86/rt_sigaction"}, "restart_syscall rt_sigreturn sigreturn"},
		{"epoll", []string{"x86_64/epoll_create1"}, "epoll_pwait epoll_wait restart_syscall"},
		{"seen-already", []string{"x86_64/rt_sigaction", "x86_64/rt_sigreturn", "x86_64/restart_syscall"}, ""},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			o := New()
			for _, s := range tc.seen {
				a, n, _ := strings.Cut(s, "/")
				ar := x64
				if a == "x86" {
					ar = x86
				}
				o.Add(ar, nr(t, ar, n), 1, -1)
			}
			var got []string
			for _, e := range recorded(t, o, ProfileOptions{}).Profile.Syscalls {
				if strings.HasPrefix(e.Comment, "not seen; ") {
					got = append(got, e.Names[0])
				}
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("implied %q, want %q", got, tc.want)
			}
		})
	}
}

// TestEscapedChildrenMarkTheProfile: a call whose child escaped the
// recorder says in its comment that the profile is incomplete, with or
// without argument rules, and only that call.
func TestEscapedChildrenMarkTheProfile(t *testing.T) {
	x64 := arch(t, "x86_64")
	o := New()
	o.ArgsRecorded = true
	for _, n := range []string{"clone", "clone3"} {
		o.Add(x64, nr(t, x64, n), 2, -1)
	}
	o.AddArgs(x64, nr(t, x64, "clone"), ArgValues{0x11}, 2)
	o.AddArgs(x64, nr(t, x64, "clone3"), ArgValues{0x800000}, 2)
	o.AddEscaped(x64, nr(t, x64, "clone3"), 1)
	for _, args := range []bool{false, true} {
		p := recorded(t, o, ProfileOptions{Args: args}).Profile
		for _, n := range []string{"clone", "clone3"} {
			for _, e := range entries(p, n) {
				if got := strings.Contains(e.Comment, escapedNote); got != (n == "clone3") {
					t.Errorf("args %v: %s: %q", args, n, e.Comment)
				}
			}
		}
	}
}
