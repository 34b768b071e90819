package policy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/syscalls"
)

// Options tune FromOCI.
type Options struct {
	// Strict turns a syscall name that none of the filter's ABIs has into
	// an error instead of Warnings (runc skips it): a typo, or a call of
	// another architecture. A name that exists on some of the ABIs only
	// (chown32 in an x86_64+x86+x32 filter, as in Docker's default) is
	// normal in multi-ABI profiles and stays a Warning per missing ABI.
	// For a single-ABI filter this means: unknown on that architecture.
	Strict bool
	// ENOSYS enables runc's ENOSYS rule in the resulting Policy.
	ENOSYS bool
}

// Warning is something FromOCI skipped, as runc skips it silently: a
// syscall name that does not exist on one of the filter's ABIs.
type Warning struct {
	Entry int    // index in the OCI config's syscalls list
	Name  string // the syscall name as written
	Arch  string // libseccomp name of the ABI, e.g. "x86"
	// Unknown is set when no ABI at all has the name (likely a typo or a
	// syscall newer than sysfence's tables).
	Unknown bool
}

// Msg says what was skipped. (Built on demand: warnings are common, e.g.
// Docker's default names ARM-only calls, and FromOCI is on the hot path.)
func (w Warning) Msg() string {
	if w.Unknown {
		return fmt.Sprintf("unknown syscall %q skipped on %s as runc does", w.Name, w.Arch)
	}
	return fmt.Sprintf("syscall %q does not exist on %s; skipped as runc does", w.Name, w.Arch)
}

