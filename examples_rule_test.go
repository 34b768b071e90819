package sysfence_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

// examplesRunByTest lists the public packages whose Examples cannot run
// under `go test` everywhere (they need privileges or kernel features a
// developer's machine may lack, and an Example cannot skip), with the
// test that runs them instead, skipping where it must and failing in CI.
var examplesRunByTest = map[string]string{
	"record/ebpf": "TestExampleRecorderTrack", // root and BTF
}

// Every public package (not internal, not a command) shows its use in at
// least one Example that `go test` runs and checks (an "Output:"
// comment), as cilium/ebpf and x/net/bpf do. Test files are read whatever
// their build constraints, so an Example in a *_linux_test.go file counts.
func TestPublicPackagesHaveRunnableExamples(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{.Name}}\t{{.Dir}}", "./...").Output()
	if err != nil {
		testenv.Skip(t, "go list: "+err.Error())
	}
	const module = "github.com/sysfence/sysfence"
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("go list printed %q", line)
		}
		path, name, dir := f[0], f[1], f[2]
		rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
		if name == "main" || rel == "cmd" || strings.HasPrefix(rel, "cmd/") ||
			rel == "internal" || strings.HasPrefix(rel, "internal/") || strings.Contains(rel, "/internal") {
			continue
		}
		if rel == "" {
			rel = "."
		}
		seen++
		examples, funcs := testFileExamples(t, dir)
		var runnable, compiled []string
		for _, ex := range examples {
			if ex.Output != "" || ex.EmptyOutput {
				runnable = append(runnable, "Example"+ex.Name)
			} else {
				compiled = append(compiled, "Example"+ex.Name)
			}
		}
		if test, ok := examplesRunByTest[rel]; ok {
			if len(examples) == 0 {
				t.Errorf("package %s has no Example function", rel)
			}
			if !funcs[test] {
				t.Errorf("package %s: %s, which runs its Examples, is gone", rel, test)
			}
			continue
		}
		switch {
		case len(examples) == 0:
			t.Errorf("package %s has no Example function: add one with an // Output: comment to an example_test.go", rel)
		case len(runnable) == 0:
			t.Errorf("package %s has only Examples that go test compiles without running (%s): give one an // Output: comment",
				rel, strings.Join(compiled, ", "))
		}
	}
	if seen < 10 {
		t.Errorf("only %d public packages found; go list printed:\n%s", seen, out)
	}
}

// testFileExamples returns the Examples of every *_test.go file in dir
// (whatever its build constraints) and the names of all its top-level
// functions.
func testFileExamples(t *testing.T, dir string) ([]*doc.Example, map[string]bool) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	funcs := map[string]bool{}
	for _, p := range paths {
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil {
				funcs[fn.Name.Name] = true
			}
		}
	}
	return doc.Examples(files...), funcs
}
