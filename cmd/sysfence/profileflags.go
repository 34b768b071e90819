package main

import (
	"fmt"
	"io"

	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/internal/cli"
	pflag "github.com/sysfence/sysfence/internal/cmdline"
	"github.com/sysfence/sysfence/profile"
)

// profileFlags are the resolution flags every command that compiles a
// profile shares (compile, check, disasm, run): other tools rely on these
// names.
type profileFlags struct {
	arch, caps, kernel string
	noENOSYS, strict   bool
	verbose            bool
}

func (f *profileFlags) register(fs *pflag.FlagSet) { f.registerAs(fs, "strict") }

// registerAs registers the flags with the warnings-are-errors flag under
// another name (run's --strict means seccomp strict mode).
func (f *profileFlags) registerAs(fs *pflag.FlagSet, strictName string) {
	fs.StringVarP(&f.arch, "arch", "a", "", "target architecture (libseccomp, OCI or Go name); default: this machine's")
	fs.StringVar(&f.caps, "cap", "", `bounding capabilities for includes/excludes, e.g. "default,sys_admin" or "all,-sys_admin" (default: Docker's default set)`)
	fs.StringVar(&f.kernel, "kernel", "", "kernel version X.Y for minKernel conditions (default: the running kernel)")
	fs.BoolVar(&f.noENOSYS, "no-enosys", false, "do not answer syscalls newer than the profile with ENOSYS (runc's rule)")
	fs.BoolVar(&f.strict, strictName, false, "treat profile warnings (e.g. a syscall name that no architecture has: a typo) as errors")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "list each syscall name skipped on some of the filter's architectures, with its position")
}

// request turns the flags into a build request for ref.
func (f *profileFlags) request(ref string, stdin io.Reader) (build.Request, error) {
	req := build.Request{Ref: ref, Stdin: stdin, Strict: f.strict, NoENOSYS: f.noENOSYS, Verbose: f.verbose}
	if f.arch != "" {
		a, err := resolveArch(f.arch)
		if err != nil {
			return req, err
		}
		req.Arch = a
	}
	if f.caps != "" {
		caps, err := profile.ParseCaps(f.caps)
		if err != nil {
			return req, cli.Usagef("--cap: %v", err)
		}
		req.Caps = caps
	}
	if f.kernel != "" {
		k, err := profile.ParseKernel(f.kernel)
		if err != nil {
			return req, cli.Usagef("--kernel: %v", err)
		}
		req.Kernel = &k
	}
	return req, nil
}

// buildProfile runs the pipeline and prints its warnings on stderr.
func buildProfile(req build.Request, stderr io.Writer) (*build.Result, error) {
	res, err := build.Build(req)
	if err != nil {
		return nil, cli.Usage(err)
	}
	printWarnings(stderr, res)
	return res, nil
}

// printWarnings prints the pipeline's warnings on stderr.
func printWarnings(stderr io.Writer, res *build.Result) {
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "sysfence: warning: %s\n", w.String())
	}
}
