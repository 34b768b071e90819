package main

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/internal/cli"
	cobra "github.com/sysfence/sysfence/internal/cmdline"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/sandbox"
	"github.com/sysfence/sysfence/seccomp"
	"github.com/sysfence/sysfence/syscalls"
)

// runFlags are the flags of `sysfence run`.
type runFlags struct {
	profile string
	filter  string
	strict  bool
	quiet   bool
	audit   bool
	update  string
	pf      profileFlags // resolution flags, as in compile
	rules   ruleFlags    // path and port rules
}

func newRunCmd() *cobra.Command {
	var f runFlags
	c := &cobra.Command{
		Use: "run [-p PROFILE|NAME | --filter FILE.bpf | --strict] [--allow-read|--allow-write|--allow-exec PATH]... " +
			"[--allow-bind|--allow-connect PORT]... [--best-effort] [--audit [--update PROFILE]] [--quiet] [-v] -- CMD [ARGS...]",
		Short: "Run a command under a seccomp filter, with path and port rules",
		Long: `Run CMD confined by seccomp from its first instruction: the filter is
installed in CMD right after its execve (so the filter need not allow execve,
and CMD cannot exec anything the filter denies), with no_new_privs. CMD shares
the terminal, stdin, stdout and stderr; its exit status becomes sysfence's
(128+N when it dies from signal N), and SIGINT, SIGTERM, SIGHUP are passed on.

When the filter kills CMD, or denies a call with an errno, sysfence says which
call, with its arguments, and what decided it; --quiet turns that off. With
--quiet, when the filter allows execve (and the few calls sysfence's own
thread could make before it), sysfence loads it on that thread and execs CMD
in its own place, as the shell's exec does (same PID, the fastest start);
otherwise it installs the filter at CMD's exec stop and follows CMD and its
descendants to their end: nothing CMD starts outlives the run.

CMD runs in a Landlock domain of its own: neither it nor its descendants can
ptrace, read or write the memory of, or take descriptors from any process
outside it (sysfence, your shell, other processes of your user), nor, where
Landlock ABI 6 can, signal them or connect to their abstract UNIX sockets
(--allow-outside signal,abstract-unix leaves those open). Without Landlock
sysfence refuses to run unless --best-effort, which says what stays open.
CMD shares the terminal but cannot type into it: ioctl TIOCSTI and TIOCLINUX
fail with EPERM, so nothing it pushes runs in your shell after it.

Without -p, Docker's default profile (docker-default) applies, resolved for
this machine with Docker's default capabilities (--cap, --kernel and
--no-enosys change the resolution as in 'sysfence compile').

Path and port rules (--allow-read, --allow-write, --allow-exec, --allow-bind,
--allow-connect, and the profile's "x-sysfence" section) are enforced by
Landlock, which checks the file the kernel actually opens: symlinks, "..",
openat2, hard links made inside the sandbox and a thread rewriting the path
cannot get around them. Once any path rule is given everything else on the
file system is denied, and what CMD needs to start (its executable, ELF
interpreter and shared libraries) is allowed automatically (-v lists it, and
why). Once any port rule is given, TCP bind and connect to other ports are
refused. If the kernel cannot enforce a rule, sysfence refuses to run (exit
2) unless --best-effort, which runs and prints each UNENFORCED rule. Without
Landlock (or with --no-landlock) read rules are enforced by sysfence's
supervisor, which performs every open itself and hands CMD the descriptor.

--audit runs CMD under the profile but lets every call the profile would deny
run: each is reported (name, decoded arguments, process) and counted, and a
summary follows. --update PROFILE then merges the missing syscalls into that
profile file (written atomically, in its own format): the learn, audit,
enforce loop.

--strict runs CMD in seccomp strict mode (only read, write, _exit and
rt_sigreturn): any ordinary program dies at its first other syscall, which
sysfence names. --filter (or -p FILE.bpf) takes a compiled filter: raw
struct sock_filter instructions in native byte order, as bwrap --seccomp and
libseccomp's seccomp_export_bpf use them.`,
		Example: `  sysfence run -- /bin/echo hi                 # under Docker's default profile
  sysfence run --allow-read /etc/hostname -- cat /etc/hostname
  sysfence run -p profile.json --allow-bind 8080 -- ./server --port 8080
  sysfence run --audit -p app.json --update app.json -- ./app
  sysfence run --strict -- /bin/true
  sysfence run --filter hello.bpf -- ./hello
  sysfence run --quiet --filter no-exec.bpf -- /bin/sh -c 'echo hi'`,
		Args: argsBetween(1, -1),
		RunE: func(c *cobra.Command, args []string) error {
			return runRun(&f, c, args)
		},
	}
	fl := c.Flags()
	// Everything after CMD belongs to CMD.
	fl.SetInterspersed(false)
	fl.StringVarP(&f.profile, "profile", "p", "", "profile file or built-in name (a FILE.bpf is taken as a compiled filter)")
	fl.StringVar(&f.filter, "filter", "", "compiled filter: raw sock_filter instructions, native byte order")
	fl.BoolVar(&f.strict, "strict", false, "seccomp strict mode: only read, write, _exit and rt_sigreturn")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "do not report what the filter did (sysfence becomes CMD when the filter allows execve)")
	fl.BoolVar(&f.audit, "audit", false, "report every call the profile would deny, and let it run (learning mode)")
	fl.StringVar(&f.update, "update", "", "with --audit: write the profile, plus the syscalls it lacked, to `PROFILE` (without -p, PROFILE is also the profile audited)")
	f.rules.register(fl)
	f.pf.registerAs(fl, "strict-profile")
	fl.Lookup("verbose").Usage = "also list the path rules added for CMD to start and the Landlock plan, and syscall names skipped on some of the filter's architectures"
	return c
}

