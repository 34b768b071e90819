package syscalls

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"testing"

	gen "github.com/sysfence/sysfence/syscalls/internal/gen"
)

func TestGeneratedTableIsCurrent(t *testing.T) {
	f, err := os.Open("../data/syscalls.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := gen.Generate(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("zsyscalls.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("zsyscalls.go is stale: run go generate ./syscalls and commit the result")
	}
}

func TestTableShape(t *testing.T) {
	if n := len(Names()); n != 508 {
		t.Errorf("len(Names()) = %d, want 508", n)
	}
	if n := len(Arches()); n != 23 {
		t.Errorf("len(Arches()) = %d, want 23 (18 tables, 5 byte-order twins)", n)
	}
}

func TestNumbers(t *testing.T) {
	cases := []struct {
		arch, name string
		nr         uint32
	}{
		{"x86_64", "read", 0},
		{"x86_64", "openat", 257},
		{"x86_64", "fchmodat2", 452},
		{"x86", "socketcall", 102},
		{"x86", "socket", 359},
		{"x32", "read", 0x40000000},
		{"x32", "rt_sigaction", 0x40000000 | 512},
		{"aarch64", "openat", 56},
		{"arm", "breakpoint", 0xf0001},
		{"mips", "read", 4003},
		{"mipsel", "read", 4003},
		{"mips64", "read", 5000},
		{"mips64n32", "read", 6000},
		{"s390x", "clone", 120},
	}
	for _, c := range cases {
		t.Run("arch="+c.arch+"/name="+c.name, func(t *testing.T) {
			a, err := ArchByName(c.arch)
			if err != nil {
				t.Fatal(err)
			}
			nr, ok := a.Number(c.name)
			if !ok || nr != c.nr {
				t.Fatalf("Number(%q) = %d, %v; want %d", c.name, nr, ok, c.nr)
			}
			name, ok := a.SyscallName(c.nr)
			if !ok || name != c.name {
				t.Fatalf("SyscallName(%d) = %q, %v; want %q", c.nr, name, ok, c.name)
			}
		})
	}
}

func TestRoundTripEveryTable(t *testing.T) {
	for _, a := range Arches() {
		seen := map[uint32]bool{}
		for _, s := range a.Syscalls() {
			if seen[s.Nr] {
				t.Errorf("arch=%s: number %d listed twice", a.Name, s.Nr)
			}
			seen[s.Nr] = true
			nr, ok := a.Number(s.Name)
			if !ok || nr != s.Nr {
				t.Errorf("arch=%s: Number(%s) = %d, want %d", a.Name, s.Name, nr, s.Nr)
			}
			if a.IsX32() && nr&X32SyscallBit == 0 {
				t.Errorf("arch=x32: %s lacks the x32 bit", s.Name)
			}
		}
	}
}

func TestArchByName(t *testing.T) {
	for in, want := range map[string]string{
		"amd64": "x86_64", "SCMP_ARCH_X86_64": "x86_64", "x86_64": "x86_64", "i686": "x86",
		"arm64": "aarch64", "SCMP_ARCH_X32": "x32", "mips3l64n32": "mipsel64n32", "scmp_arch_ppc64le": "ppc64le",
	} {
		a, err := ArchByName(in)
		if err != nil || a.Name != want {
			t.Errorf("ArchByName(%q) = %v, %v; want %s", in, a, err, want)
		}
	}
	if _, err := ArchByName("vax"); !errors.Is(err, ErrUnknownArch) {
		t.Errorf("ArchByName(vax) error = %v, want ErrUnknownArch", err)
	}
}

