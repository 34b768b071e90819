package main

import (
	"fmt"

	cobra "github.com/sysfence/sysfence/internal/cmdline"

	"github.com/sysfence/sysfence/internal/cli"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/record"
)

// runMergeOnly is `record --merge A --merge B ... -o OUT` without CMD:
// the recordings of several machines (or runs) united as record --merge
// unites them with a new one, in any order the same profile.
func runMergeOnly(c *cobra.Command, f *recordFlags) error {
	stderr := c.ErrOrStderr()
	plan, err := planRecord(f)
	if err != nil {
		return err
	}
	for _, w := range plan.warnings {
		fmt.Fprintf(stderr, "sysfence: warning: %s\n", w)
	}
	out, err := record.MergeProfiles(plan.merge...)
	if err != nil {
		return cli.Usagef("--merge: %v", err)
	}
	out.File = recordedName(f.output)
	data, err := profile.Marshal(out, plan.write)
	if err != nil {
		return cli.Usage(err)
	}
	if err := writeRecorded(c.OutOrStdout(), f.output, data); err != nil {
		return cli.Failed(err)
	}
	if !f.quiet && f.output != "" && f.output != "-" {
		fmt.Fprintf(stderr, "sysfence: wrote %s: %s of %s allowed\n", f.output, pluralN(countAllowed(out), "syscall", "syscalls"), pluralN(len(plan.merge), "recording", "recordings"))
	}
	return nil
}
