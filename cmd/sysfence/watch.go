package main

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"
	"time"

	cobra "github.com/sysfence/sysfence/internal/cmdline"

	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/internal/cli"
	"github.com/sysfence/sysfence/sandbox"
	"github.com/sysfence/sysfence/watch"
)

// watchFlags are the flags of `sysfence watch`.
type watchFlags struct {
	pid       int
	cgroup    string
	container string
	all       bool
	json      bool
	profile   string
	update    string
	duration  time.Duration
	interval  time.Duration
	pf        profileFlags
}

func newWatchCmd() *cobra.Command {
	var f watchFlags
	c := &cobra.Command{
		Use:   "watch [--pid PID | --cgroup PATH | --container ID | --all] [--json] [--profile PROFILE] [--update PROFILE] [--duration D]",
		Short: "Report every seccomp decision other than ALLOW on this machine",
		Long: `Watch the kernel's seccomp decisions as they happen and print every one
other than ALLOW: calls denied with an errno (and which errno), KILL_PROCESS
and KILL_THREAD, TRAP, TRACE, USER_NOTIF and LOG, and the kills of strict
mode. Each line says when, which process (pid, name, command line), its
container ID or cgroup, the call with its arguments decoded (paths as the
process passed them), what the kernel did, and which filter of the process
decided, at which instruction; with --profile, which entry of that profile
(with its position) decides, as 'sysfence run' reports say it. Identical
calls of one process are counted, not printed again: a line "×N" stands for
N calls since the group's previous line. Ctrl-C or --duration ends the
watch; a summary follows (with --json one object with "summary": true).

Without a selection every process on the machine is watched (--all);
--pid watches a process, its descendants and everything they start,
--cgroup a cgroup of the unified (v2) hierarchy and the cgroups below it,
--container a running container's cgroup (runc, containerd, Docker,
Podman, CRI-O and systemd layouts; an unambiguous prefix of a 64-hex ID
works).

--update PROFILE merges the calls that were denied into PROFILE, as 'sysfence
run --audit --update' does (written atomically, in the profile's own format;
a name taken out of an entry that denied it is said so), so that a profile
enforced in production heals from what production saw. Without --profile,
PROFILE is also the profile decisions are explained with.

Needs root and Linux 5.15 or later with BTF (raw tracepoints, no compiler).`,
		Example: `  sysfence watch
  sysfence watch --container 3f2a9c1b0e7d --profile app.json
  sysfence watch --cgroup /system.slice/nginx.service --json --duration 1h
  sysfence watch --container web --update app.json --duration 10m`,
		Args: argsBetween(0, 0),
		RunE: func(c *cobra.Command, _ []string) error { return runWatch(c, &f) },
	}
	fl := c.Flags()
	fl.IntVar(&f.pid, "pid", 0, "watch this process, its descendants and what they start")
	fl.StringVar(&f.cgroup, "cgroup", "", "watch the processes of this cgroup (unified hierarchy: a directory or a path such as /system.slice/app.service)")
	fl.StringVar(&f.container, "container", "", "watch a running container, by ID (or a unique prefix) or name of its cgroup")
	fl.BoolVar(&f.all, "all", false, "watch every process on the machine (the default)")
	fl.BoolVar(&f.json, "json", false, "print one JSON object per line, and the summary as one with \"summary\": true")
	fl.StringVar(&f.profile, "profile", "", "name the entry of `PROFILE` that decides each call (the profile the processes run under)")
	fl.StringVar(&f.update, "update", "", "merge the denied calls into `PROFILE` at the end")
	fl.DurationVar(&f.duration, "duration", 0, "stop after this long (default: at Ctrl-C)")
	fl.DurationVar(&f.interval, "interval", time.Second, "print the count of repeated calls at most this often")
	f.pf.register(fl)
	fl.MarkHidden("interval")
	return c
}

func runWatch(c *cobra.Command, f *watchFlags) error {
	stdout, stderr := c.OutOrStdout(), c.ErrOrStderr()
	opts, what, err := watchSelection(f)
	if err != nil {
		return err
	}
	if f.update != "" && f.profile == "" {
		f.profile = f.update
	}
	if err := checkOutput("--update", f.update); err != nil {
		return err
	}
	var res *build.Result
	if f.profile != "" {
		req, err := f.pf.request(f.profile, c.InOrStdin())
		if err != nil {
			return err
		}
		if res, err = buildProfile(req, stderr); err != nil {
			return err
		}
		opts.Explain = func(d *watch.Decision) string {
			if d.Strict || d.Arch == nil {
				return ""
			}
			return resultExplainer{res}.Explain(sandbox.Syscall{Arch: d.Arch, Nr: d.Nr, Args: d.Args, IP: d.IP}, d.Action)
		}
	}
	if f.interval <= 0 {
		return cli.Usagef("--interval must be positive")
	}
	w, err := watch.New(opts)
	if err != nil {
		return cli.Usage(err)
	}
	defer w.Close()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if f.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.duration)
		defer cancel()
	}
	fmt.Fprintf(stderr, "sysfence: watching the seccomp decisions of %s; Ctrl-C ends\n", what)
	var werr error
	err = w.Run(ctx, f.interval, func(r watch.Report) {
		if werr != nil {
			return
		}
		werr = printReport(stdout, r, f.json)
	})
	if err != nil {
		return cli.Failed(err)
	}
	if werr != nil {
		return cli.Failed(werr)
	}
	s := w.Summary()
	for _, l := range s.Losses() {
		fmt.Fprintf(stderr, "sysfence: warning: %s\n", strings.TrimPrefix(l, "sysfence watch: "))
	}
	if f.json {
		b, err := s.JSON()
		if err != nil {
			return cli.Failed(err)
		}
		if _, err := fmt.Fprintf(stdout, "%s\n", b); err != nil {
			return cli.Failed(err)
		}
	} else {
		for _, l := range s.Text() {
			fmt.Fprintln(stdout, l)
		}
	}
	if f.update != "" {
		u, err := updateProfile(f.update, res.Profile, watch.Observations(s.Groups), "sysfence watch")
		if err != nil {
			return err
		}
		if u == nil {
			fmt.Fprintf(stderr, "sysfence: watch: nothing was denied; %s not written\n", f.update)
		} else {
			fmt.Fprintf(stderr, "sysfence: watch: %s updated: %s\n", f.update, u.Summary())
			if len(u.Removed) > 0 {
				fmt.Fprintf(stderr, "sysfence: watch: taken out of entries that denied them: %s\n", strings.Join(u.Removed, ", "))
			}
		}
	}
	return nil
}

// watchSelection turns --pid, --cgroup, --container and --all into the
// watch's options and a phrase for the start line.
func watchSelection(f *watchFlags) (watch.Options, string, error) {
	w, err := selectWorkload(f.pid, f.cgroup, f.container,
		[]string{"--pid", "--cgroup", "--container", "--all"}, []bool{f.pid != 0, f.cgroup != "", f.container != "", f.all})
	if err != nil {
		return watch.Options{}, "", err
	}
	what := w.String()
	switch {
	case w.pid != 0:
		what += " and its descendants"
	case w.container != "":
		what += " (cgroup " + w.cgroup.Path + ")"
	}
	return watch.Options{Pid: w.pid, Cgroup: w.cgroup, Container: w.container}, what, nil
}

// printReport writes one report as a line of text or JSON.
func printReport(w io.Writer, r watch.Report, asJSON bool) error {
	if !asJSON {
		_, err := fmt.Fprintln(w, r.Text())
		return err
	}
	b, err := r.JSON()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