func TestMux(t *testing.T) {
	x86, _ := ArchByName("x86")
	m, ok := x86.Mux("accept")
	if !ok || m.Name != "socketcall" || m.Nr != 102 || m.Call != 5 {
		t.Errorf("x86 Mux(accept) = %+v, %v", m, ok)
	}
	if _, ok := x86.Number("accept"); ok {
		t.Error("x86 accept must exist only through socketcall")
	}
	m, ok = x86.Mux("shmctl")
	if !ok || m.Name != "ipc" || m.Call != 24 {
		t.Errorf("x86 Mux(shmctl) = %+v, %v", m, ok)
	}
	amd64, _ := ArchByName("x86_64")
	if _, ok := amd64.Mux("socket"); ok {
		t.Error("x86_64 has no socketcall")
	}
}

func TestLookupSuggests(t *testing.T) {
	amd64, _ := ArchByName("x86_64")
	_, err := amd64.Lookup("opnat")
	if !errors.Is(err, ErrUnknownSyscall) || err.Error() != `unknown syscall "opnat" (did you mean openat?)` {
		t.Errorf("Lookup(opnat) = %v", err)
	}
	if got := Suggest("execvee"); got != "execve" {
		t.Errorf("Suggest(execvee) = %q", got)
	}
	if got := Suggest("zzzzzzzzzz"); got != "" {
		t.Errorf("Suggest(zzzzzzzzzz) = %q, want none", got)
	}
}

func TestClosest(t *testing.T) {
	acts := []string{"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
		"SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"}
	ops := []string{"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"}
	for _, c := range []struct {
		in         string
		candidates []string
		want       string
	}{
		{"scmp_act_errno", acts, "SCMP_ACT_ERRNO"},
		// Equal distance to TRAP and ERRNO: the longer shared prefix wins,
		// not the list order.
		{"SCMP_ACT_EROR", acts, "SCMP_ACT_ERRNO"},
		{"SCMP_ACT_ALOW", acts, "SCMP_ACT_ALLOW"},
		// The candidates' common prefix completes a bare name.
		{"ERRNO", acts, "SCMP_ACT_ERRNO"},
		{"allow", acts, "SCMP_ACT_ALLOW"},
		{"EQ", ops, "SCMP_CMP_EQ"},
		{"MASKED_EQ", ops, "SCMP_CMP_MASKED_EQ"},
		{"ALOW", acts, "SCMP_ACT_ALLOW"},
		{"XYZ", acts, ""},
		{"SCMP_ACT_WHATEVER", acts, ""},
		// A tie that the shared prefix does not break gives no suggestion.
		{"readd", names[:], ""}, // read or readv
		{"opnat", names[:], "openat"},
		{"execvee", names[:], "execve"},
		{"x86-65", ArchNames(), "x86_64"},
	} {
		if got := Closest(c.in, c.candidates); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"a", "b", 1}, {"abc", "abc", 0},
		{"abc", "acb", 1}, {"ca", "abc", 2}, {"eror", "errno", 2}, {"kitten", "sitting", 3},
		{"opnat", "openat", 1}, {"lte", "lt", 1}, {"lte", "le", 1},
	} {
		if got := distance(c.a, c.b); got != c.want {
			t.Errorf("distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := distance(c.b, c.a); got != c.want {
			t.Errorf("distance(%q, %q) = %d, want %d", c.b, c.a, got, c.want)
		}
	}
}

// nameIndex answers alike before and after it switches from a binary
// search to the map.
func TestNameIndexBothWays(t *testing.T) {
	if !slices.IsSorted(names[:]) {
		t.Fatal("names is not sorted: the binary search needs it")
	}
	for pass := 0; pass < 2; pass++ {
		for i, n := range names {
			if got := nameIndex(n); got != i {
				t.Fatalf("pass %d: nameIndex(%q) = %d, want %d", pass, n, got, i)
			}
		}
		for _, n := range []string{"", "nosuch", "zzz", "_"} {
			if got := nameIndex(n); got != -1 {
				t.Fatalf("pass %d: nameIndex(%q) = %d, want -1", pass, n, got)
			}
		}
	}
	if lookups.Load() < 64 {
		t.Fatal("the map was never used")
	}
}
