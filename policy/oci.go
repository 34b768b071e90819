package policy

import (
	"errors"
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/syscalls"
)

// Options tune FromOCI.
type Options struct {
	// Strict turns a syscall name that does not exist on one of the
	// filter's ABIs into an error instead of a Warning (runc skips it).
	Strict bool
	// ENOSYS enables runc's ENOSYS rule in the resulting Policy.
	ENOSYS bool
}

// Warning is something FromOCI skipped, as runc skips it silently.
type Warning struct {
	Entry int    // index in the OCI config's syscalls list
	Name  string // the syscall name as written
	Arch  string // libseccomp name of the ABI, e.g. "x86"
	Msg   string
}

func (w Warning) String() string {
	return fmt.Sprintf("syscalls[%d]: %s", w.Entry, w.Msg)
}

// Errors of FromOCI. Every error it returns is an *OCIError, which matches
// ErrInvalidOCI and the specific sentinel below with errors.Is.
var (
	ErrInvalidOCI      = errors.New("invalid OCI seccomp config")
	ErrUnknownOperator = errors.New("unknown operator")
	ErrArgIndex        = errors.New("argument index out of range (a syscall has 6 arguments, 0 to 5)")
	ErrErrnoRange      = errors.New("return value out of range")
	ErrNotify          = errors.New("SCMP_ACT_NOTIFY not allowed here")
	ErrUnknownSyscall  = errors.New("unknown syscall")
	ErrEmpty           = errors.New("missing value")
)

// OCIError is a problem at one place of an OCI seccomp config; Path is a
// JSON path relative to the LinuxSeccomp object, e.g. "syscalls[3].args[0].op".
type OCIError struct {
	Path string
	Err  error
}

func (e *OCIError) Error() string { return e.Path + ": " + e.Err.Error() }

// Unwrap exposes both the specific cause and ErrInvalidOCI.
func (e *OCIError) Unwrap() []error { return []error{e.Err, ErrInvalidOCI} }

func ociErr(path string, err error) error { return &OCIError{Path: path, Err: err} }

// Largest data the kernel honours: ERRNO is capped at MAX_ERRNO, TRACE
// carries the 16-bit SECCOMP_RET_DATA.
const (
	maxErrno      = 4095
	maxTraceData  = 0xffff
	defaultErrnoR = 1 // EPERM: runc's errno for ERRNO and TRACE without errnoRet
)

// ociAction converts an OCI action name and its errnoRet as runc does:
// SCMP_ACT_KILL is KILL_THREAD, ERRNO and TRACE default to EPERM (TRACE's
// EPERM is a runc quirk: the value becomes the tracer's message).
func ociAction(name specs.LinuxSeccompAction, errnoRet *uint, path, retPath string) (Action, error) {
	ret := uint(defaultErrnoR)
	if errnoRet != nil {
		ret = *errnoRet
	}
	switch name {
	case specs.ActKill, specs.ActKillThread:
		return ActKillThread, nil
	case specs.ActKillProcess:
		return ActKillProcess, nil
	case specs.ActTrap:
		return ActTrap, nil
	case specs.ActErrno:
		if ret > maxErrno {
			return 0, ociErr(retPath, fmt.Errorf("%w: errno %d is above the kernel's maximum %d", ErrErrnoRange, ret, maxErrno))
		}
		return Errno(uint16(ret)), nil
	case specs.ActTrace:
		if ret > maxTraceData {
			return 0, ociErr(retPath, fmt.Errorf("%w: trace message %d does not fit in 16 bits", ErrErrnoRange, ret))
		}
		return Trace(uint16(ret)), nil
	case specs.ActLog:
		return ActLog, nil
	case specs.ActAllow:
		return ActAllow, nil
	case specs.ActNotify:
		return ActUserNotif, nil
	case "":
		return 0, ociErr(path, fmt.Errorf("%w: no action given", ErrEmpty))
	}
	return 0, ociErr(path, fmt.Errorf("%w %q", ErrUnknownAction, string(name)))
}

var ociOps = map[specs.LinuxSeccompOperator]Op{
	specs.OpEqualTo: OpEq, specs.OpNotEqual: OpNe, specs.OpLessThan: OpLt, specs.OpLessEqual: OpLe,
	specs.OpGreaterThan: OpGt, specs.OpGreaterEqual: OpGe, specs.OpMaskedEqual: OpMaskedEq,
}

