package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/internal/atomicfile"
	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/internal/cli"
	cobra "github.com/sysfence/sysfence/internal/cmdline"
	"github.com/sysfence/sysfence/internal/sysdecode"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/record/recorder"
	"github.com/sysfence/sysfence/sandbox"
	"github.com/sysfence/sysfence/syscalls"
)

// recordFlags are the flags of `sysfence record`.
type recordFlags struct {
	output        string
	backend       string
	args          bool
	errors        bool
	merge         []string
	forRuntime    string
	defaultAction string
	format        string
	yaml          bool
	quiet         bool
	static        bool
	attach        attachFlags // --pid, --cgroup, --container, --duration
}

func newRecordCmd() *cobra.Command {
	var f recordFlags
	c := &cobra.Command{
		Use:   "record [-o PROFILE] [--backend auto|ptrace|ebpf] [--args] [--merge EXISTING]... [--for sysfence|runc|crun|docker] [--default-action ACTION] [--format docker|oci-config|spo] [--yaml] [--quiet] -- CMD [ARGS...]",
		Short: "Record the syscalls of a command into a minimal seccomp profile",
		Long: `Run CMD to completion and write a seccomp profile that allows exactly the
syscalls CMD and all its threads and descendants made, per architecture as the
kernel saw them (an int 0x80 call from a 64-bit program is an x86 syscall),
sorted, with a comment counting each. The profile works when enforced:
'sysfence run -p PROFILE -- CMD' runs CMD the same way, and any other syscall
gets the default action (ERRNO(EPERM), and ENOSYS for syscalls newer than the
profile, as runc does). A few calls that only a signal or an idle moment
triggers are added even when not seen, with a comment saying why:
restart_syscall, rt_sigreturn when CMD installs signal handlers, the epoll
waits when it creates an epoll instance.

CMD runs as under 'sysfence run': it shares the terminal, stdin, stdout and
stderr, its exit status becomes sysfence's (128+N when it dies from signal
N), and SIGINT, SIGTERM, SIGHUP are passed on. Recording starts at CMD's
exec: nothing of sysfence's own start-up is in the profile. It ends when CMD
and every process it started have exited; after CMD has exited, or at a
second Ctrl-C, what is left is killed. Whenever the recording ends early or
CMD dies from a signal, the profile holds what was recorded until then, and
sysfence says so.

Backends: ebpf (root and a kernel with BTF: about no overhead) or ptrace (no
privileges: one stop per syscall, about half of 'strace -f'); auto, the
default, uses ebpf when it can and says which one ran. --errors counts failed
calls for the summary (ptrace only, twice the stops).

--args writes argument rules where arguments decide the risk: socket (domain,
type), clone/clone3/unshare (namespace flags), personality, prctl (option),
ioctl (request), mmap/mprotect (PROT_EXEC), as tight as what was seen.
--for adds what the runtime that enforces the profile calls itself after it
loads the filter (runc, crun; docker is runc). --merge unites the recording
with earlier profiles (written by record or not), counting in how many
recordings each syscall was seen.

On a terminal a live line shows the elapsed time, processes and distinct
syscalls so far, and a summary table follows (like 'strace -c'); --quiet
turns both off.`,
		Example: `  sysfence record -o hello.json -- ./hello
  sysfence run -p hello.json -- ./hello
  sysfence record --args --for runc -o app.json -- ./app --self-test
  sysfence record --merge app.json -o app.json -- ./app --other-test
  sysfence record --backend ptrace --errors -o /dev/null -- make`,
		Args: argsBetween(0, -1),
		RunE: func(c *cobra.Command, args []string) error {
			if f.attach.set() {
				return runRecordAttach(c, &f, args)
			}
			if len(args) == 0 && len(f.merge) > 0 {
				return runMergeOnly(c, &f)
			}
			if len(args) == 0 {
				return cli.Usagef("%s needs CMD, or --pid, --cgroup or --container (see '%s --help')", c.CommandPath(), c.CommandPath())
			}
			return runRecord(c, &f, args)
		},
	}
	fl := c.Flags()
	fl.SetInterspersed(false) // everything after CMD belongs to CMD
	fl.StringVarP(&f.output, "output", "o", "", "write the profile to FILE (atomically; a device or pipe such as /dev/null directly) instead of stdout")
	fl.StringVar(&f.backend, "backend", "auto", "recorder: auto, ptrace or ebpf")
	fl.BoolVar(&f.args, "args", false, "argument rules for socket, clone, unshare, personality, prctl, ioctl, mmap, mprotect")
	fl.BoolVar(&f.errors, "errors", false, "count failed calls for the summary (ptrace backend; doubles its cost)")
	fl.StringArrayVar(&f.merge, "merge", nil, "unite with an earlier profile (repeatable)")
	fl.StringVar(&f.forRuntime, "for", "sysfence", "runtime that will enforce the profile: sysfence, runc, crun or docker")
	fl.StringVar(&f.defaultAction, "default-action", "errno", "default action: errno (EPERM), kill-process, kill-thread, trap or log")
	fl.StringVar(&f.format, "format", "docker", "profile format: docker, podman, oci (a bare LinuxSeccomp object), oci-config (a whole config.json) or spo")
	fl.BoolVar(&f.yaml, "yaml", false, "write YAML instead of JSON")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no live line and no summary on stderr")
	fl.BoolVar(&f.static, "static", false, "add what the programs run and the libraries they mapped can reach (static analysis; ptrace backend)")
	f.attach.register(c)
	return c
}

