package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/internal/cli"
	cobra "github.com/sysfence/sysfence/internal/cmdline"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

func newCheckCmd() *cobra.Command {
	var pf profileFlags
	var asJSON, trace bool
	var expect string
	c := &cobra.Command{
		Use:   "check PROFILE|NAME|FILE.bpf SYSCALL [ARG0 ... ARG5] [--arch A] [--json]",
		Short: "Show what a profile or filter answers for one syscall",
		Long: `Run one syscall through a profile (compiled as 'sysfence compile' would) or a
raw filter file (*.bpf) and print the answer. The first line is the action in
scmp_bpf_sim's words: ALLOW, ERRNO(n), KILL, KILL_PROCESS, TRAP, TRACE(n), LOG
or USER_NOTIF. For a profile, the next line names the entry (with its file
position) or default that decided, then the number of BPF instructions the
filter executed; --trace lists them.

SYSCALL is a name or a number of the target architecture (--arch). Arguments
are decimal, 0x hex, 0 octal, or negative (two's complement, -1 is
0xffffffffffffffff); missing ones are 0. On ABIs that reach socket and IPC
calls through socketcall(2)/ipc(2) (e.g. x86), a name that exists only there
is checked as the multiplexer with its call number.

The exit status is 0 whatever the action; with --expect ACTION it is 1 when
the action differs, so scripts can assert a profile's decisions. A bare
ERRNO or TRACE matches any errno or trace value; ERRNO(n) takes a number or
a name such as EPERM.

Flags go before "--": everything after it is SYSCALL and its arguments
(needed for negative arguments).`,
		Example: `  sysfence check docker-default personality 0xffffffff
  sysfence check docker-default socket 40           # AF_VSOCK: ERRNO(1)
  sysfence check profile.json mount --expect ERRNO  # exit 1 unless denied
  sysfence check docker-default mount --expect 'ERRNO(EPERM)'
  sysfence check --arch x86 docker-default accept   # socketcall(5) on i386
  sysfence check --json filter.bpf openat -- -100 0 0  # flags before --`,
		Args: argsBetween(2, 8),
		RunE: func(cmd *cobra.Command, args []string) error {
			var want expectation
			if expect != "" {
				w, err := parseExpect(expect)
				if err != nil {
					return cli.Usage(err)
				}
				want = w
			}
			var vals [6]uint64
			for i, s := range args[2:] {
				v, err := parseArg(s)
				if err != nil {
					return cli.Usagef("argument %d: %v", i, err)
				}
				vals[i] = v
			}
			in, err := loadFilterInput(cmd.InOrStdin(), cmd.ErrOrStderr(), args[0], &pf, nil)
			if err != nil {
				return err
			}
			prog, arch, res := in.prog, in.arch, in.res
			call, err := checkSyscall(arch, args[1], &vals)
			if err != nil {
				return cli.Usage(err)
			}
			d := bpf.Data{Nr: call.nr, Arch: arch.AuditArch, Args: vals}
			run, err := bpf.Run(prog, &d, arch.BigEndian, trace)
			if err != nil {
				return cli.Usagef("the filter fails at run time: %v", err)
			}
			got := policy.Action(run.Ret)
			out := struct {
				Action       string             `json:"action"`
				Ret          uint32             `json:"ret"`
				Arch         string             `json:"arch"`
				Syscall      string             `json:"syscall"`
				Nr           uint32             `json:"nr"`
				Args         [6]string          `json:"args"`
				Via          string             `json:"via,omitempty"`
				DecidedBy    *build.Explanation `json:"decidedBy,omitempty"`
				Instructions int                `json:"instructions"`
				Cached       bool               `json:"cached"`
				Trace        []int              `json:"trace,omitempty"`
			}{Action: got.String(), Ret: run.Ret, Arch: arch.Name, Syscall: call.name, Nr: call.nr, Via: call.via, Instructions: run.Steps, Trace: run.Trace}
			for i, v := range vals {
				out.Args[i] = fmt.Sprintf("%#x", v)
			}
			out.Cached = kernelCaches(prog, arch, call.nr)
			if res != nil {
				dec := res.Policy.Decide(arch.AuditArch, call.nr, &vals)
				if dec.Action != got {
					// The compiler is tested never to do this; say so loudly.
					return fmt.Errorf("internal error: the compiled filter answers %s but the policy says %s for %s; please report this", got, dec.Action, call.name)
				}
				e := res.Explain(dec)
				out.DecidedBy = &e
			}
			w := cmd.OutOrStdout()
			if asJSON {
				if err := cli.WriteJSON(w, out); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(w, out.Action)
				if call.via != "" {
					fmt.Fprintf(w, "checked as %s\n", call.via)
				}
				if out.DecidedBy != nil {
					fmt.Fprintf(w, "decided by %s\n", out.DecidedBy.Text)
				}
				fmt.Fprintf(w, "%d instructions executed\n", run.Steps)
				if out.Cached {
					fmt.Fprintln(w, "served by the kernel's action cache: the filter does not run for this syscall (Linux >= 5.11)")
				}
				if trace {
					l := bpf.Disassemble(prog, bpf.Options{Arch: arch})
					for _, pc := range run.Trace {
						ln := l.Lines[pc]
						fmt.Fprintf(w, " %04d: 0x%02x 0x%02x 0x%02x 0x%08x  %s\n", ln.PC, ln.Code, ln.Jt, ln.Jf, ln.K, ln.Text)
					}
				}
			}
			if expect != "" && !want.matches(got) {
				return cli.Failed(fmt.Errorf("%s(%s) is %s, expected %s", call.name, argList(vals), got, want))
			}
			return nil
		},
	}
	pf.register(c.Flags())
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().BoolVar(&trace, "trace", false, "list the instructions executed")
	c.Flags().StringVar(&expect, "expect", "", "exit 1 unless the action is this one (e.g. ALLOW, ERRNO(1), ERRNO(EPERM), KILL_PROCESS); a bare ERRNO or TRACE matches any errno or trace value")
	return c
}

