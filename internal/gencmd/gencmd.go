// Package gencmd is the main function of the project's table generators
// (go generate): read one input file, write one generated Go file.
package gencmd

import (
	"flag"
	"fmt"
	"io"
	"os"
)

// Main parses -in and -out (defaulting to in and out), runs generate on
// the input and writes its output; on any error it prints it with name
// and exits 1.
func Main(name, in, out, inHelp string, generate func(io.Reader) ([]byte, error)) {
	inPath := flag.String("in", in, inHelp)
	outPath := flag.String("out", out, "output Go file")
	flag.Parse()
	fatal := func(err error) {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
	f, err := os.Open(*inPath)
	if err != nil {
		fatal(err)
	}
	defer f.Close()
	src, err := generate(f)
	if err != nil {
		fatal(fmt.Errorf("%s: %w", *inPath, err))
	}
	if err := os.WriteFile(*outPath, src, 0o644); err != nil {
		fatal(err)
	}
}
