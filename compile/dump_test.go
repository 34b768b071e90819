package compile

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/bpf"
)

var update = flag.Bool("update", false, "rewrite the golden listings in testdata")

// listing is the disassembly of p with each instruction's note.
func listing(t testing.TB, p *Program) string {
	t.Helper()
	l := bpf.Disassemble(p.Filter, bpf.Options{Arch: arch(t, "x86_64")})
	var b strings.Builder
	for i, ln := range l.Lines {
		fmt.Fprintf(&b, "%04d: %-48s # %s\n", ln.PC, ln.Text, p.Notes[i])
	}
	return b.String()
}

// TestGoldenDocker pins the program compiled from Docker's default
// profile (x86_64 only), so that every change to the output is reviewed.
// go test ./compile -run Golden -update rewrites it.
func TestGoldenDocker(t *testing.T) {
	p, err := Compile(dockerDefault(t, false), Options{Annotate: true})
	if err != nil {
		t.Fatal(err)
	}
	got := listing(t, p)
	const file = "testdata/docker-default-x86_64.txt"
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("the program differs from %s (run with -update after checking it):\n%s", file, got)
	}
}

// TestDumpDocker prints the filter for all three ABIs when asked to.
func TestDumpDocker(t *testing.T) {
	if os.Getenv("SYSFENCE_DUMP") == "" {
		t.Skip("set SYSFENCE_DUMP=1 (x86_64) or 3 (x86_64+x86+x32) to print Docker's default filter")
	}
	p, err := Compile(dockerDefault(t, os.Getenv("SYSFENCE_DUMP") == "3"), Options{Annotate: true})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Print(listing(t, p))
}
