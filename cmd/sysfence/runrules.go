package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"

	"github.com/sysfence/sysfence/internal/cli"
	pflag "github.com/sysfence/sysfence/internal/cmdline"
	"github.com/sysfence/sysfence/internal/execdeps"
	"github.com/sysfence/sysfence/landlock"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/sandbox"
)

// ruleFlags are run's path and port rules.
type ruleFlags struct {
	read, write, exec []string
	bind, connect     []string
	bestEffort        bool
	noLandlock        bool
	allowOutside      []string
}

func (r *ruleFlags) register(fl *pflag.FlagSet) {
	fl.StringArrayVar(&r.read, "allow-read", nil, "let CMD read `PATH` (a file, or a directory and everything beneath); repeatable")
	fl.StringArrayVar(&r.write, "allow-write", nil, "let CMD write `PATH` (in a directory also create, remove and rename); repeatable")
	fl.StringArrayVar(&r.exec, "allow-exec", nil, "let CMD execute `PATH` (for a program, its interpreter and libraries are added; for a directory, nothing more); repeatable")
	fl.StringArrayVar(&r.bind, "allow-bind", nil, "let CMD bind TCP `PORT` (others are refused); repeatable, or a comma-separated list")
	fl.StringArrayVar(&r.connect, "allow-connect", nil, "let CMD connect to TCP `PORT` (others are refused); repeatable, or a comma-separated list")
	fl.BoolVar(&r.bestEffort, "best-effort", false, "run even if the kernel cannot enforce every rule, and list what is UNENFORCED")
	fl.BoolVar(&r.noLandlock, "no-landlock", false, "enforce read rules with the supervisor instead of Landlock (as on a kernel without Landlock); Landlock still isolates CMD from other processes")
	fl.StringSliceVar(&r.allowOutside, "allow-outside", nil, "let CMD `signal` processes outside its sandbox, or connect to their `abstract-unix` sockets (comma-separated; both are refused by default where Landlock ABI 6 can)")
}

// isolation turns --allow-outside and --best-effort into sandbox's
// isolation, and says how this kernel isolates CMD (for --verbose) and
// what it leaves open: an error without --best-effort, UNENFORCED lines
// with it.
func (r *ruleFlags) isolation(strict bool) (iso sandbox.Isolation, verbose, unenforced []string, err error) {
	iso.BestEffort = r.bestEffort
	for _, v := range r.allowOutside {
		switch strings.TrimSpace(v) {
		case "signal", "signals":
			iso.AllowOutside |= landlock.ScopeSignal
		case "abstract-unix":
			iso.AllowOutside |= landlock.ScopeAbstractUnix
		default:
			return iso, nil, nil, cli.Usagef("--allow-outside %s: not signal or abstract-unix", v)
		}
	}
	if strict {
		return iso, nil, nil, nil // strict mode cannot reach another process at all
	}
	if abi, _ := landlock.KernelABI(); abi > 0 {
		p := landlock.Plan{ABI: abi}
		p.Isolate(landlock.DefaultScopes &^ iso.AllowOutside)
		verbose = p.Lines()
		for _, g := range p.Limits {
			verbose = append(verbose, "landlock: not covered: "+g.String())
		}
	}
	for _, g := range sandbox.IsolationGaps() {
		if !r.bestEffort {
			return iso, nil, nil, cli.Usagef("cannot isolate CMD from the other processes of this machine: %s (use --best-effort to run anyway)", g)
		}
		unenforced = append(unenforced, "UNENFORCED isolation: "+g)
	}
	return iso, verbose, unenforced, nil
}

// parsePorts reads --allow-bind/--allow-connect values.
func parsePorts(flag string, vals []string) ([]uint16, error) {
	var out []uint16
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
			if err != nil || n == 0 {
				return nil, cli.Usagef("--%s %s: not a TCP port (1-65535)", flag, s)
			}
			out = append(out, uint16(n))
		}
	}
	return out, nil
}

// pathPlan is how a run's path and port rules are enforced.
type pathPlan struct {
	landlock   *landlock.Plan // Landlock (nil: none)
	supervised *landlock.Plan // the supervisor (no Landlock)
	superExec  bool           // execve left to the profile under the supervisor
	lines      []string       // for --verbose
	summary    string         // the one line printed unless --quiet
	unenforced []string       // always printed
}

