package main

import (
	"strings"

	"github.com/sysfence/sysfence/internal/cli"
	cobra "github.com/sysfence/sysfence/internal/cmdline"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "sysfence",
		Short: "Record, enforce and explain seccomp profiles",
		Long: `sysfence is a seccomp toolkit: it records what a command needs into a minimal
profile (record), runs commands under a profile (run), compiles Docker/OCI
seccomp profiles into small, fast BPF filters, checks syscalls against them,
disassembles filters, reads the filters of running processes (dump), shows
exactly where two profiles or filters differ (diff), finds the mistakes in
profiles (lint) and says what they let a program do (explain), finds what a
program can call without running it (analyze), and resolves syscall names and
numbers for every architecture.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// Runnable with any arguments so that an unknown command reaches
	// unknownCommand instead of a multi-line "Did you mean this?".
	root.Args = cobra.ArbitraryArgs
	root.SuggestionsMinimumDistance = 2
	root.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return c.Help()
		}
		return unknownCommand(c, args[0])
	}
	// Flag errors (unknown flag, bad value) are usage errors: exit 2.
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if !c.HasParent() && c.Flags().NArg() > 0 {
			// `sysfence compil x -o y`: the flag is the mistyped
			// command's; the command is what to fix.
			return unknownCommand(c, c.Flags().Arg(0))
		}
		return cli.Usagef("%v (see '%s --help')", err, c.CommandPath())
	})
	root.AddCommand(
		newSyscallsCmd(),
		newCompileCmd(),
		newCheckCmd(),
		newDisasmCmd(),
		newRunCmd(),
		newRecordCmd(),
		newLintCmd(),
		newExplainCmd(),
		newAnalyzeCmd(),
		newDumpCmd(), newDiffCmd(),
		newWatchCmd(),
	)
	return root
}

// unknownCommand is the one-line error for `sysfence compil`, exit 2.
func unknownCommand(root *cobra.Command, name string) error {
	if s := root.SuggestionsFor(name); len(s) > 0 {
		return cli.Usagef("unknown command %q (did you mean %s?); see '%s --help'", name, strings.Join(s, " or "), root.CommandPath())
	}
	return cli.Usagef("unknown command %q; see '%s --help'", name, root.CommandPath())
}

// argsBetween makes argument-count errors usage errors (exit 2).
func argsBetween(min, max int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < min || (max >= 0 && len(args) > max) {
			switch {
			case max < 0:
				return cli.Usagef("%s needs at least %d argument(s), got %d (see '%s --help')", c.CommandPath(), min, len(args), c.CommandPath())
			case min == max:
				return cli.Usagef("%s needs %d argument(s), got %d (see '%s --help')", c.CommandPath(), min, len(args), c.CommandPath())
			default:
				return cli.Usagef("%s needs %d to %d arguments, got %d (see '%s --help')", c.CommandPath(), min, max, len(args), c.CommandPath())
			}
		}
		return nil
	}
}
