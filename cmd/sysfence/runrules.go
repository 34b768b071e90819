package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sysfence/sysfence/internal/cli"
	pflag "github.com/sysfence/sysfence/internal/cmdline"
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
	rp, err := sandbox.PlanRules(&sandbox.RulesRequest{Rules: r, Command: cmd, Env: env, BestEffort: rf.bestEffort, NoLandlock: rf.noLandlock})
	if err != nil {
		return nil, cli.Usage(err)
	}
	return &pathPlan{landlock: rp.Landlock, supervised: rp.Supervised, superExec: rp.SupervisedExec,
		lines: rp.Lines, summary: rp.Summary, unenforced: rp.Unenforced}, nil
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
