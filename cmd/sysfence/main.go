// sysfence is CPU-light and short-lived: a cgroup-derived GOMAXPROCS buys
// nothing, and reading the cgroup files at start (and again from sysmon)
// costs every `sysfence run`.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command sysfence records, enforces and explains seccomp profiles.
//
// This package only wires flags and output; the work is done by the
// packages under the module root (see README.md).
package main

import (
	"os"

	"github.com/sysfence/sysfence/internal/cli"
)

func main() {
	os.Exit(cli.Report(os.Stderr, newRootCmd().Execute()))
}
