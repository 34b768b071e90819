package sysdecode

import (
	"bytes"
	"os"
	"testing"

	"github.com/sysfence/sysfence/internal/sysdecode/internal/gen"
)

func TestGeneratedArgsAreCurrent(t *testing.T) {
	f, err := os.Open("../../data/syscall_args.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := gen.Generate(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("zargs.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("zargs.go is stale: run go generate ./internal/sysdecode and commit the result")
	}
}

func TestArgCount(t *testing.T) {
	for _, tc := range []struct {
		arch, call string
		want       int
	}{
		{"x86_64", "getcpu", 3},
		{"x32", "getcpu", 3},
		{"x86", "getcpu", 3},
		{"x86_64", "mmap", 6},
		{"x86", "mmap", 1},    // old_mmap: one pointer to the six
		{"x86", "pread64", 5}, // the offset in two registers
		{"x32", "rt_sigaction", 4},
		{"x86_64", "rt_sigreturn", 0},
	} {
		a := arch(t, tc.arch)
		if got, ok := ArgCount(a, nr(t, a, tc.call)); !ok || got != tc.want {
			t.Errorf("arch=%s: ArgCount(%s) = %d, %v; want %d", tc.arch, tc.call, got, ok, tc.want)
		}
	}
	x86 := arch(t, "x86_64")
	if _, ok := ArgCount(x86, 400); ok {
		t.Error("ArgCount(x86_64, 400) found a count for a number that is no syscall")
	}
	if _, ok := ArgCount(arch(t, "aarch64"), 168); ok {
		t.Error("ArgCount knows aarch64, which the tables do not cover")
	}
	// Every syscall of the covered ABIs has a count.
	for _, name := range []string{"x86_64", "x32", "x86"} {
		a := arch(t, name)
		for _, s := range a.Syscalls() {
			if _, ok := ArgCount(a, s.Nr); !ok {
				t.Errorf("arch=%s: no count for %s", name, s.Name)
			}
		}
	}
}

// On x86 a few calls pass their arguments otherwise than signatures says
// (a 64-bit offset in two registers, the old mmap's one pointer): their
// registers are shown as they are.
func TestCallOtherRegisterLayout(t *testing.T) {
	a := arch(t, "x86")
	d := Decoder{Arch: a, Native: a}
	if got, want := d.Call(nr(t, a, "mmap"), [6]uint64{0xffd0, 1, 2, 3, 4, 5}), "mmap(0xffd0)"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := d.Call(nr(t, a, "pread64"), [6]uint64{3, 0x8000, 10, 0x1000, 0}), "pread64(0x3, 0x8000, 0xa, 0x1000, 0)"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
