package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	cobra "github.com/sysfence/sysfence/internal/cmdline"

	"github.com/sysfence/sysfence/internal/cli"
	"github.com/sysfence/sysfence/record"
	"github.com/sysfence/sysfence/record/recorder"
)

// attachFlags are record's flags for running processes.
type attachFlags struct {
	pid       int
	cgroup    string
	container string
	duration  time.Duration
}

func (f *attachFlags) set() bool { return f.pid != 0 || f.cgroup != "" || f.container != "" }

func (f *attachFlags) register(c *cobra.Command) {
	c.Use += "\n  sysfence record --pid PID | --cgroup PATH | --container ID [-o PROFILE] [--duration D] [flags]"
	c.Long += `

Running processes: --pid PID records a process, its descendants and
everything they start; --cgroup PATH every process of a cgroup (unified
hierarchy) and below it; --container ID a running container's cgroup.
Recording starts when sysfence attaches (eBPF only): calls made before are
not in the profile (a container's start-up, runc's own calls: --for adds
those of the runtime). It ends when the last process has exited, at Ctrl-C,
or after --duration, and writes the same profile as for CMD. The live line
and the summary say when the set of distinct syscalls last grew ("stable
for 4m10s"): a service that has not called anything new for a long while
has likely shown what it needs.

Without CMD or a target, --merge merges the profiles given only: the
recordings of several machines (SeccompProfiles of several nodes, say)
give the same profile in any order.`
	c.Example += `
  sysfence record --container 3f2a9c1b0e7d --for runc -o web.json --duration 1h
  sysfence record --cgroup /system.slice/nginx.service --args -o nginx.json
  sysfence record --merge node-a.yaml --merge node-b.yaml --format spo -o web.yaml`
	fl := c.Flags()
	fl.IntVar(&f.pid, "pid", 0, "record this running process, its descendants and what they start")
	fl.StringVar(&f.cgroup, "cgroup", "", "record the processes of this cgroup (unified hierarchy) and below it")
	fl.StringVar(&f.container, "container", "", "record a running container, by ID (or a unique prefix) or cgroup name")
	fl.DurationVar(&f.duration, "duration", 0, "with --pid, --cgroup or --container: stop after this long")
}

// target resolves the flags; what names it for messages.
func (f *attachFlags) target() (recorder.Target, string, error) {
	w, err := selectWorkload(f.pid, f.cgroup, f.container,
		[]string{"--pid", "--cgroup", "--container"}, []bool{f.pid != 0, f.cgroup != "", f.container != ""})
	if err != nil {
		return recorder.Target{}, "", err
	}
	return recorder.Target{Pid: w.pid, Cgroup: w.cgroup}, w.String(), nil
}

// runRecordAttach records running processes.
func runRecordAttach(c *cobra.Command, f *recordFlags, args []string) error {
	stderr := c.ErrOrStderr()
	if len(args) > 0 {
		return cli.Usagef("--pid, --cgroup and --container record running processes: CMD %q has no place here", args[0])
	}
	target, what, err := f.attach.target()
	if err != nil {
		return err
	}
	plan, err := planRecord(f)
	if err != nil {
		return err
	}
	for _, w := range plan.warnings {
		fmt.Fprintf(stderr, "sysfence: warning: %s\n", w)
	}
	a, err := recorder.AttachTo(recorder.Options{Backend: recorder.Backend(f.backend), Args: f.args, Errors: f.errors}, target)
	if err != nil {
		return cli.Usage(err)
	}
	defer a.Close()
	start := time.Now()
	// Printed even with --quiet: tests and scripts wait for it.
	fmt.Fprintf(stderr, "sysfence: recording %s with ebpf from now on; Ctrl-C ends\n", what)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if f.attach.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.attach.duration)
		defer cancel()
	}
	// The coverage signal: when the set of distinct syscalls last grew,
	// updated by the ticker and the live line.
	var (
		covMu sync.Mutex
		cov   record.Coverage
	)
	progress := func(now time.Time) (record.Progress, string) {
		covMu.Lock()
		defer covMu.Unlock()
		p := a.Progress()
		cov.Update(p, now)
		return p, cov.String(now)
	}
	progress(start)
	tickDone := make(chan struct{})
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case now := <-t.C:
				progress(now)
			case <-tickDone:
				return
			}
		}
	}()
	var live *liveLine
	if !f.quiet {
		if sf, ok := stderr.(*os.File); ok && cli.IsTerminal(sf) {
			live = startLiveLine(sf, cli.UseColor(sf), func() string {
				now := time.Now()
				p, stable := progress(now)
				return fmt.Sprintf("sysfence record (%s): %s, %s, %s, %s", what, elapsed(now.Sub(start)),
					pluralN(int(p.Processes), "process", "processes"), pluralN(p.Syscalls, "syscall", "syscalls"), stable)
			})
		}
	}
	werr := a.Wait(ctx)
	live.stop()
	end := time.Now()
	progress(end)
	close(tickDone)
	if werr != nil {
		return cli.Failed(werr)
	}
	rec, err := a.Finish()
	if err != nil {
		return cli.Failed(err)
	}

	out, data, err := plan.profile(stderr, rec, f.output)
	if err != nil {
		return err
	}
	if rec.Stopped {
		fmt.Fprintf(stderr, "sysfence: the recording ended with processes of %s still running: the profile holds what they did until then\n", what)
	}
	if !f.quiet {
		writeSummary(stderr, rec.Observations, plan.native, recorder.EBPF, end.Sub(start))
		covMu.Lock()
		grew, stable := cov.LastGrew(), cov.Stable(end)
		covMu.Unlock()
		fmt.Fprintf(stderr, "sysfence: the set of distinct syscalls last grew at %s, %s after the start: stable for %s at the end\n",
			grew.Format("15:04:05"), elapsed(grew.Sub(start)), elapsed(stable))
	}
	if err := writeRecorded(c.OutOrStdout(), f.output, data); err != nil {
		return cli.Failed(err)
	}
	if !f.quiet && f.output != "" && f.output != "-" {
		fmt.Fprintf(stderr, "sysfence: wrote %s: %s allowed\n", f.output, pluralN(countAllowed(out), "syscall", "syscalls"))
	}
	return nil
}