func (w Warning) String() string {
	return fmt.Sprintf("syscalls[%d]: %s", w.Entry, w.Msg())
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
	// ErrByteOrder: an architecture whose byte order differs from the
	// native one. libseccomp's seccomp_arch_add returns -EDOM for it, so
	// runc cannot build the filter.
	ErrByteOrder = errors.New("libseccomp (and so runc) refuses to mix byte orders in one filter")
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
// EPERM is a runc quirk: the value becomes the tracer's message). On error
// it also says which field is wrong ("action" or "errnoRet"), so that the
// caller builds the JSON path only when it needs one.
func ociAction(name specs.LinuxSeccompAction, errnoRet *uint) (Action, string, error) {
	ret := uint(defaultErrnoR)
	if errnoRet != nil {
		ret = *errnoRet
	}
	switch name {
	case specs.ActKill, specs.ActKillThread:
		return ActKillThread, "", nil
	case specs.ActKillProcess:
		return ActKillProcess, "", nil
	case specs.ActTrap:
		return ActTrap, "", nil
	case specs.ActErrno:
		if ret > maxErrno {
			return 0, "errnoRet", fmt.Errorf("%w: errno %d is above the kernel's maximum %d", ErrErrnoRange, ret, maxErrno)
		}
		return Errno(uint16(ret)), "", nil
	case specs.ActTrace:
		if ret > maxTraceData {
			return 0, "errnoRet", fmt.Errorf("%w: trace message %d does not fit in 16 bits", ErrErrnoRange, ret)
		}
		return Trace(uint16(ret)), "", nil
	case specs.ActLog:
		return ActLog, "", nil
	case specs.ActAllow:
		return ActAllow, "", nil
	case specs.ActNotify:
		return ActUserNotif, "", nil
	case "":
		return 0, "action", fmt.Errorf("%w: no action given", ErrEmpty)
	}
	return 0, "action", fmt.Errorf("%w %q", ErrUnknownAction, string(name))
}

// ActionFromOCI converts an OCI action and its errnoRet as runc does
// (see FromOCI).
func ActionFromOCI(name specs.LinuxSeccompAction, errnoRet *uint) (Action, error) {
	a, _, err := ociAction(name, errnoRet)
	return a, err
}

// OpFromOCI returns the operator an OCI one names.
func OpFromOCI(op specs.LinuxSeccompOperator) (Op, bool) {
	switch op {
	case specs.OpEqualTo:
		return OpEq, true
	case specs.OpNotEqual:
		return OpNe, true
	case specs.OpLessThan:
		return OpLt, true
	case specs.OpLessEqual:
		return OpLe, true
	case specs.OpGreaterThan:
		return OpGt, true
	case specs.OpGreaterEqual:
		return OpGe, true
	case specs.OpMaskedEqual:
		return OpMaskedEq, true
	}
	return 0, false
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

func endianness(a *syscalls.Arch) string {
	if a.BigEndian {
		return "big-endian"
	}
	return "little-endian"
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
//   - A name that does not exist on an ABI is skipped there with a Warning;
//     with opts.Strict, a name that no ABI of the filter has is an error.
//   - MaxNr per ABI is runc's findLastSyscalls: the highest number any name
//     of the config resolves to on that ABI through libseccomp, counting
//     entries skipped for equalling the default action, but not socket and
//     IPC names on multiplexing ABIs (libseccomp resolves those to pseudo
//     numbers there).
//
// FromOCI refuses what runc or libseccomp would refuse, and a little more
// (it checks every entry, where runc checks only the entries it adds):
// unknown actions, operators and architectures, an architecture of the
// other byte order than native's (libseccomp's seccomp_arch_add returns
// EDOM: s390x or ppc64 with x86_64, mips with mipsel), an argument index
// above 5, SCMP_ACT_NOTIFY as the default action or on write, errno
// values above 4095, empty syscall names.
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
	def, field, err := ociAction(oci.DefaultAction, oci.DefaultErrnoRet)
	if err != nil {
		if field == "errnoRet" {
			return nil, nil, ociErr("defaultErrnoRet", err)
		}
		return nil, nil, ociErr("defaultAction", err)
	}
	if def == ActUserNotif {
		return nil, nil, ociErr("defaultAction", fmt.Errorf("%w: runc refuses it as the default action", ErrNotify))
	}
	b := NewBuilder(def, native, opts)
	for i, name := range oci.Architectures {
		a, ok := ociArch(name)
		if !ok {
			return nil, nil, ociErr(fmt.Sprintf("architectures[%d]", i), fmt.Errorf("%w %q", syscalls.ErrUnknownArch, string(name)))
		}
		if err := b.AddArch(a); err != nil {
			return nil, nil, ociErr(fmt.Sprintf("architectures[%d]", i), fmt.Errorf("%s %w", name, err))
		}
	}
	if err := b.AddOCISyscalls(oci.Syscalls, 0); err != nil {
		return nil, nil, err
	}
	p, warns := b.Policy()
	return p, warns, nil
}

// AddOCISyscalls adds the entries of an OCI config's syscalls list, in
// order, as runc does (see FromOCI); their Origin.Entry counts from
// first. Every entry is checked before any is added, so that no error
// depends on rule order.
func (b *Builder) AddOCISyscalls(list []specs.LinuxSyscall, first int) error {
	type entry struct {
		act  Action
		sets [][]Cond // runc's rules: all conds, or one per cond if an index repeats
	}
	entries := make([]entry, len(list))
	nrules := 0
	for i, sc := range list {
		// Paths are built only for errors: this loop runs for every entry
		// of every profile and sits on the compile path.
		path := func() string { return "syscalls[" + strconv.Itoa(first+i) + "]" }
		act, field, err := ociAction(sc.Action, sc.ErrnoRet)
		if err != nil {
			return ociErr(path()+"."+field, err)
		}
		for j, n := range sc.Names {
			if n == "" {
				return ociErr(fmt.Sprintf("%s.names[%d]", path(), j), fmt.Errorf("%w: empty syscall name", ErrEmpty))
			}
			if act == ActUserNotif && n == "write" {
				return ociErr(fmt.Sprintf("%s.names[%d]", path(), j), fmt.Errorf("%w: runc refuses it on write (it needs write to hand over the notification fd)", ErrNotify))
			}
		}
		var count [6]int
		var conds []Cond
		split := false
		for k, arg := range sc.Args {
			if arg.Index > 5 {
				return ociErr(fmt.Sprintf("%s.args[%d].index", path(), k), fmt.Errorf("%w: %d", ErrArgIndex, arg.Index))
			}
			op, ok := OpFromOCI(arg.Op)
			if !ok {
				return ociErr(fmt.Sprintf("%s.args[%d].op", path(), k), fmt.Errorf("%w %q", ErrUnknownOperator, string(arg.Op)))
			}
			c := Cond{Arg: uint8(arg.Index), Op: op, Value: arg.Value}
			if op == OpMaskedEq {
				c.Mask, c.Value = arg.Value, arg.ValueTwo
			}
			conds = append(conds, c)
			count[arg.Index]++
			if count[arg.Index] > 1 {
				split = true
			}
		}
		entries[i] = entry{act: act, sets: condSets(conds, split)}
		nrules += len(sc.Names) * len(entries[i].sets)
	}
	b.grow(nrules)
	for i, sc := range list {
		for j, name := range sc.Names {
			// Not found, and not for the default's action: no ABI has it.
			if !b.AddName(first+i, name, entries[i].act, entries[i].sets) && b.strict && entries[i].act != b.p.DefaultAction {
				return ociErr(fmt.Sprintf("syscalls[%d].names[%d]", first+i, j), fmt.Errorf("%w %q on %s (runc would skip it)", ErrUnknownSyscall, name, archList(b.p.Arches)))
			}
		}
	}
	return nil
}

// archList names the filter's ABIs for a message: "x86_64", or "any of
// x86_64, x86, x32".
func archList(aps []*ArchPolicy) string {
	if len(aps) == 1 {
		return aps[0].Arch.Name
	}
	names := make([]string, len(aps))
	for i, ap := range aps {
		names[i] = ap.Arch.Name
	}
	return "any of " + strings.Join(names, ", ")
}

// condSets applies runc's rule: all conditions in one rule, or, when an
// argument index repeats, one rule per condition. No conditions: one
// unconditional rule.
func condSets(conds []Cond, split bool) [][]Cond {
	if !split {
		if len(conds) == 0 {
			return unconditional
		}
		return [][]Cond{conds}
	}
	out := make([][]Cond, len(conds))
	for i := range conds {
		out[i] = conds[i : i+1 : i+1]
	}
	return out
}

// unconditional is the shared rule set of an entry without conditions.
var unconditional = [][]Cond{nil}

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
