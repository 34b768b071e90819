package main

import (
	"fmt"
	"strings"

	cobra "github.com/sysfence/sysfence/internal/cmdline"

	"github.com/sysfence/sysfence/analyze"
	"github.com/sysfence/sysfence/internal/cli"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/syscalls"
)

type analyzeFlags struct {
	arch          string
	output        string
	explain       bool
	json          bool
	noCache       bool
	libraries     []string
	forRuntime    string
	defaultAction string
	format        string
	yaml          bool
	quiet         bool
}

func newAnalyzeCmd() *cobra.Command {
	var f analyzeFlags
	c := &cobra.Command{
		Use:   "analyze BINARY... [--arch x86_64] [-o PROFILE] [--explain] [--json] [--library SO]... [--for RUNTIME] [--format F] [--yaml]",
		Short: "Find the syscalls programs can make, without running them, into a profile",
		Long: `Analyse each BINARY (an ELF executable, or a #! script through its
interpreter) with the shared libraries the loader would map for it, and write
a seccomp profile that allows every syscall the code can reach: the program's
own syscall instructions and the library functions it imports, followed
through each library's call graph, with the ELF interpreter and what the
kernel does at start (execve). The result is a superset of what any run can
call, within the limits below, which are reported, never dropped silently:

  unresolved  a syscall whose number the analysis could not find (glibc's
              setxid broadcast reads it from memory), or a wrapper called
              with a number it could not find
  dlopen      a call of dlopen or dlsym: what it loads is not known
              statically ('record --static' sees the loaded libraries;
              --library adds one by hand)
  undefined   a symbol no loaded object defines (a weak one, often)
  missing     a library the loader would not find

The analysis of each file is cached by build ID in the user's cache
directory (--no-cache to skip it). --explain prints why each syscall is
there ("fchdir <- libc.so.6:fchdir <- /usr/bin/mkdir imports fchdir") on
stdout instead of the profile (the profile goes to -o if given); --json
prints the whole analysis: programs, objects, syscalls with their
explanations, findings.

Only x86_64 binaries are analysed (--arch x86_64, the default).`,
		Example: `  sysfence analyze /usr/bin/mkdir -o mkdir.json
  sysfence analyze --explain /usr/bin/mkdir
  sysfence analyze --json /usr/bin/python3 --library /usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so`,
		Args: argsBetween(1, -1),
		RunE: func(c *cobra.Command, args []string) error { return runAnalyze(c, &f, args) },
	}
	fl := c.Flags()
	fl.StringVar(&f.arch, "arch", "x86_64", "architecture of the binaries (x86_64)")
	fl.StringVarP(&f.output, "output", "o", "", "write the profile to FILE instead of stdout")
	fl.BoolVar(&f.explain, "explain", false, "print why each syscall is in the result")
	fl.BoolVar(&f.json, "json", false, "print the analysis as JSON")
	fl.BoolVar(&f.noCache, "no-cache", false, "analyse every file again, without reading or writing the cache")
	fl.StringArrayVar(&f.libraries, "library", nil, "a shared object the programs load at run time (repeatable)")
	fl.StringVar(&f.forRuntime, "for", "sysfence", "runtime that will enforce the profile: sysfence, runc, crun or docker")
	fl.StringVar(&f.defaultAction, "default-action", "errno", "default action: errno (EPERM), kill-process, kill-thread, trap or log")
	fl.StringVar(&f.format, "format", "docker", "profile format: docker, oci-config or spo")
	fl.BoolVar(&f.yaml, "yaml", false, "write YAML instead of JSON")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no summary and no findings on stderr")
	return c
}

func runAnalyze(c *cobra.Command, f *analyzeFlags, args []string) error {
	stderr := c.ErrOrStderr()
	a, err := syscalls.ArchByName(f.arch)
	if err != nil {
		return cli.Usagef("--arch: %v", err)
	}
	if a.Name != "x86_64" {
		return cli.Usagef("--arch: %s binaries are not analysed yet (only x86_64)", a.Name)
	}
	// The profile options are record's: the same writer, --for and
	// --default-action.
	plan, err := planRecord(&recordFlags{output: f.output, forRuntime: f.forRuntime, defaultAction: f.defaultAction, format: f.format, yaml: f.yaml})
	if err != nil {
		return err
	}
	plan.opts.Native = a
	opts := analyze.Options{Libraries: f.libraries}
	if !f.noCache {
		if opts.Cache, err = analyze.DefaultCache(); err != nil {
			fmt.Fprintf(stderr, "sysfence: warning: no cache: %v\n", err)
		}
	}
	res, err := analyze.Analyze(args, opts)
	if err != nil {
		return cli.Usage(err)
	}
	out, err := staticProfile(res, plan.opts)
	if err != nil {
		return cli.Usage(err)
	}
	out.File = recordedName(f.output)
	data, err := profile.Marshal(out, plan.write)
	if err != nil {
		return cli.Usage(err)
	}
	stdout := c.OutOrStdout()
	switch {
	case f.json:
		if err := cli.WriteJSON(stdout, res); err != nil {
			return cli.Failed(err)
		}
	case f.explain:
		for _, s := range res.Syscalls {
			fmt.Fprintln(stdout, s.Explain())
		}
	}
	if f.output != "" || !f.json && !f.explain {
		if err := writeRecorded(stdout, f.output, data); err != nil {
			return cli.Failed(err)
		}
	}
	if !f.quiet {
		for _, fd := range res.Findings {
			fmt.Fprintf(stderr, "sysfence: warning: %s\n", fd)
		}
		cached := 0
		for _, o := range res.Objects {
			if o.Cached {
				cached++
			}
		}
		fmt.Fprintf(stderr, "sysfence: analyze: %s reachable from %s (%s, %d from the cache)%s\n",
			pluralN(len(res.Syscalls), "syscall", "syscalls"), strings.Join(res.Programs, ", "),
			pluralN(len(res.Objects), "object", "objects"), cached, findingsNote(res.Findings))
	}
	return nil
}

func findingsNote(fs []analyze.Finding) string {
	if len(fs) == 0 {
		return ""
	}
	return fmt.Sprintf("; %s the analysis could not bound (above)", pluralN(len(fs), "place", "places"))
}

// staticProfile writes the analysis as a profile: every syscall allowed,
// each commented with its explanation.
func staticProfile(res *analyze.Result, opts record.ProfileOptions) (*profile.Profile, error) {
	opts.Static = staticCalls(res)
	r, err := record.New().Profile(opts)
	if err != nil {
		return nil, err
	}
	return profile.New(r.Profile, nil), nil
}

func staticCalls(res *analyze.Result) []record.StaticCall {
	var out []record.StaticCall
	for _, s := range res.Syscalls {
		a, err := syscalls.ArchByName(s.ABI)
		if err != nil {
			continue
		}
		out = append(out, record.StaticCall{Arch: a, Nr: s.Nr, Why: strings.Join(s.Why, " <- ")})
	}
	return out
}