// recordPlan is what the flags ask for, checked before CMD runs.
type recordPlan struct {
	opts     record.ProfileOptions
	write    profile.WriteOptions
	merge    []*profile.Profile
	native   *syscalls.Arch
	warnings []string // about the --merge inputs
}

func planRecord(f *recordFlags) (*recordPlan, error) {
	p := &recordPlan{}
	native, err := syscalls.Native()
	if err != nil {
		return nil, cli.Usage(err)
	}
	p.native = native
	p.opts = record.ProfileOptions{Args: f.args, For: record.Runtime(f.forRuntime), Native: native}
	if _, err := record.RuntimeSyscalls(p.opts.For); err != nil {
		return nil, cli.Usagef("--for: %v", err)
	}
	if p.opts.DefaultAction, err = parseDefaultAction(f.defaultAction); err != nil {
		return nil, cli.Usagef("--default-action: %v", err)
	}
	if p.opts.DefaultAction == specs.ActErrno {
		eperm := uint(1)
		p.opts.DefaultErrnoRet = &eperm
	}
	// The format names are profile.ParseFormat's, as everywhere: "oci" is
	// a bare LinuxSeccomp object, "oci-config" a whole config.json.
	if p.write.Format, err = profile.ParseFormat(f.format); err != nil {
		return nil, cli.Usagef("--format: %v", err)
	}
	if f.yaml {
		p.write.Encoding = profile.YAML
	}
	if err := checkOutput("-o", f.output); err != nil {
		return nil, err
	}
	for _, ref := range f.merge {
		prev, err := build.Load(ref, nil) // CMD has standard input
		if err != nil {
			return nil, cli.Usagef("--merge: %v", err)
		}
		for _, w := range prev.Warnings {
			p.warnings = append(p.warnings, "--merge: "+w.Error())
		}
		p.merge = append(p.merge, prev)
	}
	if len(p.merge) > 0 {
		// What would make the merge fail whatever is recorded (another
		// default action, profiles that conflict among themselves) fails
		// now, before CMD runs; an empty recording stands in for the one
		// to come.
		empty, err := record.New().Profile(p.opts)
		if err != nil {
			return nil, cli.Usage(err)
		}
		probe := profile.New(empty.Profile, nil)
		probe.File = "this recording"
		if _, err := record.MergeProfiles(append(slices.Clone(p.merge), probe)...); err != nil {
			return nil, cli.Usagef("--merge: %v", err)
		}
	}
	return p, nil
}

