package analyze

import (
	"os"
	"testing"
	"time"
)

func TestDebugObject(t *testing.T) {
	p := os.Getenv("AOBJ")
	if p == "" {
		t.Skip()
	}
	t0 := time.Now()
	o, err := analyzeFile(p)
	if err != nil {
		t.Fatal(err)
	}
	nsys, nun, nw, nref := 0, 0, 0, 0
	for _, f := range o.Funcs {
		nsys += len(f.Sys)
		nun += len(f.Unresolved)
		nref += len(f.Refs)
		if len(f.WrapLocs) > 0 {
			nw++
			t.Logf("wrapper %s %#x %v", f.Name, f.Addr, f.WrapLocs)
		}
		for _, u := range f.Unresolved {
			if os.Getenv("AV") != "" {
				t.Logf("unresolved %s %#x: %#x %s", f.Name, f.Addr, u.At, u.Why)
			}
		}
	}
	t.Logf("%s: %v funcs=%d sys=%d unres=%d wrappers=%d refs=%d roots=%d syms=%d indirect=%d", p, time.Since(t0), len(o.Funcs), nsys, nun, nw, nref, len(o.Roots), len(o.Syms), o.Indirect)
}
