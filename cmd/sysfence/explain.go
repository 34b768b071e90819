package main

import (
	"bytes"

	cobra "github.com/sysfence/sysfence/internal/cmdline"

	"github.com/sysfence/sysfence/explain"
	"github.com/sysfence/sysfence/internal/atomicfile"
	"github.com/sysfence/sysfence/internal/cli"
	"github.com/sysfence/sysfence/lint"
)

func newExplainCmd() *cobra.Command {
	var pf profileFlags
	var against, htmlOut string
	var asJSON bool
	c := &cobra.Command{
		Use:   "explain PROFILE|FILE.bpf|PID [--against PROFILE] [--html FILE] [--json]",
		Short: "Say what a profile lets a program do",
		Long: `Describe a profile by what it leaves a program: capability groups first
(processes, files, network with the socket families it allows, IPC, time,
namespaces and mounts, kernel modules and BPF, privileged operations...),
each allowed, denied or partly (naming the calls that make it partial); then
the argument rules in plain words, the default action, how calls newer than
the profile are answered (ENOSYS), and the calls the filter's ABIs answer
differently. The groups are a data table (explain/groups.csv) modelled on
systemd's system call filter sets.

The profile is resolved for a target as 'sysfence compile' resolves it
(--arch, --cap, --kernel) and every statement holds for all argument values,
by the semantics the compiler is held to.

--against PROFILE gives the same as a delta: what this profile opens that
the other does not, what it closes, and whose argument rules differ.
--html FILE writes one self-contained page (no network needed to view it)
with the group table, a colour grid of syscalls by ABI, and lint's findings.

A raw filter (FILE.bpf) or a running process (PID, root or CAP_SYS_ADMIN)
is explained from what its program decides, lifted back into rules exactly
(as 'sysfence dump --format profile' does); such rules name no profile
entry.`,
		Example: `  sysfence explain docker-default
  sysfence explain profile.json --against docker-default
  sysfence explain --json docker-default
  sysfence explain docker-default --html docker-default.html
  sysfence explain --arch aarch64 --cap all docker-default`,
		Args: argsBetween(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if htmlOut != "" {
				if err := atomicfile.CheckWritable(htmlOut); err != nil {
					return cli.Usagef("--html: %v", err)
				}
			}
			ei, err := explainInput(cmd, args[0], &pf)
			if err != nil {
				return err
			}
			rep, err := explain.Explain(ei)
			if err != nil {
				return cli.Usagef("%s: %v", args[0], err)
			}
			w := cmd.OutOrStdout()
			if htmlOut != "" {
				findings, err := lint.Check(lint.Input{Name: ei.Name, Profile: ei.Profile, Resolved: ei.Resolved, Policy: ei.Policy})
				if err != nil {
					return cli.Usagef("%s: %v", args[0], err)
				}
				var page bytes.Buffer
				if err := explain.WriteHTML(&page, rep, findings); err != nil {
					return err
				}
				if err := atomicfile.WriteFile(htmlOut, page.Bytes(), 0o644); err != nil {
					return cli.Usagef("--html: %v", err)
				}
			}
			if against != "" {
				oi, err := explainInput(cmd, against, &pf)
				if err != nil {
					return err
				}
				other, err := explain.Explain(oi)
				if err != nil {
					return cli.Usagef("%s: %v", against, err)
				}
				d := explain.Compare(rep, other)
				if asJSON {
					return cli.WriteJSON(w, d)
				}
				return explain.WriteDeltaText(w, d)
			}
			if asJSON {
				return cli.WriteJSON(w, rep)
			}
			if htmlOut != "" {
				return nil
			}
			return explain.WriteText(w, rep)
		},
	}
	pf.register(c.Flags())
	c.Flags().StringVar(&against, "against", "", "describe the profile as a delta from this one (a built-in name, a file, or -)")
	c.Flags().StringVar(&htmlOut, "html", "", "write a self-contained HTML page to this file")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// explainInput resolves the argument as lint does (lintInput): a
// profile's policy with its positions, or the policy a filter decides,
// lifted.
func explainInput(cmd *cobra.Command, arg string, pf *profileFlags) (explain.Input, error) {
	li, err := lintInput(cmd, arg, pf)
	return explain.Input{Name: li.Name, Policy: li.Policy, Profile: li.Profile, Resolved: li.Resolved}, err
}
