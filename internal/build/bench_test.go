package build

import (
	"testing"

	"github.com/sysfence/sysfence/profile"
)

// dockerDefaultJSON is Docker's default profile as JSON text, the bytes of
// moby's default.json (the profile package tests that they are identical).
func dockerDefaultJSON(tb testing.TB) []byte {
	tb.Helper()
	b, err := profile.Builtin("docker-default")
	if err != nil {
		tb.Fatal(err)
	}
	data, err := profile.Marshal(b, profile.WriteOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// BenchmarkPipelineDockerDefault is the issue's "parse + resolve +
// compile" figure: Docker's default JSON to a filter for x86_64 with its
// archMap (x86_64, x86, x32).
func BenchmarkPipelineDockerDefault(b *testing.B) {
	data := dockerDefaultJSON(b)
	amd64 := amd64(b)
	k := profile.KernelVersion{Major: 6, Minor: 18}
	b.ReportAllocs()
	for b.Loop() {
		p, err := profile.Parse("default.json", data)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Build(Request{Profile: p, Arch: amd64, Kernel: &k})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Program.Filter) == 0 {
			b.Fatal("empty program")
		}
	}
}
