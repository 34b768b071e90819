package main

import (
	"io"
	"strings"

	cobra "github.com/sysfence/sysfence/internal/cmdline"

	"github.com/sysfence/sysfence/internal/cli"
	"github.com/sysfence/sysfence/lint"
)

func newLintCmd() *cobra.Command {
	var pf profileFlags
	var format, severity string
	var asJSON bool
	c := &cobra.Command{
		Use:   "lint PROFILE|FILE.bpf|PID... [--format text|json|sarif] [--severity LEVEL]",
		Short: "Find the mistakes that let calls past a profile",
		Long: `Check profiles for the mistakes behind real seccomp bypasses and breakages:
calls filtered directly but open through socketcall(2)/ipc(2), rules escaped
through another ABI of the filter (int 0x80), clone rules with clone3
allowed, filtered calls with an allowed sibling (open vs openat), EPERM where
libc needs ENOSYS to fall back, dangerous calls allowed for any arguments,
unknown names, entries that never decide, conditions that never hold,
repeated names, and deny-lists. Each finding has a rule ID, a severity
(note, warning, error), the entry's file:line:column, why it matters and a
fix.

Each PROFILE is resolved for a target as 'sysfence compile' resolves it
(--arch, --cap, --kernel; default this machine, Docker's default
capabilities, the running kernel) and checked on every ABI of its filter,
against the same semantics the compiler is held to. "sysfence:ack RULE" in
an entry's comment acknowledges that entry's findings of RULE (e.g.
"comment": "debuggers need it; sysfence:ack dangerous-call"): they are
counted apart and do not fail the run.

Exit status: 1 when an unacknowledged finding at or above --severity
(default note: any) is shown, 0 when none, 2 for bad input.`,
		Example: `  sysfence lint profile.json
  sysfence lint docker-default                    # exit 1: it has findings
  sysfence lint --severity error docker-default   # only errors
  sysfence lint --arch x86_64 --cap all docker-default
  sysfence lint --format sarif docker-default > lint.sarif
  sysfence lint --json profile.json`,
		Args: argsBetween(1, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			min, err := lint.ParseSeverity(severity)
			if err != nil {
				return cli.Usagef("--severity: %v", err)
			}
			if asJSON {
				format = "json"
			}
			write := map[string]func(io.Writer, []lint.Report, lint.Severity) error{
				"text": lint.WriteText, "json": lint.WriteJSON, "sarif": lint.WriteSARIF,
			}[strings.ToLower(format)]
			if write == nil {
				return cli.Usagef("--format: unknown format %q: one of text, json, sarif", format)
			}
			var reports []lint.Report
			for _, arg := range args {
				li, err := lintInput(cmd, arg, &pf)
				if err != nil {
					return err
				}
				fs, err := lint.Check(li)
				if err != nil {
					return cli.Usagef("%s: %v", li.Name, err)
				}
				reports = append(reports, lint.Report{File: li.Name, Findings: fs})
			}
			if err := write(cmd.OutOrStdout(), reports, min); err != nil {
				return err
			}
			for _, r := range reports {
				if n, _ := lint.Count(r.Findings, min); n > 0 {
					return cli.Silent(cli.ExitCheck)
				}
			}
			return nil
		},
	}
	pf.register(c.Flags())
	c.Flags().StringVar(&format, "format", "text", "output format: text, json or sarif (SARIF 2.1.0, for code-scanning tools)")
	c.Flags().BoolVar(&asJSON, "json", false, "same as --format json")
	c.Flags().StringVar(&severity, "severity", "note", "show only findings at or above this level (note, warning, error); exit 1 if any is shown")
	return c
}

// lintInput resolves one argument (a profile, raw filter or process) into
// what lint checks: a profile's own policy with its positions, or the
// policy a filter decides, lifted (its findings then name no position).
func lintInput(cmd *cobra.Command, arg string, pf *profileFlags) (lint.Input, error) {
	in, err := loadAnyInput(cmd, arg, pf)
	if err != nil {
		return lint.Input{}, err
	}
	pol, err := policyOf(in)
	if err != nil {
		return lint.Input{}, err
	}
	li := lint.Input{Name: in.Name, Policy: pol}
	if in.Result != nil {
		li.Profile, li.Resolved = in.Result.Profile, in.Result.Resolved
	}
	return li, nil
}