func runRun(f *runFlags, c *cobra.Command, args []string) error {
	stderr := c.ErrOrStderr()
	if f.update != "" {
		if !f.audit {
			return cli.Usagef("--update needs --audit")
		}
		if f.profile == "" {
			f.profile = f.update
		}
	}
	if f.audit && f.quiet {
		return cli.Usagef("--audit reports what the profile would deny; it cannot be --quiet")
	}
	if f.update != "" && (f.strict || f.filter != "" || strings.HasSuffix(f.profile, ".bpf")) {
		return cli.Usagef("--update needs a profile (-p), not --strict or a compiled filter")
	}
	if err := checkOutput("--update", f.update); err != nil {
		return err
	}
	opts, res, err := confinement(f, c)
	if err != nil {
		return err
	}
	var prof *profile.Profile
	if res != nil {
		prof = res.Profile
	}
	pp, err := planPaths(&f.rules, prof, args[0], nil)
	if err != nil {
		return err
	}
	iso, isoLines, isoGaps, err := f.rules.isolation(opts.Strict)
	if err != nil {
		return err
	}
	pp.lines = append(pp.lines, isoLines...)
	pp.unenforced = append(pp.unenforced, isoGaps...)
	pp.print(stderr, f.pf.verbose, f.quiet)
	opts.Landlock, opts.SupervisedPaths, opts.SupervisedExec = pp.landlock, pp.supervised, pp.superExec
	opts.Isolation = iso
	opts.Audit = f.audit
	if !f.quiet || f.audit {
		opts.Report = func(e sandbox.Event) {
			if !f.quiet || e.Kind == sandbox.Audited {
				fmt.Fprintf(stderr, "sysfence: %s\n", e)
			}
		}
	}
	opts.ForwardSignals = true
	cmd := &sandbox.Command{Path: args[0], Args: args}
	if opts.Report == nil {
		// Quiet: become CMD if the filter allows it (no fork, no ptrace,
		// nothing to wait for); sandbox.Exec returns only on failure.
		if err := sandbox.Exec(cmd, opts); !errors.Is(err, sandbox.ErrNeedsChild) {
			return launchError(err)
		}
	}
	out, err := sandbox.Run(cmd, opts)
	if err != nil {
		return launchError(err)
	}
	if f.audit {
		printAudit(stderr, out.Audit, opts.Landlock.HasRules() || opts.SupervisedPaths != nil)
		if f.update != "" {
			u, err := updateProfile(f.update, res.Profile, out.Observed, "sysfence run --audit")
			if err != nil {
				return err
			}
			if u == nil {
				fmt.Fprintf(stderr, "sysfence: audit: the profile already allows every syscall CMD made; %s not written\n", f.update)
			} else {
				fmt.Fprintf(stderr, "sysfence: audit: %s updated: %s\n", f.update, u.Summary())
				if len(u.Removed) > 0 {
					fmt.Fprintf(stderr, "sysfence: audit: taken out of entries that denied them: %s\n", strings.Join(u.Removed, ", "))
				}
			}
		}
	}
	if out.ExitCode != 0 {
		return cli.Died(out.ExitCode, out.Signal)
	}
	return nil
}

// confinement turns the flags into what sandbox.Run installs: strict
// mode, a compiled filter file, or a profile (this is the one place a
// profile becomes a program). For a profile it also returns the build
// result (its x-sysfence section, and the base of --update).
func confinement(f *runFlags, c *cobra.Command) (*sandbox.Options, *build.Result, error) {
	resolution := f.pf.arch != "" || f.pf.caps != "" || f.pf.kernel != "" || f.pf.noENOSYS || f.pf.strict
	sources := 0
	for _, set := range []bool{f.strict, f.filter != "", f.profile != ""} {
		if set {
			sources++
		}
	}
	if sources > 1 {
		return nil, nil, cli.Usagef("give only one of --strict, --filter and -p")
	}
	switch {
	case f.strict:
		if resolution {
			return nil, nil, cli.Usagef("--arch, --cap, --kernel, --no-enosys and --strict-profile apply to profiles, not to --strict")
		}
		if f.audit {
			return nil, nil, cli.Usagef("--audit needs a filter; strict mode has none")
		}
		return &sandbox.Options{Strict: true}, nil, nil
	case f.filter != "":
		return filterConfinement(f, c, build.Request{Ref: f.filter, Stdin: c.InOrStdin()}, build.FilterInput)
	}
	return profileConfinement(f, c)
}

