package sysfence_test

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

// Every sysfence command pays for the initialisation of every package the
// binary links, whatever it does: `sysfence run` must start as fast as
// bwrap. So the project's packages build nothing at init: no map, no
// make/append, no regexp, no function call, no init() — lazy values
// (sync.OnceValue and friends) and static data (arrays, slices and structs
// of constants, which the linker lays out) are fine. This checks the
// packages the shipped binary links, type-checked against the compiler's
// export data.
func TestNoInitWork(t *testing.T) {
	cmd := exec.Command("go", "list", "-export", "-deps", "-json=ImportPath,Dir,GoFiles,Export,Standard", "./cmd/sysfence")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		testenv.Skip(t, "go list: "+err.Error())
	}
	type pkg struct {
		ImportPath, Dir, Export string
		GoFiles                 []string
		Standard                bool
	}
	exports := map[string]string{}
	var ours []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		exports[p.ImportPath] = p.Export
		if strings.HasPrefix(p.ImportPath, "github.com/sysfence/sysfence") {
			ours = append(ours, p)
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		return openExport(exports[path])
	})
	for _, p := range ours {
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
		conf := types.Config{Importer: imp}
		if _, err := conf.Check(p.ImportPath, fset, files, info); err != nil {
			t.Fatalf("%s: %v", p.ImportPath, err)
		}
		for _, f := range files {
			for _, w := range initWork(f, info) {
				t.Errorf("%s: %s", fset.Position(w.pos), w.what)
			}
		}
	}
}

type work struct {
	pos  token.Pos
	what string
}

// lazyOrStatic are the package-level calls that do no work worth naming:
// they wrap a function for later or build an error value.
var lazyOrStatic = []string{"sync.OnceValue", "sync.OnceValues", "sync.OnceFunc", "errors.New"}

// initWork lists what f's package-level declarations run at init.
func initWork(f *ast.File, info *types.Info) []work {
	var ws []work
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.Name == "init" {
				ws = append(ws, work{d.Pos(), "func init()"})
			}
		case *ast.GenDecl:
			if d.Tok != token.VAR {
				continue
			}
			for _, s := range d.Specs {
				for _, v := range s.(*ast.ValueSpec).Values {
					ast.Inspect(v, func(n ast.Node) bool {
						switch n := n.(type) {
						case *ast.FuncLit:
							return false // runs when called, not at init
						case *ast.CompositeLit:
							if tv, ok := info.Types[n]; ok {
								if _, isMap := tv.Type.Underlying().(*types.Map); isMap {
									ws = append(ws, work{n.Pos(), "a map built at init"})
								}
							}
						case *ast.CallExpr:
							if tv, ok := info.Types[n.Fun]; ok && tv.IsType() {
								return true // a conversion
							}
							name := callName(n.Fun, info)
							for _, ok := range lazyOrStatic {
								if name == ok {
									return true
								}
							}
							ws = append(ws, work{n.Pos(), fmt.Sprintf("%s called at init", name)})
						}
						return true
					})
				}
			}
		}
	}
	return ws
}

// callName names a called function as pkg.Name, a builtin by its name.
func callName(fun ast.Expr, info *types.Info) string {
	var id *ast.Ident
	switch fun := ast.Unparen(fun).(type) {
	case *ast.Ident:
		id = fun
	case *ast.SelectorExpr:
		id = fun.Sel
	case *ast.IndexExpr: // an instantiated generic function
		return callName(fun.X, info)
	case *ast.IndexListExpr:
		return callName(fun.X, info)
	default:
		return "a function value"
	}
	obj := info.Uses[id]
	if obj == nil || obj.Pkg() == nil {
		return id.Name
	}
	return obj.Pkg().Path() + "." + id.Name
}

func openExport(path string) (io.ReadCloser, error) {
	if path == "" {
		return nil, fmt.Errorf("no export data")
	}
	return os.Open(path)
}