// planPaths merges the flags with the x-sysfence section of prof (nil:
// none), adds what CMD needs to start, and decides how the rules are
// enforced. Rules that cannot be enforced are an error (exit 2) unless
// --best-effort.
func planPaths(rf *ruleFlags, prof *profile.Profile, cmd string, env []string) (*pathPlan, error) {
	var ext *profile.Extension
	if prof != nil && prof.Ext != nil {
		ext = prof.Ext
		// A missing file is the profile's error: say where it is.
		for _, l := range []struct {
			field string
			paths []string
		}{{"allowRead", ext.AllowRead}, {"allowWrite", ext.AllowWrite}, {"allowExec", ext.AllowExec}} {
			for i, p := range l.paths {
				if _, err := os.Lstat(p); err != nil {
					return nil, cli.Usage(prof.Errorf(fmt.Sprintf("x-sysfence.%s[%d]", l.field, i), "%s: %v (a rule needs an existing file or directory)", p, errors.Unwrap(err)))
				}
			}
		}
	}
	var r landlock.Rules
	r.Read, r.Write, r.Exec = append(r.Read, rf.read...), append(r.Write, rf.write...), append(r.Exec, rf.exec...)
	var err error
	if r.Bind, err = parsePorts("allow-bind", rf.bind); err != nil {
		return nil, err
	}
	if r.Connect, err = parsePorts("allow-connect", rf.connect); err != nil {
		return nil, err
	}
	if ext != nil {
		r.Read = append(r.Read, ext.AllowRead...)
		r.Write = append(r.Write, ext.AllowWrite...)
		r.Exec = append(r.Exec, ext.AllowExec...)
		r.Bind = append(r.Bind, ext.AllowBind...)
		r.Connect = append(r.Connect, ext.AllowConnect...)
	}
	pp := &pathPlan{}
	if r.Empty() {
		return pp, nil
	}
	userExec := len(r.Exec) > 0
	nUser := len(r.Read) + len(r.Write) + len(r.Exec)
	added, starter := 0, filepath.Base(cmd)
	if nUser > 0 {
		// Deny-by-default is on for the file system: allow what CMD, and
		// every file --allow-exec names, needs to start.
		starts := []string{cmd}
		for _, e := range r.Exec {
			if fi, err := os.Stat(e); err == nil && fi.Mode().IsRegular() {
				starts = append(starts, e)
			} else if err == nil && fi.IsDir() {
				pp.lines = append(pp.lines, "nothing added for the programs in "+e+" (a directory): allow what they load with --allow-read or --allow-exec")
			}
		}
		if len(starts) > 1 {
			starter += " and the --allow-exec programs"
		}
		for i, s := range starts {
			res, err := execdeps.Resolve(s, execdeps.Options{Env: env})
			if err != nil {
				var ee *execdeps.Error
				if i == 0 && errors.As(err, &ee) && (errors.Is(err, execdeps.ErrNotFound) || errors.Is(err, execdeps.ErrNotExecutable)) {
					// Nothing is added for CMD, but the rules stay: if the
					// kernel can run it after all (binfmt_misc, say), it
					// runs confined, and may fail for want of its files;
					// if not, sandbox reports it as the shell does (127,
					// 126). Never drop the rules.
					pp.lines = append(pp.lines, fmt.Sprintf("nothing added for %s to start: %v", s, err))
					continue
				}
				return nil, cli.Usagef("cannot tell what %s needs to start: %v", s, err)
			}
			for _, d := range res.Deps {
				pp.lines = append(pp.lines, "added for "+s+" to start: "+d.String())
			}
			for _, m := range res.Missing {
				pp.lines = append(pp.lines, "for "+s+": "+m.String())
			}
			read, exec := res.Split()
			r.Read, r.Exec = append(r.Read, read...), append(r.Exec, exec...)
			added += len(res.Deps)
		}
	}
	abi, abiErr := landlock.KernelABI()
	if rf.noLandlock || abi == 0 {
		why := "--no-landlock"
		if !rf.noLandlock {
			why = "no Landlock"
			if abiErr != nil {
				why = abiErr.Error()
			}
		}
		return pp, pp.planSupervised(r, rf, why, userExec, nUser, startNote(added, starter))
	}
	plan, err := landlock.NewPlan(r, abi, landlock.Options{BestEffort: true})
	if err != nil {
		return nil, cli.Usage(err)
	}
	if sandbox.TruncationBySeccomp(plan) {
		// sandbox refuses truncation with the filter, and the ruleset does
		// not handle TRUNCATE (see sandbox.TruncationBySeccomp); what
		// Landlock below ABI 3 cannot do is done.
		plan.HandledFS &^= llsys.AccessFSTruncate
		var gaps []landlock.Gap
		for _, g := range plan.Unenforced {
			if g.ABI != 3 {
				gaps = append(gaps, g)
			}
		}
		plan.Unenforced = gaps
		pp.lines = append(pp.lines, "filter: truncation is refused by the seccomp filter (no rule grants writing): "+
			"truncate(2) and O_TRUNC opens fail with EACCES, openat2 and io_uring with ENOSYS")
	}
	if len(plan.Unenforced) > 0 && !rf.bestEffort {
		return nil, cli.Usage(&landlock.UnenforceableError{ABI: abi, Gaps: plan.Unenforced})
	}
	plan.BestEffort = rf.bestEffort
	if plan.HandledNet != 0 {
		pp.lines = append(pp.lines, "filter: socket(..., IPPROTO_MPTCP) fails with EPROTONOSUPPORT and io_uring_setup with ENOSYS (MPTCP would bypass the TCP port rules); "+
			"listen goes to the supervisor, which refuses unbound TCP sockets with EACCES (Landlock does not check listen's autobind)")
		for i, g := range plan.Limits {
			if g.What == "non-TCP sockets" {
				plan.Limits[i].Detail = "UDP, SCTP and raw sockets are not restricted (MPTCP sockets, which Landlock does not restrict either, are refused by the filter)"
			}
		}
	}
	pp.landlock = plan
	pp.lines = append(pp.lines, plan.Lines()...)
	for _, g := range plan.Unenforced {
		pp.unenforced = append(pp.unenforced, "landlock: UNENFORCED "+g.String())
	}
	pp.summary = fmt.Sprintf("Landlock ABI %d enforces %s%s and %s", abi, count(nUser, "path rule"), startNote(added, starter), count(len(plan.Ports), "port rule"))
	if len(plan.Limits) > 0 {
		// What Landlock leaves alone is no failure, but nobody should
		// have to ask for it.
		var what []string
		for _, g := range plan.Limits {
			what = append(what, g.What)
		}
		pp.summary += "; not restricted: " + strings.Join(what, ", ") + " (-v says more)"
	}
	return pp, nil
}

