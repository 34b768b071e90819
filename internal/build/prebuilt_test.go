package build_test

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/internal/build/internal/genprebuilt"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"

	"github.com/sysfence/sysfence/internal/testenv"
)

func TestPrebuiltTableIsCurrent(t *testing.T) {
	want, err := genprebuilt.Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("zprebuilt.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("zprebuilt.go is stale (a new moby profiles module, or a compiler change): run go generate ./internal/build and commit the result")
	}
}

// TestPrebuiltIsWhatBuildGives checks the shortcut on this machine, with
// its running kernel, against the whole pipeline.
func TestPrebuiltIsWhatBuildGives(t *testing.T) {
	native, err := syscalls.Native()
	if err != nil {
		testenv.Skip(t, err.Error())
	}
	if _, err := profile.RunningKernel(); err != nil {
		testenv.Skip(t, err.Error())
	}
	for _, arch := range []*syscalls.Arch{nil, native} {
		req := build.Request{Ref: "docker-default", Arch: arch}
		prog, ok := build.Prebuilt(req)
		if !ok {
			t.Fatalf("no prebuilt docker-default for %s (arch given: %v)", native.Name, arch != nil)
		}
		res, err := build.Build(req)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(prog, res.Program.Filter) {
			t.Errorf("prebuilt docker-default for %s differs from Build's (%d vs %d instructions)", native.Name, len(prog), len(res.Program.Filter))
		}
	}
}

func TestPrebuiltOnlyForTheDefaultTarget(t *testing.T) {
	if _, err := syscalls.Native(); err != nil {
		testenv.Skip(t, err.Error())
	}
	old := profile.KernelVersion{Major: 4, Minor: 0}
	for name, req := range map[string]build.Request{
		"a file":        {Ref: "./docker-default"},
		"other caps":    {Ref: "docker-default", Caps: []string{"CAP_SYS_ADMIN"}},
		"a kernel":      {Ref: "docker-default", Kernel: &old},
		"strict":        {Ref: "docker-default", Strict: true},
		"no ENOSYS":     {Ref: "docker-default", NoENOSYS: true},
		"annotated":     {Ref: "docker-default", Annotate: true},
		"verbose":       {Ref: "docker-default", Verbose: true},
		"given profile": {Ref: "docker-default", Profile: &profile.Profile{}},
	} {
		if _, ok := build.Prebuilt(req); ok {
			t.Errorf("%s: Prebuilt answered; only Build knows this target", name)
		}
	}
}

func TestPrebuiltCoversEveryGoArch(t *testing.T) {
	for _, name := range genprebuilt.GoArches {
		arch, err := syscalls.ArchByName(name)
		if err != nil {
			t.Fatal(err)
		}
		k, err := profile.RunningKernel()
		if err != nil {
			testenv.Skip(t, err.Error())
		}
		if !k.AtLeast(4, 8) {
			t.Skipf("kernel %s is older than docker-default's minKernel", k)
		}
		if _, ok := build.Prebuilt(build.Request{Ref: "docker-default", Arch: arch}); !ok {
			t.Errorf("no prebuilt docker-default for %s", name)
		}
	}
}
