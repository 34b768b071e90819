// sysfence is CPU-light and short-lived: a cgroup-derived GOMAXPROCS buys
// nothing, and sysmon re-reading the cgroup's limit costs a long run. (The
// runtime still reads the cgroup files once at start, whatever the
// setting: an empty Go program pays that too.)
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
