// Command genargs writes internal/sysdecode/zargs.go from
// data/syscall_args.csv.
package main

import (
	"github.com/sysfence/sysfence/internal/gencmd"
	"github.com/sysfence/sysfence/internal/sysdecode/internal/gen"
)

func main() {
	gencmd.Main("genargs", "../../data/syscall_args.csv", "zargs.go", "argument counts (abi,nr,name,args)", gen.Generate)
}
