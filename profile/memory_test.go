package profile

import (
	"runtime"
	"sort"
	"sync"
	"testing"

	"github.com/sysfence/sysfence/internal/profilegen"
)

// bigProfiles are the inputs of the memory measures: 10 MB profiles of
// the shapes big real profiles have, as moby writes them (indented) and
// compact (one line).
var bigProfiles = sync.OnceValue(func() map[string][]byte {
	m := map[string][]byte{}
	for _, shape := range []profilegen.Shape{profilegen.Entries, profilegen.HugeNames} {
		for _, indent := range []bool{true, false} {
			name := shape.String() + "/compact"
			if indent {
				name = shape.String() + "/indented"
			}
			m[name] = profilegen.Docker(shape, 10<<20, indent, 1)
		}
	}
	return m
})

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// allocated returns the bytes f allocates: runtime.MemStats.TotalAlloc,
// which is deterministic (unlike a peak) and bounds what f holds at any
// time from above.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// maxParseRatio bounds what Parse allocates per byte of JSON input, its
// own copy of the input included. The goal is a peak of at most 10 times
// the input; Parse allocates about 3 to 4.2 times (it was 16 to 20 times
// for these profiles, and 35 times for the one of the report).
const maxParseRatio = 6

// Parsing a large JSON profile allocates a few times its size, whatever
// its shape: many entries, or one huge names list.
func TestParseMemory(t *testing.T) {
	profiles := bigProfiles()
	for _, name := range sortedKeys(profiles) {
		data := profiles[name]
		t.Run(name, func(t *testing.T) {
			n := allocated(func() {
				if _, err := Parse("big.json", data); err != nil {
					t.Fatal(err)
				}
			})
			ratio := float64(n) / float64(len(data))
			t.Logf("%d bytes: %d allocated, %.2f times the input", len(data), n, ratio)
			if ratio > maxParseRatio {
				t.Errorf("parsing allocated %.2f times the input, more than %d", ratio, maxParseRatio)
			}
		})
	}
}

// BenchmarkParseBig reports what parsing a 10 MB profile allocates per
// byte of input (alloc/input), for JSON and for the same profiles in
// YAML.
func BenchmarkParseBig(b *testing.B) {
	profiles := bigProfiles()
	for _, name := range sortedKeys(profiles) {
		for _, enc := range []Encoding{JSON, YAML} {
			data := profiles[name]
			if enc == YAML {
				if name != "entries/compact" && name != "huge-names/compact" {
					continue // YAML has one layout
				}
				// 2 MB of JSON (about 2.5 MB of YAML): writing YAML
				// takes a hundred times the text's size.
				shape := profilegen.Entries
				if name == "huge-names/compact" {
					shape = profilegen.HugeNames
				}
				p, err := Parse("big.json", profilegen.Docker(shape, 2<<20, false, 1))
				if err != nil {
					b.Fatal(err)
				}
				if data, err = Marshal(p, WriteOptions{Encoding: YAML}); err != nil {
					b.Fatal(err)
				}
				name = shape.String()
			}
			b.Run("enc="+enc.String()+"/"+name, func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				var n uint64
				for b.Loop() {
					n += allocated(func() {
						if _, err := ParseOwned("big", data); err != nil {
							b.Fatal(err)
						}
					})
				}
				b.ReportMetric(float64(n)/float64(b.N)/float64(len(data)), "alloc/input")
			})
		}
	}
}
