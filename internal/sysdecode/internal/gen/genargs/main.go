// Command genargs writes internal/sysdecode/zargs.go from
// data/syscall_args.csv.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/sysfence/sysfence/internal/sysdecode/internal/gen"
)

func main() {
	in := flag.String("in", "../../data/syscall_args.csv", "argument counts (abi,nr,name,args)")
	out := flag.String("out", "zargs.go", "output Go file")
	flag.Parse()
	f, err := os.Open(*in)
	if err != nil {
		fatal(err)
	}
	defer f.Close()
	src, err := gen.Generate(f)
	if err != nil {
		fatal(fmt.Errorf("%s: %w", *in, err))
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "genargs:", err)
	os.Exit(1)
}
