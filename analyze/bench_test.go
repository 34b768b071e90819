package analyze

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

// python3 is the yardstick: /usr/bin/python3.* with its libraries,
// cold (an empty cache: every file analysed) and warm (every file from
// the cache). The goals are 5 s cold and 0.5 s warm.
func pythonPath(b *testing.B) string {
	m, _ := filepath.Glob("/usr/bin/python3.[0-9]*")
	for _, p := range m {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && filepath.Ext(p) != ".py" && !isConfig(p) {
			return p
		}
	}
	testenv.Skip(b, "no /usr/bin/python3.* (Debian package python3-minimal)")
	return ""
}

func isConfig(p string) bool { return len(p) > 7 && p[len(p)-7:] == "-config" }

func BenchmarkAnalyzePythonCold(b *testing.B) {
	py := pythonPath(b)
	for b.Loop() {
		c := &Cache{Dir: b.TempDir()}
		if _, err := Analyze([]string{py}, Options{Cache: c}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAnalyzePythonWarm(b *testing.B) {
	py := pythonPath(b)
	c := &Cache{Dir: b.TempDir()}
	if _, err := Analyze([]string{py}, Options{Cache: c}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Analyze([]string{py}, Options{Cache: c}); err != nil {
			b.Fatal(err)
		}
	}
}