// ociArch finds an architecture by its OCI name (SCMP_ARCH_*), exactly as
// runc spells it.
func ociArch(name specs.Arch) (*syscalls.Arch, bool) {
	for _, a := range syscalls.Arches() {
		if a.OCI == string(name) {
			return a, true
		}
	}
	return nil, false
}

// isMuxName reports whether libseccomp treats name as a socketcall(2) or
// ipc(2) call on ABIs that multiplex them, whether or not a direct syscall
// exists as well.
func isMuxName(name string) bool {
	_, s := syscalls.MuxCalls("socketcall")[name]
	_, i := syscalls.MuxCalls("ipc")[name]
	return s || i
}

// FromOCI turns a resolved OCI seccomp config (what runc receives) into
// the per-ABI rule set that runc + libseccomp would build from it:
//
//   - ABIs: native first (runc and libseccomp always include it), then
//     oci.Architectures in order, duplicates dropped.
//   - Actions as runc converts them (SCMP_ACT_KILL = KILL_THREAD; ERRNO
//     and TRACE without errnoRet carry EPERM); BadArch is libseccomp's
//     default, KILL_THREAD, which runc keeps.
//   - An entry whose action (with its errno) equals the default action is
//     skipped, as runc skips it. Within an entry, if an argument index is
//     named twice, every condition becomes a rule of its own (OR);
//     otherwise one rule holds all conditions (AND). Rules are added in
//     profile order, name by name.
//   - On ABIs where libseccomp multiplexes socket and SysV IPC calls
//     (x86, s390, s390x, ppc, ppc64, MIPS o32, ...), such a name yields
//     first a rule on socketcall(2)/ipc(2) whose argument-0 condition is
//     replaced by "arg0 == call number" (libseccomp drops any argument-0
//     condition of the profile there), then a rule on the direct syscall
//     if the ABI has one.
//   - A name that does not exist on an ABI is skipped there with a Warning
//     (an error with opts.Strict).
//   - MaxNr per ABI is runc's findLastSyscalls: the highest number any name
//     of the config resolves to on that ABI through libseccomp, counting
//     entries skipped for equalling the default action, but not socket and
//     IPC names on multiplexing ABIs (libseccomp resolves those to pseudo
//     numbers there).
//
// FromOCI refuses what runc or libseccomp would refuse, and a little more
// (it checks every entry, where runc checks only the entries it adds):
// unknown actions, operators and architectures, an argument index above
// 5, SCMP_ACT_NOTIFY as the default action or on write, errno values above
// 4095, empty syscall names.
func FromOCI(oci *specs.LinuxSeccomp, native *syscalls.Arch, opts Options) (*Policy, []Warning, error) {
	if oci == nil {
		return nil, nil, ociErr("$", fmt.Errorf("%w: no seccomp config", ErrEmpty))
	}
	if native == nil {
		return nil, nil, ociErr("$", fmt.Errorf("%w: no native architecture", ErrEmpty))
	}
	if oci.DefaultAction == "" {
		return nil, nil, ociErr("defaultAction", fmt.Errorf("%w: no default action (runc would disable seccomp only if syscalls were empty too)", ErrEmpty))
	}
	def, err := ociAction(oci.DefaultAction, oci.DefaultErrnoRet, "defaultAction", "defaultErrnoRet")
	if err != nil {
		return nil, nil, err
	}
	if def == ActUserNotif {
		return nil, nil, ociErr("defaultAction", fmt.Errorf("%w: runc refuses it as the default action", ErrNotify))
	}
	p := &Policy{DefaultAction: def, BadArch: ActKillThread, ENOSYS: opts.ENOSYS}
	seen := map[*syscalls.Arch]bool{native: true}
	p.Arches = append(p.Arches, &ArchPolicy{Arch: native})
	for i, name := range oci.Architectures {
		a, ok := ociArch(name)
		if !ok {
			return nil, nil, ociErr(fmt.Sprintf("architectures[%d]", i), fmt.Errorf("%w %q", syscalls.ErrUnknownArch, string(name)))
		}
		if !seen[a] {
			seen[a] = true
			p.Arches = append(p.Arches, &ArchPolicy{Arch: a})
		}
	}

	// Validate everything first, so that no error depends on rule order.
	type entry struct {
		act   Action
		conds []Cond
		split bool // an argument index repeats: one rule per condition
	}
	entries := make([]entry, len(oci.Syscalls))
	for i, sc := range oci.Syscalls {
		path := fmt.Sprintf("syscalls[%d]", i)
		act, err := ociAction(sc.Action, sc.ErrnoRet, path+".action", path+".errnoRet")
		if err != nil {
			return nil, nil, err
		}
		for j, n := range sc.Names {
			if n == "" {
				return nil, nil, ociErr(fmt.Sprintf("%s.names[%d]", path, j), fmt.Errorf("%w: empty syscall name", ErrEmpty))
			}
			if act == ActUserNotif && n == "write" {
				return nil, nil, ociErr(fmt.Sprintf("%s.names[%d]", path, j), fmt.Errorf("%w: runc refuses it on write (it needs write to hand over the notification fd)", ErrNotify))
			}
		}
		var count [6]int
		e := entry{act: act}
		for k, arg := range sc.Args {
			apath := fmt.Sprintf("%s.args[%d]", path, k)
			if arg.Index > 5 {
				return nil, nil, ociErr(apath+".index", fmt.Errorf("%w: %d", ErrArgIndex, arg.Index))
			}
			op, ok := ociOps[arg.Op]
			if !ok {
				return nil, nil, ociErr(apath+".op", fmt.Errorf("%w %q", ErrUnknownOperator, string(arg.Op)))
			}
			c := Cond{Arg: uint8(arg.Index), Op: op, Value: arg.Value}
			if op == OpMaskedEq {
				c.Mask, c.Value = arg.Value, arg.ValueTwo
			}
			e.conds = append(e.conds, c)
			count[arg.Index]++
			if count[arg.Index] > 1 {
				e.split = true
			}
		}
		entries[i] = e
	}

	var warns []Warning
	// Entries outer, ABIs inner: warnings and the strict error come in
	// profile order; each ABI's rules are in profile order either way.
	for i, sc := range oci.Syscalls {
		e := entries[i]
		for _, name := range sc.Names {
			for _, ap := range p.Arches {
				a := ap.Arch
				nr, direct := a.Number(name)
				if direct && !(a.Multiplexed && isMuxName(name)) && nr > ap.MaxNr {
					ap.MaxNr = nr
				}
				if e.act == def {
					continue // runc skips it before resolving the name
				}
				mux, muxed := a.Mux(name)
				if !direct && !muxed {
					msg := fmt.Sprintf("syscall %q does not exist on %s; skipped as runc does", name, a.Name)
					if !syscalls.Known(name) {
						msg = fmt.Sprintf("unknown syscall %q skipped on %s as runc does", name, a.Name)
					}
					if opts.Strict {
						return nil, nil, ociErr(fmt.Sprintf("syscalls[%d]", i), fmt.Errorf("%w %q on %s", ErrUnknownSyscall, name, a.Name))
					}
					warns = append(warns, Warning{Entry: i, Name: name, Arch: a.Name, Msg: msg})
					continue
				}
				for _, conds := range condSets(e.conds, e.split) {
					origin := Origin{Entry: i, Name: name}
					if muxed {
						mo := origin
						mo.Mux = mux.Name
						ap.Rules = append(ap.Rules, Rule{Nr: mux.Nr, Action: e.act, Conds: muxConds(conds, mux.Call), Origin: mo})
					}
					if direct {
						ap.Rules = append(ap.Rules, Rule{Nr: nr, Action: e.act, Conds: slices.Clone(conds), Origin: origin})
					}
				}
			}
		}
	}
	return p, warns, nil
}

// condSets applies runc's rule: all conditions in one rule, or, when an
// argument index repeats, one rule per condition. No conditions: one
// unconditional rule.
func condSets(conds []Cond, split bool) [][]Cond {
	if !split {
		return [][]Cond{conds}
	}
	out := make([][]Cond, len(conds))
	for i := range conds {
		out[i] = conds[i : i+1 : i+1]
	}
	return out
}

// muxConds is libseccomp's rewrite for a multiplexed call: argument 0 of
// socketcall/ipc selects the call, and any condition the profile had on
// argument 0 is dropped.
func muxConds(conds []Cond, call uint32) []Cond {
	out := []Cond{{Arg: 0, Op: OpEq, Value: uint64(call)}}
	for _, c := range conds {
		if c.Arg != 0 {
			out = append(out, c)
		}
	}
	return out
}
