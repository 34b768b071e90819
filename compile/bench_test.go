package compile

import "testing"

// BenchmarkCompileDockerDefault measures Compile alone on Docker's default
// profile, resolved for x86_64 only and for x86_64+x86+x32.
func BenchmarkCompileDockerDefault(b *testing.B) {
	for _, bc := range []struct {
		name string
		all  bool
	}{{"abis=1", false}, {"abis=3", true}} {
		b.Run(bc.name, func(b *testing.B) {
			p := dockerDefault(b, bc.all)
			b.ReportAllocs()
			var n int
			for b.Loop() {
				prog, err := Compile(p, Options{})
				if err != nil {
					b.Fatal(err)
				}
				n = len(prog.Filter)
			}
			b.ReportMetric(float64(n), "insns")
		})
	}
}
