package bench

import (
	"fmt"
	"testing"

	"github.com/sysfence/sysfence/compile"
)

var variants = []struct {
	name string
	all  bool
}{{"abis=3", true}, {"abis=1", false}}

// BenchmarkBuild times parse + resolve + compile for every contestant.
func BenchmarkBuild(b *testing.B) {
	for _, c := range Contestants() {
		for _, v := range variants {
			if c.OneABI && v.all {
				continue
			}
			b.Run(fmt.Sprintf("compiler=%s/%s", c.Name, v.name), func(b *testing.B) {
				body, err := DefaultJSON(v.all)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					oci, err := Resolve(body)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := c.Build(oci); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkStages splits sysfence's pipeline: sysfence's parse + resolve, the
// OCI -> policy translation, and the compiler.
func BenchmarkStages(b *testing.B) {
	for _, v := range variants {
		body, err := DefaultJSON(v.all)
		if err != nil {
			b.Fatal(err)
		}
		oci, err := Resolve(body)
		if err != nil {
			b.Fatal(err)
		}
		p, err := Policy(oci)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("stage=resolve/"+v.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := SysfenceResolve(body); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("stage=policy/"+v.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Policy(oci); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("stage=compile/"+v.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := compile.Compile(p, compile.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestFigures checks that every contestant builds the profile, that
// sysfence's programs agree with Docker's semantics everywhere and meet
// the targets, and that no program lets the cache allow a call the
// profile does not allow outright.
func TestFigures(t *testing.T) {
	if err := CheckHost(); err != nil {
		t.Skip(err)
	}
	for _, c := range Contestants() {
		for _, v := range variants {
			if c.OneABI && v.all {
				continue
			}
			t.Run(fmt.Sprintf("compiler=%s/%s", c.Name, v.name), func(t *testing.T) {
				f, err := Measure(c, v.all, 5)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%d instructions, cached %d/%d, argument-checked %.2f, denied %.1f, %d/%d decisions differ",
					f.Len, f.Cached, f.Want, f.ArgAvg, f.DeniedAvg, f.Disagree, f.Checked)
				if f.CachedWrong > 0 {
					t.Errorf("the cache would allow %d syscalls the profile does not allow outright", f.CachedWrong)
				}
				if c.Name != "sysfence" {
					return
				}
				maxLen := 180
				if v.all {
					maxLen = 400
				}
				if f.Len > maxLen || f.Cached != f.Want || f.ArgAvg > 10 || f.Disagree > 0 {
					t.Errorf("sysfence misses a target: %+v", f)
				}
			})
		}
	}
}
