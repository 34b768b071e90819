package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/sysfence/sysfence/internal/atomicfile"
	"github.com/sysfence/sysfence/internal/build/internal/genprebuilt"
)

func main() {
	out := flag.String("out", "zprebuilt.go", "file to write")
	flag.Parse()
	src, err := genprebuilt.Generate()
	if err == nil {
		err = atomicfile.WriteFile(*out, src, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genprebuilt:", err)
		os.Exit(1)
	}
}