// parseDefaultAction reads --default-action: a short name or a
// SCMP_ACT_* name. ALLOW would record nothing worth enforcing.
func parseDefaultAction(s string) (specs.LinuxSeccompAction, error) {
	n := strings.ToUpper(strings.TrimSpace(s))
	n = strings.TrimPrefix(n, "SCMP_ACT_")
	n = strings.ReplaceAll(n, "-", "_")
	switch n {
	case "ERRNO":
		return specs.ActErrno, nil
	case "KILL_PROCESS":
		return specs.ActKillProcess, nil
	case "KILL", "KILL_THREAD":
		return specs.ActKillThread, nil
	case "TRAP":
		return specs.ActTrap, nil
	case "LOG":
		return specs.ActLog, nil
	}
	return "", fmt.Errorf("unknown action %q (one of errno, kill-process, kill-thread, trap, log)", s)
}

func runRecord(c *cobra.Command, f *recordFlags, args []string) error {
	stderr := c.ErrOrStderr()
	plan, err := planRecord(f)
	if err != nil {
		return err
	}
	for _, w := range plan.warnings {
		fmt.Fprintf(c.ErrOrStderr(), "sysfence: warning: %s\n", w)
	}
	sess, err := recorder.Prepare(recorder.Options{Backend: recorder.Backend(f.backend), Args: f.args, Errors: f.errors, ForwardSignals: true, Files: f.static})
	if err != nil {
		return cli.Usage(err)
	}
	defer sess.Close()
	if !f.quiet {
		if fb := sess.Fallback(); fb != nil {
			fmt.Fprintf(stderr, "sysfence: recording with %s (not eBPF: %v)\n", sess.Backend(), fb)
		} else {
			fmt.Fprintf(stderr, "sysfence: recording with %s\n", sess.Backend())
		}
	}

	// Ctrl-C: the first one reaches CMD (from the terminal or passed on)
	// and the recording goes on until CMD has exited; once CMD has exited
	// (descendants still running), or at the second one, the recording
	// ends and what is left is killed.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		n := 0
		for range sigs {
			n++
			if n >= 2 || sess.CommandExited() {
				sess.Stop()
			}
		}
	}()

	start := time.Now()
	var live *liveLine
	if !f.quiet {
		if sf, ok := stderr.(*os.File); ok && cli.IsTerminal(sf) {
			live = startLiveLine(sf, cli.UseColor(sf), func() string {
				p := sess.Progress()
				return fmt.Sprintf("sysfence record (%s): %s, %s, %s", sess.Backend(), elapsed(time.Since(start)),
					pluralN(int(p.Processes), "process", "processes"), pluralN(p.Syscalls, "syscall", "syscalls"))
			})
		}
	}
	rec, err := sess.Run(&sandbox.Command{Path: args[0], Args: args})
	live.stop()
	took := time.Since(start)
	if err != nil {
		return launchError(err)
	}

	if f.static {
		if err := addStatic(stderr, rec.Observations, &plan.opts, f.quiet); err != nil {
			return err
		}
	}
	out, data, err := plan.profile(stderr, rec, f.output)
	if err != nil {
		return err
	}
	switch {
	case rec.Stopped:
		fmt.Fprintf(stderr, "sysfence: warning: the recording was stopped before every process of %s had exited: the profile holds what was recorded until then\n", args[0])
	case rec.Result.Signal != 0:
		fmt.Fprintf(stderr, "sysfence: warning: %s was killed by %s: the profile holds what was recorded until then\n",
			args[0], sysdecode.Signal(nil, uint64(rec.Result.Signal)))
	}
	if !f.quiet {
		writeSummary(stderr, rec.Observations, plan.native, sess.Backend(), took)
	}

	if err := writeRecorded(c.OutOrStdout(), f.output, data); err != nil {
		return cli.Failed(err)
	}
	if !f.quiet && f.output != "" && f.output != "-" {
		fmt.Fprintf(stderr, "sysfence: wrote %s: %s allowed\n", f.output, pluralN(countAllowed(out), "syscall", "syscalls"))
	}
	if rec.Result.ExitCode != 0 {
		return cli.Died(rec.Result.ExitCode, rec.Result.Signal)
	}
	return nil
}

