package sandbox

import (
	"fmt"

	"github.com/sysfence/sysfence/landlock"
)

// isolation is the plan for keeping the command from processes outside
// its sandbox: the caller's Landlock plan (or none) made isolating, and
// whether the filter has to stand in for Landlock (fallback).
type isolation struct {
	plan     *landlock.Plan // nil: no Landlock domain (fallback)
	fallback bool
}

// planIsolation decides how the command is isolated. Every domain scopes
// ptrace-mode access (landlock.Plan.Isolate), so the caller's plan with
// its path and port rules is the domain when there is one; otherwise a
// domain of its own is made. Without Landlock the run is refused unless
// opts.Isolation.BestEffort.
func planIsolation(opts *Options, kernelABI int) (*isolation, error) {
	var plan landlock.Plan
	if opts.Landlock != nil {
		plan = *opts.Landlock
		plan.Limits = append([]landlock.Gap(nil), plan.Limits...)
		plan.Unenforced = append([]landlock.Gap(nil), plan.Unenforced...)
	} else {
		plan.ABI = kernelABI
	}
	if plan.ABI == 0 && kernelABI > 0 {
		// A plan made without Landlock (best effort): its rules are
		// unenforced, but the domain can still isolate.
		plan.ABI = kernelABI
	}
	plan.Isolate(landlock.DefaultScopes &^ opts.Isolation.AllowOutside)
	if plan.Isolated {
		return &isolation{plan: &plan}, nil
	}
	if opts.Strict {
		return &isolation{}, nil // read, write, _exit, rt_sigreturn: nothing reaches another process
	}
	if !opts.Isolation.BestEffort {
		return nil, fmt.Errorf("sandbox: %s: isolating the command from other processes needs Landlock (Linux 5.13 with landlock in the lsm= kernel parameter): %w", IsolationGaps()[0], ErrNotSupported)
	}
	return &isolation{fallback: true}, nil
}

// IsolationGaps says, in one sentence each, what this kernel leaves open
// of a command's isolation from the processes outside its sandbox
// (nothing where it has Landlock; see Isolation.BestEffort).
func IsolationGaps() []string {
	abi, err := landlock.KernelABI()
	if abi > 0 {
		return nil
	}
	why := "no Landlock"
	if err != nil {
		why += " (" + err.Error() + ")"
	}
	return []string{why + ": the command can still open /proc/PID/mem of other processes of its user (of any process, as root); " +
		"the filter refuses ptrace, process_vm_readv/writev and pidfd_getfd to its whole process tree instead"}
}
