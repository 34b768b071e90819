// sysfence is CPU-light and short-lived: a cgroup-derived GOMAXPROCS buys
// nothing, and reading the cgroup files at start (and again from sysmon)
// costs every `sysfence run`.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

package main

import (
	"os"

	"github.com/sysfence/sysfence/internal/cli"
)

func main() {
	cli.Exit(os.Stderr, newRootCmd().Execute())
}
