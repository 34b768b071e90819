package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"

	"github.com/sysfence/sysfence/internal/execdeps"
	"github.com/sysfence/sysfence/landlock"
)

// RulesRequest are a run's path and port rules, as given, and what they
// are for.
type RulesRequest struct {
	Rules   landlock.Rules
	Command string   // the command (as given: a name is searched in Env's PATH)
	Env     []string // the command's environment (nil: this process's)
	// BestEffort runs with what the kernel cannot enforce listed in
	// Unenforced, instead of refusing.
	BestEffort bool
	// NoLandlock gives read rules to the supervisor even where the kernel
	// has Landlock (Options.SupervisedPaths).
	NoLandlock bool
}

// RulesPlan is how a run's rules are enforced: by Landlock (Landlock) or
// by the supervisor (Supervised), with what each needs for the command to
// start, and what to tell the user.
type RulesPlan struct {
	Landlock       *landlock.Plan // Options.Landlock (nil: none)
	Supervised     *landlock.Plan // Options.SupervisedPaths (nil: none)
	SupervisedExec bool           // Options.SupervisedExec
	Lines          []string       // each decision, for a verbose listing
	Summary        string         // one line: what enforces how many rules
	Unenforced     []string       // what is not enforced (only with BestEffort): always worth saying
}

// PlanRules decides how a run's path and port rules are enforced. Once any
// path rule is given, everything else on the file system is denied, so
// what the command (and every program an exec rule names) needs to start
// is added: its interpreter and libraries as ld.so finds them
// (internal/execdeps). Landlock enforces the rules where the kernel has
// it; otherwise (or with NoLandlock) the supervisor enforces read rules.
// Rules the kernel cannot enforce are an error (a
// *landlock.UnenforceableError, or a plain one for the supervisor) unless
// BestEffort.
func PlanRules(req *RulesRequest) (*RulesPlan, error) {
	r := req.Rules
	cmd, env := req.Command, req.Env
	pp := &RulesPlan{}
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
				pp.Lines = append(pp.Lines, "nothing added for the programs in "+e+" (a directory): allow what they load with --allow-read or --allow-exec")
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
					pp.Lines = append(pp.Lines, fmt.Sprintf("nothing added for %s to start: %v", s, err))
					continue
				}
				return nil, fmt.Errorf("cannot tell what %s needs to start: %v", s, err)
			}
			for _, d := range res.Deps {
				pp.Lines = append(pp.Lines, "added for "+s+" to start: "+d.String())
			}
			for _, m := range res.Missing {
				pp.Lines = append(pp.Lines, "for "+s+": "+m.String())
			}
			read, exec := res.Split()
			r.Read, r.Exec = append(r.Read, read...), append(r.Exec, exec...)
			added += len(res.Deps)
		}
	}
	abi, abiErr := landlock.KernelABI()
	if req.NoLandlock || abi == 0 {
		why := "--no-landlock"
		if !req.NoLandlock {
			why = "no Landlock"
			if abiErr != nil {
				why = abiErr.Error()
			}
		}
		return pp, pp.planSupervised(r, req, why, userExec, nUser, startNote(added, starter))
	}
	plan, err := landlock.NewPlan(r, abi, landlock.Options{BestEffort: true})
	if err != nil {
		return nil, err
	}
	if refuseTruncation(plan) {
		pp.Lines = append(pp.Lines, "filter: truncation is refused by the seccomp filter (no rule grants writing): "+
			"truncate(2) and O_TRUNC opens fail with EACCES, openat2 and io_uring with ENOSYS")
	}
	if len(plan.Unenforced) > 0 && !req.BestEffort {
		return nil, &landlock.UnenforceableError{ABI: abi, Gaps: plan.Unenforced}
	}
	plan.BestEffort = req.BestEffort
	if plan.HandledNet != 0 {
		pp.Lines = append(pp.Lines, "filter: socket(..., IPPROTO_MPTCP) fails with EPROTONOSUPPORT and io_uring_setup with ENOSYS (MPTCP would bypass the TCP port rules); "+
			"listen goes to the supervisor, which refuses unbound TCP sockets with EACCES (Landlock does not check listen's autobind)")
		for i, g := range plan.Limits {
			if g.What == "non-TCP sockets" {
				plan.Limits[i].Detail = "UDP, SCTP and raw sockets are not restricted (MPTCP sockets, which Landlock does not restrict either, are refused by the filter)"
			}
		}
	}
	pp.Landlock = plan
	pp.Lines = append(pp.Lines, plan.Lines()...)
	for _, g := range plan.Unenforced {
		pp.Unenforced = append(pp.Unenforced, "landlock: UNENFORCED "+g.String())
	}
	pp.Summary = fmt.Sprintf("Landlock ABI %d enforces %s%s and %s", abi, count(nUser, "path rule"), startNote(added, starter), count(len(plan.Ports), "port rule"))
	if len(plan.Limits) > 0 {
		// What Landlock leaves alone is no failure, but nobody should
		// have to ask for it.
		var what []string
		for _, g := range plan.Limits {
			what = append(what, g.What)
		}
		pp.Summary += "; not restricted: " + strings.Join(what, ", ") + " (-v says more)"
	}
	return pp, nil
}

