// Command gensyscalls writes syscalls/zsyscalls.go from data/syscalls.csv.
package main

import (
	"github.com/sysfence/sysfence/internal/gencmd"
	"github.com/sysfence/sysfence/syscalls/internal/gen"
)

func main() {
	gencmd.Main("gensyscalls", "../data/syscalls.csv", "zsyscalls.go", "libseccomp syscalls.csv", gen.Generate)
}
