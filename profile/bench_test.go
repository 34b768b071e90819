package profile

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/moby/profiles/seccomp"
)

// BenchmarkParseDockerDefault parses moby's default.json (17.8 KB) from
// the module cache (the same bytes as json.MarshalIndent of
// seccomp.DefaultProfile(), which stands in when the cache is not found).
func BenchmarkParseDockerDefault(b *testing.B) {
	data, err := os.ReadFile(mobyDefaultJSONFile())
	if err != nil {
		data = dockerDefaultJSON(b)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("default.json", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseResolveDockerDefault is what `sysfence compile` does
// before compiling: parse default.json and resolve it for x86_64.
func BenchmarkParseResolveDockerDefault(b *testing.B) {
	data := dockerDefaultJSON(b)
	t := Target{Arch: arch(b, "x86_64"), Caps: DockerDefaultCaps(), Kernel: KernelVersion{6, 18}}
	b.ReportAllocs()
	for b.Loop() {
		p, err := Parse("default.json", data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Resolve(p, t); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuiltinResolveDockerDefault: the built-in profile needs no
// parsing at all.
func BenchmarkBuiltinResolveDockerDefault(b *testing.B) {
	defaultModel(b)
	t := Target{Arch: arch(b, "x86_64"), Caps: DockerDefaultCaps(), Kernel: KernelVersion{6, 18}}
	b.ReportAllocs()
	for b.Loop() {
		p, err := Builtin("docker-default")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Resolve(p, t); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDockerDefaultYAML(b *testing.B) {
	defaultModel(b)
	p, _ := Builtin("docker-default")
	data, err := Marshal(p, WriteOptions{Encoding: YAML})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("default.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodingJSONDockerDefault is the reference point: decoding the
// same text with encoding/json into moby's types, as moby's LoadProfile
// does (no positions, no validation).
func BenchmarkEncodingJSONDockerDefault(b *testing.B) {
	data := dockerDefaultJSON(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var s seccomp.Seccomp
		if err := json.Unmarshal(data, &s); err != nil {
			b.Fatal(err)
		}
	}
}
