package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	cobra "github.com/sysfence/sysfence/internal/cmdline"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/internal/cli"
	"github.com/sysfence/sysfence/internal/filterdump"
	"github.com/sysfence/sysfence/lift"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// filterInput is what disasm and check take: a raw filter or a profile
// (compiled on the way). res is nil for a raw filter.
type filterInput struct {
	prog bpf.Program
	arch *syscalls.Arch // the filter's native ABI (names, byte order)
	res  *build.Result
}

// loadFilterInput resolves arg (a built-in profile name, "-" or a file
// holding a raw filter or a profile) with the resolution flags, through
// the one resolver (build.Resolve). A raw filter the kernel would refuse
// is an error; force is disasm's --force (nil for commands without one):
// when set, such a filter comes back with a warning on stderr.
func loadFilterInput(stdin io.Reader, stderr io.Writer, arg string, pf *profileFlags, force *bool) (*filterInput, error) {
	req, err := pf.request(arg, stdin)
	if err != nil {
		return nil, err
	}
	in, err := build.Resolve(req, build.Any, force != nil && *force)
	if err != nil {
		var bad *bpf.Error
		if force != nil && errors.As(err, &bad) && !strings.Contains(err.Error(), "; it looks like a") {
			err = fmt.Errorf("%w; --force lists it anyway", err)
		}
		return nil, cli.Usage(err)
	}
	if in.Invalid != nil {
		fmt.Fprintf(stderr, "sysfence: warning: %s: the kernel would refuse this filter: %v\n", in.Name, in.Invalid)
	}
	if in.Result != nil {
		printWarnings(stderr, in.Result)
	}
	return &filterInput{prog: in.Program, arch: in.Arch, res: in.Result}, nil
}

// loadAnyInput resolves arg as loadFilterInput does, and also a running
// process (its pid): what diff, lint and explain take. A process whose
// threads run under different filter stacks is a finding, said on stderr;
// the main thread's stack is the one used.
func loadAnyInput(cmd *cobra.Command, arg string, pf *profileFlags) (*build.Input, error) {
	req, err := pf.request(arg, cmd.InOrStdin())
	if err != nil {
		return nil, err
	}
	in, err := build.Resolve(req, build.AnyOrProcess, false)
	if err != nil {
		return nil, cli.Usage(err)
	}
	if in.Result != nil {
		printWarnings(cmd.ErrOrStderr(), in.Result)
	}
	if p := in.Process; p != nil {
		for _, f := range p.Findings() {
			fmt.Fprintf(cmd.ErrOrStderr(), "sysfence: finding: %s; using %s\n", f, filterdump.ThreadList(p.Main().TIDs))
		}
	}
	return in, nil
}

// liftInput is what in decides, lifted (lift.Func): a profile's compiled
// filter, a raw filter, or a process's stack of filters.
func liftInput(space *lift.Space, in *build.Input) (lift.Func, error) {
	var f lift.Func
	var err error
	if in.Process != nil {
		f, err = space.Programs(in.Process.Main().Programs(), in.Arch.BigEndian)
	} else {
		f, err = space.Program(in.Program, in.Arch.BigEndian)
	}
	if err != nil {
		return lift.Func{}, cli.Usagef("%s: %v", in.Name, err)
	}
	return f, nil
}

// policyOf is the policy behind in: a profile's own, or the one a raw
// filter or a process's filters decide, lifted (its rules then name no
// profile entry).
func policyOf(in *build.Input) (*policy.Policy, error) {
	if in.Result != nil {
		return in.Result.Policy, nil
	}
	f, err := liftInput(lift.NewSpace(), in)
	if err != nil {
		return nil, err
	}
	pol, err := f.Policy(in.Arch)
	if err != nil {
		return nil, cli.Usagef("%s: %v", in.Name, err)
	}
	return pol, nil
}
