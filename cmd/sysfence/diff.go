package main

import (
	"fmt"
	"slices"

	cobra "github.com/sysfence/sysfence/internal/cmdline"

	"github.com/sysfence/sysfence/diff"
	"github.com/sysfence/sysfence/internal/cli"
	"github.com/sysfence/sysfence/lift"
	"github.com/sysfence/sysfence/syscalls"
)

func newDiffCmd() *cobra.Command {
	var pf profileFlags
	var capA, capB string
	var subset, asJSON bool
	c := &cobra.Command{
		Use:   "diff A B [--arch A] [--cap LIST] [--cap-a LIST] [--cap-b LIST] [--subset] [--json]",
		Short: "Show exactly where two profiles, filters or processes decide differently",
		Long: `Compare what two seccomp filters decide, exactly: for every ABI, every run of
syscall numbers and every region of argument values where A and B answer
differently, one line with both answers and an example call, e.g.

  x86_64 personality(arg0 ∉ {0, 8, 0x20000, 0x20008, 0xffffffff}): A ERRNO(EPERM), B ALLOW — e.g. personality(0x1)

Nothing is sampled: both filters are lifted into exact decision diagrams
and compared on every input (all architecture values, numbers and
argument words). A and B are each a profile (a file, "-", or a built-in
name, compiled with the resolution flags as 'sysfence compile' would;
--cap-a and --cap-b give one side other capabilities), a raw filter
(*.bpf), or a process id (its main thread's filters, stacked as the kernel
runs them; root only, see 'sysfence dump').

Identical inputs print nothing and exit 0; differences exit 1. --subset
instead asks whether A never decides more permissively than B (the
kernel's order: KILL_PROCESS > KILL_THREAD > TRAP > ERRNO > USER_NOTIF >
TRACE > LOG > ALLOW; two errnos or two trace values are equally
permissive) and lists only the places where A is more permissive: exit 0
when there are none, 1 otherwise.`,
		Example: `  sysfence diff docker-default profile.json
  sysfence diff docker-default docker-default --cap-b default,sys_admin
  sysfence diff --subset profile.json docker-default     # exit 0: it only narrows the default
  sysfence diff profile.json filter.bpf --json
  sysfence diff "$PID" docker-default                    # a running process's filters`,
		Args: argsBetween(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == "-" && args[1] == "-" {
				return cli.Usagef("only one of A and B can be standard input")
			}
			space := lift.NewSpace()
			var sides [2]diffSide
			for i, arg := range args {
				side := pf
				if caps := []string{capA, capB}[i]; caps != "" {
					side.caps = caps
				}
				s, err := loadDiffSide(cmd, space, arg, &side)
				if err != nil {
					return err
				}
				sides[i] = s
			}
			include := sides[0].abis
			for _, a := range sides[1].abis {
				if !slices.Contains(include, a) {
					include = append(include, a)
				}
			}
			compare := diff.Compare
			if subset {
				compare = diff.Subset
			}
			found, err := compare(sides[0].f, sides[1].f, include...)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if found == nil {
					found = []diff.Finding{}
				}
				if err := cli.WriteJSON(out, struct {
					Subset   bool           `json:"subset"`
					Findings []diff.Finding `json:"findings"`
				}{subset, found}); err != nil {
					return err
				}
			} else {
				for i := range found {
					if _, err := fmt.Fprintln(out, found[i].String()); err != nil {
						return err
					}
				}
			}
			if len(found) > 0 {
				return cli.Silent(cli.ExitCheck)
			}
			return nil
		},
	}
	pf.register(c.Flags())
	c.Flags().StringVar(&capA, "cap-a", "", "bounding capabilities for A only (as --cap)")
	c.Flags().StringVar(&capB, "cap-b", "", "bounding capabilities for B only (as --cap)")
	c.Flags().BoolVar(&subset, "subset", false, "list only where A is more permissive than B; exit 0 if nowhere")
	c.Flags().BoolVar(&asJSON, "json", false, "print the findings as JSON")
	return c
}

// diffSide is one side of a diff, lifted.
type diffSide struct {
	f    lift.Func
	abis []*syscalls.Arch // the ABIs it was built for, when known
}

// loadDiffSide resolves and lifts one side of the diff.
func loadDiffSide(cmd *cobra.Command, space *lift.Space, arg string, pf *profileFlags) (diffSide, error) {
	in, err := loadAnyInput(cmd, arg, pf)
	if err != nil {
		return diffSide{}, err
	}
	f, err := liftInput(space, in)
	if err != nil {
		return diffSide{}, err
	}
	s := diffSide{f: f}
	if in.Result != nil {
		for _, ap := range in.Result.Policy.Arches {
			s.abis = append(s.abis, ap.Arch)
		}
	}
	return s, nil
}
