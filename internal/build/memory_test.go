package build

import (
	"runtime"
	"testing"

	"github.com/sysfence/sysfence/internal/profilegen"
	"github.com/sysfence/sysfence/profile"
)

// A names list of millions of entries (a generated list repeats names:
// there are about a thousand) compiles in a few times its size: each
// name is one rule per ABI only once. Every copy cost a rule per ABI
// (about 250 bytes for x86_64's three ABIs, 20 times the name's text).
func TestHugeNamesListMemory(t *testing.T) {
	data := profilegen.Docker(profilegen.HugeNames, 10<<20, false, 1)
	k := &profile.KernelVersion{Major: 6, Minor: 8}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p, err := profile.ParseOwned("huge.json", data)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Build(Request{Profile: p, Arch: amd64(t), Kernel: k})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	ratio := float64(after.TotalAlloc-before.TotalAlloc) / float64(len(data))
	t.Logf("%d bytes, %d names: %.2f times the input allocated", len(data), len(p.Seccomp.Syscalls[0].Names), ratio)
	if ratio > 6 {
		t.Errorf("parse and build allocated %.2f times the input, more than 6", ratio)
	}
	// The filter is the one of the distinct names.
	p.Seccomp.Syscalls[0].Names = uniqueNames(res.Resolved.OCI).Syscalls[0].Names
	want, err := Build(Request{Profile: p, Arch: amd64(t), Kernel: k})
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Program.Filter) != len(res.Program.Filter) {
		t.Errorf("%d instructions, %d without the repeats", len(res.Program.Filter), len(want.Program.Filter))
	}
	for i := range want.Program.Filter {
		if want.Program.Filter[i] != res.Program.Filter[i] {
			t.Fatalf("instruction %d differs without the repeats", i)
		}
	}
}