// profile turns a recording into the profile written, merged with the
// --merge inputs, and says on stderr what the recording warned of.
func (plan *recordPlan) profile(stderr io.Writer, rec *recorder.Recording, output string) (*profile.Profile, []byte, error) {
	res, err := rec.Profile(plan.opts)
	if err != nil {
		return nil, nil, cli.Usage(err)
	}
	out := profile.New(res.Profile, nil)
	out.File = "this recording"
	if len(plan.merge) > 0 {
		if out, err = record.MergeProfiles(append(plan.merge, out)...); err != nil {
			return nil, nil, cli.Usagef("--merge: %v", err)
		}
	}
	out.File = recordedName(output)
	data, err := profile.Marshal(out, plan.write)
	if err != nil {
		return nil, nil, cli.Usage(err)
	}
	for _, w := range rec.Warnings {
		fmt.Fprintf(stderr, "sysfence: warning: %s\n", w)
	}
	for _, u := range res.Unknown {
		fmt.Fprintf(stderr, "sysfence: warning: %s\n", u)
	}
	return out, data, nil
}

// writeRecorded writes the profile: to stdout without -o or with -o -,
// otherwise as compile -o writes (atomically into a file, straight into a
// device or pipe such as /dev/null).
func writeRecorded(stdout io.Writer, output string, data []byte) error {
	if output == "" || output == "-" {
		_, err := stdout.Write(data)
		return err
	}
	return atomicfile.WriteFile(output, data, 0o644)
}

// recordedName names the profile in a SeccompProfile's metadata.
func recordedName(output string) string {
	if output == "" || output == "-" {
		return "recorded"
	}
	return filepath.Base(output)
}

func countAllowed(p *profile.Profile) int {
	seen := map[string]bool{}
	for _, s := range p.Seccomp.Syscalls {
		if s.Action != specs.ActAllow {
			continue
		}
		for _, n := range s.Names {
			seen[n] = true
		}
	}
	return len(seen)
}

func pluralN(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func elapsed(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// writeSummary prints a table like strace -c's: calls and errors per
// syscall, most called first.
func writeSummary(w io.Writer, o *record.Observations, native *syscalls.Arch, backend recorder.Backend, took time.Duration) {
	entries := o.Entries()
	sort.SliceStable(entries, func(i, j int) bool {
		if entries[i].Calls != entries[j].Calls {
			return entries[i].Calls > entries[j].Calls
		}
		return entries[i].String() < entries[j].String()
	})
	var calls, errs uint64
	errorsKnown := len(entries) > 0
	for _, e := range entries {
		calls += e.Calls
		errs += e.Errors
		errorsKnown = errorsKnown && e.ErrorsKnown
	}
	fmt.Fprintf(w, "sysfence: recorded with %s in %s: %s, %s, %s, %s\n", backend, elapsed(took),
		pluralN(int(o.Processes), "process", "processes"), pluralN(int(o.Threads), "more thread", "more threads"),
		pluralN(len(entries), "distinct syscall", "distinct syscalls"), pluralN(int(calls), "call", "calls"))
	errCol := func(n uint64, known bool) string {
		if !known {
			return "-"
		}
		return fmt.Sprint(n)
	}
	fmt.Fprintf(w, "%12s %9s  %s\n", "calls", "errors", "syscall")
	fmt.Fprintf(w, "%12s %9s  %s\n", "-----------", "--------", "----------------")
	for _, e := range entries {
		name := e.Name
		if name == "" {
			name = fmt.Sprintf("#%d", e.Nr)
		}
		if e.Arch != native {
			name += " (" + e.Arch.Name + ")"
		}
		fmt.Fprintf(w, "%12d %9s  %s\n", e.Calls, errCol(e.Errors, e.ErrorsKnown), name)
	}
	fmt.Fprintf(w, "%12s %9s  %s\n", "-----------", "--------", "----------------")
	fmt.Fprintf(w, "%12d %9s  %s\n", calls, errCol(errs, errorsKnown), "total")
	if !errorsKnown && backend == recorder.Ptrace {
		fmt.Fprintln(w, "(errors are counted with --errors)")
	}
}