// filterConfinement is a raw filter, resolved (read and validated as
// check and disasm read it).
func filterConfinement(f *runFlags, c *cobra.Command, req build.Request, want build.Kind) (*sandbox.Options, *build.Result, error) {
	in, err := build.Resolve(req, want, false)
	if err != nil {
		return nil, nil, cli.Usage(err)
	}
	if in.Result != nil {
		return profileOptions(in.Result), in.Result, nil
	}
	if f.pf.arch != "" || f.pf.caps != "" || f.pf.kernel != "" || f.pf.noENOSYS || f.pf.strict {
		return nil, nil, cli.Usagef("--arch, --cap, --kernel, --no-enosys and --strict-profile apply to profiles, not to a compiled filter")
	}
	return &sandbox.Options{Filter: in.Program, Explain: sandbox.FilterExplainer}, nil, nil
}

// profileConfinement compiles a profile (or the built-in default) for
// this machine and explains reports with its entries and positions.
func profileConfinement(f *runFlags, c *cobra.Command) (*sandbox.Options, *build.Result, error) {
	name := f.profile
	if name == "" {
		name = "docker-default"
	}
	req, err := f.pf.request(name, c.InOrStdin())
	if err != nil {
		return nil, nil, err
	}
	// run's -v is about path rules; `sysfence compile -v` lists the names
	// a profile skips on some ABIs.
	req.Verbose = false
	native, err := syscalls.Native()
	if err != nil {
		return nil, nil, cli.Usage(err)
	}
	if req.Arch != nil && req.Arch != native {
		return nil, nil, cli.Usagef("--arch %s: the command runs on this machine, whose architecture is %s (the profile's other architectures come from its archMap)", req.Arch.Name, native.Name)
	}
	// The built-in default compiled into sysfence saves the pipeline at
	// every start; audit mode and --update need the profile itself, and
	// a report builds it only when it has something to explain.
	if !f.audit && f.update == "" {
		if prog, ok := build.Prebuilt(req); ok {
			return &sandbox.Options{Filter: prog, Explain: &lazyExplainer{req: req}}, nil, nil
		}
	}
	opts, res, err := filterConfinement(f, c, req, build.Any)
	if err == nil && res != nil {
		printWarnings(c.ErrOrStderr(), res)
	}
	return opts, res, err
}

// profileOptions confines with a built profile: its program, its flags,
// its agent, and reports explained by its entries and positions.
func profileOptions(res *build.Result) *sandbox.Options {
	opts := &sandbox.Options{Filter: res.Program.Filter, Explain: resultExplainer{res}, Flags: res.Flags}
	if l := res.Listener; l != nil {
		opts.Agent = &sandbox.Agent{Path: l.Path, Metadata: l.Metadata}
	} else {
		// Without a listener of the profile's own the flag has nothing to
		// apply to (sysfence sets it for its supervisor's).
		opts.Flags &^= seccomp.FlagWaitKillableRecv
	}
	return opts
}

// lazyExplainer is resultExplainer for a prebuilt program: the pipeline
// runs on the first call that needs explaining.
type lazyExplainer struct {
	req  build.Request
	once sync.Once
	res  *build.Result
}

func (e *lazyExplainer) Explain(call sandbox.Syscall, action policy.Action) string {
	e.once.Do(func() {
		if res, err := build.Build(e.req); err == nil {
			e.res = res
		}
	})
	if e.res == nil {
		return sandbox.FilterExplainer.Explain(call, action)
	}
	return resultExplainer{e.res}.Explain(call, action)
}

// resultExplainer names the profile entry (and its position) or the
// default that decided a reported call.
type resultExplainer struct{ res *build.Result }

func (e resultExplainer) Explain(call sandbox.Syscall, action policy.Action) string {
	d := call.Data()
	dec := e.res.Policy.Decide(d.Arch, d.Nr, &d.Args)
	return sandbox.ExplainDecision(e.res.Explain(dec).Text, dec.Action, action)
}

// launchError maps a failure to start CMD to sysfence's exit status: 127
// when CMD is not found, 126 when it is not executable (as shells do),
// otherwise bad input (2). run and record share it.
func launchError(err error) error {
	var ee *sandbox.ExecError
	if errors.As(err, &ee) {
		return &cli.ExitError{Code: ee.ExitCode(), Err: err}
	}
	return cli.Usage(err)
}