// kernelCaches reports whether a kernel running arch natively would put nr
// in its always-allow bitmap, skipping the filter for it.
func kernelCaches(p bpf.Program, arch *syscalls.Arch, nr uint32) bool {
	for _, abi := range bpf.CacheABIs(arch) {
		if abi.Arch == arch && abi.Bitmap {
			return bpf.CacheCheck(p, arch.AuditArch, nr).Cached
		}
	}
	return false
}

type checkedCall struct {
	name string
	nr   uint32
	via  string // "socketcall(5)" when reached through a multiplexer
}

// checkSyscall resolves the SYSCALL argument on an ABI.
func checkSyscall(a *syscalls.Arch, s string, args *[6]uint64) (checkedCall, error) {
	if n, err := strconv.ParseUint(s, 0, 32); err == nil {
		nr := uint32(n)
		name, ok := a.SyscallName(nr)
		if !ok && a.IsX32() {
			if name, ok = a.SyscallName(nr | syscalls.X32SyscallBit); ok {
				nr |= syscalls.X32SyscallBit
			}
		}
		if !ok {
			name = "#" + strconv.FormatUint(n, 10)
		}
		return checkedCall{name: name, nr: nr}, nil
	}
	if nr, ok := a.Number(s); ok {
		return checkedCall{name: s, nr: nr}, nil
	}
	if m, ok := a.Mux(s); ok {
		// The kernel sees the multiplexer with the call number first; the
		// call's own arguments sit behind a pointer seccomp cannot read.
		copy(args[1:], args[:5])
		args[0] = uint64(m.Call)
		return checkedCall{name: s, nr: m.Nr, via: fmt.Sprintf("%s(%d) on %s", m.Name, m.Call, a.Name)}, nil
	}
	_, err := a.Lookup(s)
	return checkedCall{}, err
}

