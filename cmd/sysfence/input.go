package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/internal/cli"
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
