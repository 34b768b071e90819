package diff

import (
	"slices"
	"testing"

	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/lift"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// dockerMinus returns Docker's default profile without one syscall name.
func dockerMinus(t testing.TB, name string) *profile.Profile {
	t.Helper()
	p, err := profile.Builtin("docker-default")
	if err != nil {
		t.Fatal(err)
	}
	s := *p.Seccomp
	s.Syscalls = nil
	removed := false
	for _, e := range p.Seccomp.Syscalls {
		c := *e
		if i := slices.Index(c.Names, name); i >= 0 {
			c.Names = slices.Delete(slices.Clone(c.Names), i, i+1)
			removed = true
		}
		s.Syscalls = append(s.Syscalls, &c)
	}
	if !removed {
		t.Fatalf("%s is not in Docker's default", name)
	}
	return profile.New(&s, nil)
}

// BenchmarkDockerMinusOne: Docker's default against itself without
// mkdir, on an x86_64 host's three ABIs (x86_64, x86, x32): building both
// filters from the parsed profiles, lifting both, comparing; and lifting
// and comparing alone. The goal is 50 ms for the whole.
func BenchmarkDockerMinusOne(b *testing.B) {
	x86_64, _ := syscalls.ArchByName("x86_64")
	def, err := profile.Builtin("docker-default")
	if err != nil {
		b.Fatal(err)
	}
	minus := dockerMinus(b, "mkdir")
	run := func(b *testing.B, withBuild bool) {
		ra, err := build.Build(build.Request{Profile: def, Arch: x86_64})
		if err != nil {
			b.Fatal(err)
		}
		rb, err := build.Build(build.Request{Profile: minus, Arch: x86_64})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if withBuild {
				if ra, err = build.Build(build.Request{Profile: def, Arch: x86_64}); err != nil {
					b.Fatal(err)
				}
				if rb, err = build.Build(build.Request{Profile: minus, Arch: x86_64}); err != nil {
					b.Fatal(err)
				}
			}
			s := lift.NewSpace()
			fa, err := s.Program(ra.Program.Filter, false)
			if err != nil {
				b.Fatal(err)
			}
			fb, err := s.Program(rb.Program.Filter, false)
			if err != nil {
				b.Fatal(err)
			}
			found, err := Compare(fa, fb, x86_64)
			if err != nil || len(found) != 3 {
				b.Fatalf("%d findings, %v", len(found), err)
			}
		}
	}
	b.Run("build+lift+compare", func(b *testing.B) { run(b, true) })
	b.Run("lift+compare", func(b *testing.B) { run(b, false) })
	b.Run("compare", func(b *testing.B) {
		ra, _ := build.Build(build.Request{Profile: def, Arch: x86_64})
		rb, _ := build.Build(build.Request{Profile: minus, Arch: x86_64})
		s := lift.NewSpace()
		fa, _ := s.Program(ra.Program.Filter, false)
		fb, _ := s.Program(rb.Program.Filter, false)
		for b.Loop() {
			found, err := Compare(fa, fb, x86_64)
			if err != nil || len(found) != 3 {
				b.Fatalf("%d findings, %v", len(found), err)
			}
		}
	})
}

// TestDockerMinusOne is the benchmark's case as a test: exactly mkdir
// differs, on each ABI that has it, denied by A's default.
func TestDockerMinusOne(t *testing.T) {
	x86_64, _ := syscalls.ArchByName("x86_64")
	def, err := build.Build(build.Request{Ref: "docker-default", Arch: x86_64})
	if err != nil {
		t.Fatal(err)
	}
	minus, err := build.Build(build.Request{Profile: dockerMinus(t, "mkdir"), Arch: x86_64})
	if err != nil {
		t.Fatal(err)
	}
	s := lift.NewSpace()
	fa, _ := s.Program(def.Program.Filter, false)
	fb, _ := s.Program(minus.Program.Filter, false)
	found, err := Compare(fa, fb, x86_64)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range found {
		got = append(got, f.String())
	}
	want := []string{
		"x86_64 mkdir: A ALLOW, B ERRNO(EPERM) — e.g. mkdir(NULL, 0)",
		"x86 mkdir: A ALLOW, B ERRNO(EPERM) — e.g. mkdir(NULL, 0)",
		"x32 mkdir: A ALLOW, B ERRNO(EPERM) — e.g. mkdir(NULL, 0)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