// parseArg reads a syscall argument: unsigned or negative, any base.
func parseArg(s string) (uint64, error) {
	var v uint64
	var err error
	if strings.HasPrefix(s, "-") {
		var n int64
		n, err = strconv.ParseInt(s, 0, 64)
		v = uint64(n)
	} else {
		v, err = strconv.ParseUint(s, 0, 64)
	}
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%s is out of range: arguments are 64-bit, from -0x8000000000000000 to 0xffffffffffffffff (unsigned)", s)
	case err != nil:
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

// expectation is check's --expect: an action, or with anyData a kind of
// action (ERRNO, TRACE) whatever its errno or trace value.
type expectation struct {
	action  policy.Action
	anyData bool
}

func (e expectation) matches(a policy.Action) bool {
	if e.anyData {
		return a.Kind() == e.action.Kind()
	}
	return a == e.action
}

func (e expectation) String() string {
	if !e.anyData {
		return e.action.String()
	}
	if e.action.Kind() == policy.ActErrno {
		return "ERRNO (any errno)"
	}
	return "TRACE (any value)"
}

// expectWords are the actions --expect takes, for suggestions.
var expectWords = []string{"ALLOW", "ERRNO", "KILL", "KILL_PROCESS", "KILL_THREAD", "TRAP", "TRACE", "LOG", "USER_NOTIF"}

// parseExpect reads --expect. policy.ParseAction reads a bare ERRNO as
// ERRNO(0) (what a profile means by it); here it means any errno. The
// ERRNO(n)/TRACE(n) data is parsed here so a bad value gets a sentence
// that names it, and ERRNO takes errno names too.
func parseExpect(s string) (expectation, error) {
	t := strings.TrimSpace(s)
	if p := "SCMP_ACT_"; len(t) > len(p) && strings.EqualFold(t[:len(p)], p) {
		t = t[len(p):]
	}
	for _, kind := range []policy.Action{policy.ActErrno, policy.ActTrace} {
		word := "TRACE"
		if kind == policy.ActErrno {
			word = "ERRNO"
		}
		if strings.EqualFold(t, word) {
			return expectation{action: kind, anyData: true}, nil
		}
		if len(t) <= len(word) || !strings.EqualFold(t[:len(word)+1], word+"(") {
			continue
		}
		inner, ok := strings.CutSuffix(t[len(word)+1:], ")")
		inner = strings.TrimSpace(inner)
		if !ok || inner == "" {
			return expectation{}, fmt.Errorf("--expect: %w %q: write %s(N) with a number N, or a bare %s for any value", policy.ErrUnknownAction, s, word, word)
		}
		if kind == policy.ActErrno {
			if n, ok := profile.ErrnoNumber(strings.ToUpper(inner)); ok {
				return expectation{action: policy.Errno(uint16(n))}, nil
			}
		}
		n, err := strconv.ParseUint(inner, 0, 16)
		switch {
		case err == nil:
			return expectation{action: kind | policy.Action(n)}, nil
		case errors.Is(err, strconv.ErrRange):
			return expectation{}, fmt.Errorf("--expect: %s: %s is out of range: the value is 16-bit (at most 65535)", s, inner)
		case kind == policy.ActErrno:
			if sug := syscalls.Closest(strings.ToUpper(inner), profile.ErrnoNames()); sug != "" {
				return expectation{}, fmt.Errorf("--expect: %s: %q is neither a number nor an errno name (did you mean %s?)", s, inner, sug)
			}
			return expectation{}, fmt.Errorf("--expect: %s: %q is neither a number nor an errno name such as EPERM", s, inner)
		default:
			return expectation{}, fmt.Errorf("--expect: %s: %q is not a number", s, inner)
		}
	}
	a, err := policy.ParseAction(s)
	if err != nil {
		if sug := syscalls.Closest(t, expectWords); sug != "" {
			return expectation{}, fmt.Errorf("--expect: %w %q (did you mean %s?)", policy.ErrUnknownAction, s, sug)
		}
		return expectation{}, fmt.Errorf("--expect: %w %q (one of ALLOW, ERRNO, ERRNO(N), KILL, KILL_PROCESS, TRAP, TRACE, TRACE(N), LOG, USER_NOTIF)", policy.ErrUnknownAction, s)
	}
	return expectation{action: a}, nil
}

func argList(v [6]uint64) string {
	last := 5
	for last >= 0 && v[last] == 0 {
		last--
	}
	parts := make([]string, last+1)
	for i := range parts {
		parts[i] = fmt.Sprintf("%#x", v[i])
	}
	return strings.Join(parts, ", ")
}
