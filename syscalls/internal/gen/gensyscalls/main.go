package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/sysfence/sysfence/syscalls/internal/gen"
)

func main() {
	in := flag.String("in", "../data/syscalls.csv", "libseccomp syscalls.csv")
	out := flag.String("out", "zsyscalls.go", "output Go file")
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
	fmt.Fprintln(os.Stderr, "gensyscalls:", err)
	os.Exit(1)
}
