package main

import (
	"fmt"
	"io"

	"github.com/sysfence/sysfence/analyze"
	"github.com/sysfence/sysfence/internal/cli"
	"github.com/sysfence/sysfence/record"
)

// addStatic analyses what the recording saw executed and mapped
// (record --static) and adds it to the profile options: the programs
// with the libraries the loader maps for them, and the other files
// mapped executable (dlopen'ed modules: Python's extension modules, NSS
// modules) with every function they export.
func addStatic(stderr io.Writer, o *record.Observations, opts *record.ProfileOptions, quiet bool) error {
	if len(o.Execs) == 0 {
		fmt.Fprintln(stderr, "sysfence: warning: --static: the recording saw no program executed; nothing to analyse")
		return nil
	}
	aopts := analyze.Options{Libraries: o.Mapped}
	if c, err := analyze.DefaultCache(); err == nil {
		aopts.Cache = c
	}
	res, err := analyze.Analyze(o.Execs, aopts)
	if err != nil {
		return cli.Failed(fmt.Errorf("--static: %w", err))
	}
	opts.Static = staticCalls(res)
	if !quiet {
		for _, fd := range res.Findings {
			fmt.Fprintf(stderr, "sysfence: warning: --static: %s\n", fd)
		}
		fmt.Fprintf(stderr, "sysfence: --static: %s reachable from %s and %s%s\n",
			pluralN(len(res.Syscalls), "syscall", "syscalls"), pluralN(len(res.Programs), "program", "programs"),
			pluralN(len(res.Objects)-len(res.Programs), "other object", "other objects"), findingsNote(res.Findings))
	}
	return nil
}