// planSupervised enforces read (and exec) rules without Landlock.
func (pp *pathPlan) planSupervised(r landlock.Rules, rf *ruleFlags, why string, userExec bool, nUser int, note string) error {
	if len(r.Write) > 0 {
		return cli.Usagef("--allow-write cannot be enforced without Landlock (%s): the supervisor only opens files for reading", why)
	}
	var gaps []string
	if len(r.Bind)+len(r.Connect) > 0 {
		gaps = append(gaps, "port rules: every TCP port stays usable (they need Landlock ABI 4)")
	}
	if userExec {
		gaps = append(gaps, "exec rules: execve(2) of any file the profile allows (the supervisor cannot check what the kernel executes)")
	}
	if len(gaps) > 0 && !rf.bestEffort {
		return cli.Usagef("without Landlock (%s) sysfence cannot enforce: %s; use --best-effort to run anyway", why, strings.Join(gaps, "; "))
	}
	for _, g := range gaps {
		pp.unenforced = append(pp.unenforced, "supervisor: UNENFORCED "+g)
	}
	plan, err := landlock.NewPlan(landlock.Rules{Read: r.Read, Exec: r.Exec}, landlock.MaxABI, landlock.Options{})
	if err != nil {
		return cli.Usage(err)
	}
	plan.Limits = nil
	pp.supervised = plan
	pp.superExec = userExec
	for _, p := range plan.Paths {
		pp.lines = append(pp.lines, fmt.Sprintf("supervisor: allow %v on %s (%s)", p.Access, p.Path, strings.Join(p.From, "; ")))
	}
	pp.lines = append(pp.lines, "supervisor: open, openat and openat2 are performed by sysfence (read-only) and the file descriptor handed over; "+
		"calls that create, remove, rename, link or truncate files fail with EACCES, mount, chroot, ptrace, process_vm_readv/writev "+
		"and pidfd_getfd with EPERM, io_uring with ENOSYS")
	if !userExec {
		pp.lines = append(pp.lines, "supervisor: execve after CMD's own fails with EACCES (give --allow-exec and --best-effort to leave it to the profile)")
	}
	pp.summary = fmt.Sprintf("%s: the supervisor enforces %s%s", why, count(nUser, "path rule"), note)
	return nil
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// startNote says how many rules were added for what to start.
func startNote(added int, what string) string {
	if added == 0 {
		return ""
	}
	return fmt.Sprintf(" (+%d for %s to start)", added, what)
}

// print writes the plan's lines: the summary unless quiet, the details
// with --verbose, and what is unenforced always.
func (pp *pathPlan) print(w io.Writer, verbose, quiet bool) {
	if pp.summary != "" && !quiet {
		fmt.Fprintf(w, "sysfence: %s\n", pp.summary)
	}
	if verbose {
		for _, l := range pp.lines {
			fmt.Fprintf(w, "sysfence: %s\n", l)
		}
	}
	for _, l := range pp.unenforced {
		fmt.Fprintf(w, "sysfence: %s\n", l)
	}
}
