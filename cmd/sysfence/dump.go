package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	cobra "github.com/sysfence/sysfence/internal/cmdline"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/atomicfile"
	"github.com/sysfence/sysfence/internal/cli"
	"github.com/sysfence/sysfence/internal/filterdump"
	"github.com/sysfence/sysfence/lift"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

func newDumpCmd() *cobra.Command {
	var all, asJSON bool
	var thread, index int
	var format, output string
	c := &cobra.Command{
		Use:   "dump PID|--all [--thread TID] [--format disasm|raw|profile|json] [--filter N] [-o FILE]",
		Short: "Show the seccomp filters a running process is under",
		Long: `Read the seccomp filters a running process is under, for every thread, from
the kernel (PTRACE_SECCOMP_GET_FILTER: run as root; each thread is stopped
for a moment, as a debugger's attach stops it, and let go at once). Threads
under the same stack of filters are grouped; threads under different stacks
are reported on stderr (a filter loaded on one thread without TSYNC).

Formats:
  disasm   every filter of the stack as a listing (the default)
  raw      one filter as a struct sock_filter array (--filter N when the
           stack has several; not written to a terminal)
  profile  what the stack decides, lifted back exactly: a Docker profile
           where Docker's format can say it (checked by building it as
           runc would and comparing every input), else sysfence's policy
           listing, else the exact per-ABI table, each with a note on
           stderr saying what the format could not hold
  json     threads, stacks, filters and the profile's lifted policy

--all lists every process of the machine that has a filter, grouped by
identical filter stack, with its command line and cgroup (a container's
processes share a stack and a cgroup path); --json for the same as JSON.

A process without a filter, a process another process traces (the kernel
hands filters only to the tracer: a command under 'sysfence run' in
reporting mode is traced by sysfence), or one that does not exist is an
error naming its Seccomp: mode, the tracer or the reason.`,
		Example: `  sysfence dump 4242
  sysfence dump 4242 --format profile -o container.json
  sysfence dump 4242 --thread 4250 --format raw --filter 2 -o second.bpf
  sysfence dump --all
  sysfence dump --all --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if all {
				return argsBetween(0, 0)(cmd, args)
			}
			return argsBetween(1, 1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON {
				if cmd.Flags().Changed("format") && format != "json" {
					return cli.Usagef("--json and --format %s cannot be combined", format)
				}
				format = "json"
			}
			switch format {
			case "disasm", "raw", "profile", "json":
			default:
				return cli.Usagef("--format: unknown format %q (disasm, raw, profile or json)", format)
			}
			if output == "-" {
				output = ""
			}
			if err := checkOutput("-o", output); err != nil {
				return err
			}
			if all {
				if thread != 0 || index != 0 || format == "raw" || format == "profile" {
					return cli.Usagef("--all lists processes: --thread, --filter and --format raw|profile need a PID")
				}
				return dumpAll(cmd, format == "json", output)
			}
			pid, err := strconv.Atoi(args[0])
			if err != nil || pid <= 0 {
				return cli.Usagef("%q is not a process id", args[0])
			}
			if format == "raw" && output == "" && cli.IsTerminal(os.Stdout) && cmd.OutOrStdout() == os.Stdout {
				return cli.Usagef("refusing to write a binary filter to a terminal: give -o FILE or --format disasm")
			}
			var tids []int
			if thread != 0 {
				tids = []int{thread}
			}
			p, err := filterdump.Read(pid, tids...)
			if err != nil {
				return cli.Usage(err)
			}
			for _, f := range p.Findings() {
				fmt.Fprintf(cmd.ErrOrStderr(), "sysfence: finding: %s\n", f)
			}
			var buf bytes.Buffer
			if err := dumpProcess(&buf, cmd.ErrOrStderr(), p, format, index); err != nil {
				return err
			}
			if output == "" {
				_, err = cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			return atomicfile.WriteFile(output, buf.Bytes(), 0o644)
		},
	}
	c.Flags().BoolVar(&all, "all", false, "list every process with a filter, grouped by filter stack")
	c.Flags().IntVar(&thread, "thread", 0, "read this thread of the process only")
	c.Flags().StringVar(&format, "format", "disasm", "output format: disasm, raw, profile or json")
	c.Flags().BoolVar(&asJSON, "json", false, "same as --format json")
	c.Flags().IntVar(&index, "filter", 0, "the filter of the stack to write, 1 for the first installed (raw and disasm)")
	c.Flags().StringVarP(&output, "output", "o", "", "write to FILE (atomically; - for stdout) instead of stdout")
	return c
}

// machineArch is the ABI whose byte order and names a dumped filter has.
func machineArch() (*syscalls.Arch, error) {
	a, err := syscalls.Native()
	if err != nil {
		return nil, cli.Usage(err)
	}
	return a, nil
}

func dumpProcess(w io.Writer, stderr io.Writer, p *filterdump.Process, format string, index int) error {
	native, err := machineArch()
	if err != nil {
		return err
	}
	main := p.Main()
	if len(main.Filters) == 0 {
		return cli.Usagef("process %d (%s): %s has %s", p.PID, p.Name, filterdump.ThreadList(main.TIDs), main.Summary())
	}
	if len(p.Stacks) > 1 && format != "json" && format != "disasm" {
		fmt.Fprintf(stderr, "sysfence: note: writing the stack of %s (--thread TID for another)\n", filterdump.ThreadList(main.TIDs))
	}
	if index < 0 || index > len(main.Filters) {
		return cli.Usagef("--filter %d: the stack has %d filters (1 is the first installed)", index, len(main.Filters))
	}
	switch format {
	case "raw":
		if index == 0 && len(main.Filters) > 1 {
			return cli.Usagef("the stack has %d filters and a raw file holds one: pick it with --filter 1..%d (1 is the first installed)", len(main.Filters), len(main.Filters))
		}
		if index == 0 {
			index = 1
		}
		return bpf.Format(w, main.Filters[index-1].Program, "raw", bpf.Options{Arch: native})
	case "disasm":
		for si, s := range p.Stacks {
			if si > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "# process %d (%s), %s: %s\n", p.PID, p.Name, filterdump.ThreadList(s.TIDs), s.Summary())
			for i, f := range s.Filters {
				if index != 0 && i != index-1 {
					continue
				}
				fmt.Fprintf(w, "# filter %d of %d", i+1, len(s.Filters))
				switch {
				case i == 0 && len(s.Filters) > 1:
					fmt.Fprint(w, " (installed first, runs last)")
				case i == len(s.Filters)-1 && len(s.Filters) > 1:
					fmt.Fprint(w, " (installed last, runs first)")
				}
				if f.Flags != 0 {
					fmt.Fprintf(w, ", flags %v", f.Flags)
				}
				fmt.Fprintf(w, ", %d instructions\n", len(f.Program))
				if _, err := io.WriteString(w, bpf.Disassemble(f.Program, bpf.Options{Arch: native}).String()); err != nil {
					return err
				}
			}
		}
		return nil
	case "profile":
		return writeLifted(w, stderr, main, native)
	}
	return cli.WriteJSON(w, processJSON(p, native))
}

// writeLifted writes what a stack decides in the most widely read format
// that holds it exactly: a Docker profile, sysfence's policy listing, or
// the table of every ABI and number run.
func writeLifted(w, stderr io.Writer, s *filterdump.Stack, native *syscalls.Arch) error {
	space := lift.NewSpace()
	f, err := space.Programs(s.Programs(), native.BigEndian)
	if err != nil {
		return cli.Usage(err)
	}
	note := func(format string, args ...any) {
		fmt.Fprintf(stderr, "sysfence: note: "+format+"\n", args...)
	}
	p, perr := f.Policy(native)
	if perr == nil {
		prof, notes, derr := f.Profile(p)
		if derr == nil {
			for _, n := range notes {
				note("%s", n)
			}
			data, err := profile.Marshal(prof, profile.WriteOptions{})
			if err != nil {
				return err
			}
			_, err = w.Write(data)
			return err
		}
		note("a Docker profile cannot hold what this filter decides, so here is sysfence's policy listing (exact): %s", notExpressible(derr))
		return lift.WritePolicy(w, p)
	}
	if !errors.Is(perr, lift.ErrNotExpressible) && !errors.Is(perr, bpf.ErrTooLong) {
		return perr
	}
	note("no policy (and no profile) can hold what this filter decides, so here is the decision itself, ABI by ABI (exact): %s", notExpressible(perr))
	t, err := f.Table(native)
	if err != nil {
		return err
	}
	return t.Write(w)
}

func notExpressible(err error) string {
	var ne *lift.NotExpressibleError
	if errors.As(err, &ne) {
		return strings.Join(ne.Reasons, "; ")
	}
	return err.Error()
}

// The JSON of a process.
type dumpJSON struct {
	PID      int         `json:"pid"`
	Name     string      `json:"name"`
	Command  string      `json:"command"`
	Cgroup   string      `json:"cgroup"`
	Stacks   []stackJSON `json:"stacks"`
	Findings []string    `json:"findings,omitempty"`
}

type stackJSON struct {
	ID      string       `json:"id"`
	Threads []int        `json:"threads"`
	Mode    int          `json:"seccomp_mode"`
	Summary string       `json:"summary"`
	Filters []filterJSON `json:"filters"`
	// Policy is the lifted policy listing (or the note why there is
	// none).
	Policy string `json:"policy,omitempty"`
	Note   string `json:"note,omitempty"`
}

type filterJSON struct {
	Index        int        `json:"index"`
	Flags        string     `json:"flags,omitempty"`
	Instructions int        `json:"instructions"`
	Program      []insnJSON `json:"program"`
}

// insnJSON is an instruction as `compile --format json` writes it.
type insnJSON struct {
	Code uint16 `json:"code"`
	Jt   uint8  `json:"jt"`
	Jf   uint8  `json:"jf"`
	K    uint32 `json:"k"`
}

func processJSON(p *filterdump.Process, native *syscalls.Arch) dumpJSON {
	d := dumpJSON{PID: p.PID, Name: p.Name, Command: p.Command, Cgroup: p.Cgroup, Findings: p.Findings()}
	for _, s := range p.Stacks {
		sj := stackJSON{ID: s.ID, Threads: s.TIDs, Mode: int(s.Mode), Summary: s.Summary(), Filters: []filterJSON{}}
		for i, f := range s.Filters {
			fj := filterJSON{Index: i + 1, Instructions: len(f.Program)}
			for _, ins := range f.Program {
				fj.Program = append(fj.Program, insnJSON{ins.Op, ins.Jt, ins.Jf, ins.K})
			}
			if f.Flags != 0 {
				fj.Flags = f.Flags.String()
			}
			sj.Filters = append(sj.Filters, fj)
		}
		if len(s.Filters) > 0 {
			var buf bytes.Buffer
			if f, err := lift.NewSpace().Programs(s.Programs(), native.BigEndian); err != nil {
				sj.Note = err.Error()
			} else if pol, err := f.Policy(native); err != nil {
				sj.Note = err.Error()
			} else if err := lift.WritePolicy(&buf, pol); err == nil {
				sj.Policy = buf.String()
			}
		}
		d.Stacks = append(d.Stacks, sj)
	}
	return d
}

// dumpAll lists every process with a filter, grouped by stack.
func dumpAll(cmd *cobra.Command, asJSON bool, output string) error {
	procs, unread, err := filterdump.All()
	if err != nil {
		return err
	}
	groups := filterdump.ByStack(procs)
	var buf bytes.Buffer
	if asJSON {
		type procJSON struct {
			PID      int      `json:"pid"`
			Name     string   `json:"name"`
			Command  string   `json:"command"`
			Cgroup   string   `json:"cgroup"`
			Threads  int      `json:"threads"`
			Findings []string `json:"findings,omitempty"`
		}
		type groupJSON struct {
			Stack     string     `json:"stack"`
			Summary   string     `json:"summary"`
			Processes []procJSON `json:"processes"`
		}
		type unreadJSON struct {
			PID     int    `json:"pid"`
			Name    string `json:"name"`
			Command string `json:"command"`
			Error   string `json:"error"`
		}
		out := struct {
			Groups []groupJSON  `json:"groups"`
			Unread []unreadJSON `json:"unread"`
		}{Groups: []groupJSON{}, Unread: []unreadJSON{}}
		for _, g := range groups {
			gj := groupJSON{Stack: g.Stack.ID, Summary: g.Stack.Summary()}
			for _, p := range g.Processes {
				gj.Processes = append(gj.Processes, procJSON{PID: p.PID, Name: p.Name, Command: p.Command, Cgroup: p.Cgroup, Threads: len(p.Threads), Findings: p.Findings()})
			}
			out.Groups = append(out.Groups, gj)
		}
		for _, u := range unread {
			out.Unread = append(out.Unread, unreadJSON{PID: u.PID, Name: u.Name, Command: u.Command, Error: u.Err.Error()})
		}
		if err := cli.WriteJSON(&buf, out); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
		for i, g := range groups {
			if i > 0 {
				fmt.Fprintln(tw)
			}
			n := len(g.Processes)
			plural := "es"
			if n == 1 {
				plural = ""
			}
			fmt.Fprintf(tw, "stack %s: %s, %d process%s\n", g.Stack.ID, g.Stack.Summary(), n, plural)
			fmt.Fprintln(tw, "  PID\tTHREADS\tCGROUP\tCOMMAND")
			for _, p := range g.Processes {
				threads := strconv.Itoa(len(p.Threads))
				if len(p.Stacks) > 1 {
					threads += " (differ)"
				}
				fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\n", p.PID, threads, p.Cgroup, commandOf(p.Command, p.Name))
			}
		}
		if len(unread) > 0 {
			if len(groups) > 0 {
				fmt.Fprintln(tw)
			}
			fmt.Fprintln(tw, "not read:")
			for _, u := range unread {
				fmt.Fprintf(tw, "  %d\t%s\t%v\n", u.PID, commandOf(u.Command, u.Name), u.Err)
			}
		}
		if len(groups) == 0 && len(unread) == 0 {
			fmt.Fprintln(tw, "no process has a seccomp filter")
		}
		tw.Flush()
		for _, p := range procs {
			for _, f := range p.Findings() {
				fmt.Fprintf(cmd.ErrOrStderr(), "sysfence: finding: %s\n", f)
			}
		}
	}
	if output == "" {
		_, err = cmd.OutOrStdout().Write(buf.Bytes())
		return err
	}
	return atomicfile.WriteFile(output, buf.Bytes(), 0o644)
}

func commandOf(cmdline, name string) string {
	if cmdline == "" {
		return "[" + name + "]"
	}
	if len(cmdline) > 120 {
		return cmdline[:117] + "..."
	}
	return cmdline
}