// planSupervised enforces read (and exec) rules without Landlock.
func (pp *RulesPlan) planSupervised(r landlock.Rules, req *RulesRequest, why string, userExec bool, nUser int, note string) error {
	if len(r.Write) > 0 {
		return fmt.Errorf("--allow-write cannot be enforced without Landlock (%s): the supervisor only opens files for reading", why)
	}
	var gaps []string
	if len(r.Bind)+len(r.Connect) > 0 {
		gaps = append(gaps, "port rules: every TCP port stays usable (they need Landlock ABI 4)")
	}
	if userExec {
		gaps = append(gaps, "exec rules: execve(2) of any file the profile allows (the supervisor cannot check what the kernel executes)")
	}
	if len(gaps) > 0 && !req.BestEffort {
		return fmt.Errorf("without Landlock (%s) sysfence cannot enforce: %s; use --best-effort to run anyway", why, strings.Join(gaps, "; "))
	}
	for _, g := range gaps {
		pp.Unenforced = append(pp.Unenforced, "supervisor: UNENFORCED "+g)
	}
	plan, err := landlock.NewPlan(landlock.Rules{Read: r.Read, Exec: r.Exec}, landlock.MaxABI, landlock.Options{})
	if err != nil {
		return err
	}
	plan.Limits = nil
	pp.Supervised = plan
	pp.SupervisedExec = userExec
	for _, p := range plan.Paths {
		pp.Lines = append(pp.Lines, fmt.Sprintf("supervisor: allow %v on %s (%s)", p.Access, p.Path, strings.Join(p.From, "; ")))
	}
	pp.Lines = append(pp.Lines, "supervisor: open, openat and openat2 are performed by sysfence (read-only) and the file descriptor handed over; "+
		"calls that create, remove, rename, link or truncate files fail with EACCES, mount, chroot, ptrace, process_vm_readv/writev "+
		"and pidfd_getfd with EPERM, io_uring with ENOSYS")
	if !userExec {
		pp.Lines = append(pp.Lines, "supervisor: execve after CMD's own fails with EACCES (give --allow-exec and --best-effort to leave it to the profile)")
	}
	pp.Summary = fmt.Sprintf("%s: the supervisor enforces %s%s", why, count(nUser, "path rule"), note)
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

// TruncationBySeccomp reports whether sandbox enforces the "no
// truncation" part of a plan with the seccomp filter rather than with
// Landlock's TRUNCATE right: when the plan has path rules and none of
// them grants writing, so that no file may be truncated at all. The
// filter then refuses truncate(2), opens with O_TRUNC, openat2 (whose
// flags seccomp cannot see; ENOSYS, so callers fall back to openat) and
// io_uring (ENOSYS), and the ruleset leaves TRUNCATE unhandled. The
// answer is the same as Landlock's (EACCES), the cost is not: asking for
// TRUNCATE on every open makes the kernel walk from the file up to /
// when no rule grants it. It also closes the truncation gap of kernels
// below Landlock ABI 3, which have no TRUNCATE right.
func TruncationBySeccomp(p *landlock.Plan) bool {
	if p.Empty() || p.HandledFS == 0 {
		return false
	}
	for _, pr := range p.Paths {
		if pr.Access&(llsys.AccessFSWriteFile|llsys.AccessFSTruncate) != 0 {
			return false
		}
	}
	return true
}

// refuseTruncation applies TruncationBySeccomp to plan, once, wherever the
// plan comes from: the filter refuses every truncation (see the added
// rules), so the ruleset need not handle TRUNCATE (opens stop paying for
// the walk up to / that asking for it costs), and what Landlock below ABI
// 3 cannot do about truncation is no longer unenforced. It reports
// whether the filter must refuse truncation.
func refuseTruncation(plan *landlock.Plan) bool {
	if !TruncationBySeccomp(plan) {
		return false
	}
	plan.HandledFS &^= llsys.AccessFSTruncate
	var gaps []landlock.Gap
	for _, g := range plan.Unenforced {
		if g.ABI != 3 {
			gaps = append(gaps, g)
		}
	}
	plan.Unenforced = gaps
	return true
}
