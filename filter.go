package sysfence

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/compile"
	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/seccomp"
	"github.com/sysfence/sysfence/syscalls"
)

// Filter is a seccomp filter under construction: a default action, rules,
// the ABIs it accepts. The zero value is not usable; start with NewFilter
// or FromProfile. A Filter is not safe for concurrent use.
type Filter struct {
	native *syscalls.Arch
	err    error // a NewFilter/FromProfile problem every later call reports

	def     Action
	badArch Action
	enosys  bool
	arches  []*syscalls.Arch   // besides native, in order
	flags   seccomp.FilterFlag // the profile's (build.Result.Flags)

	// base holds a profile's resolved entries (what runc would receive);
	// rules are added after them, in order.
	base    []specs.LinuxSyscall
	origin  *build.Result // the profile's pipeline result, to name entries
	rules   []rule
	profile string // the profile's name, for messages

	profWarnings []string
	cache        *compiled
}

// usable is the error every method returns for a Filter that NewFilter
// or FromProfile did not make (or that they made with an error).
func (f *Filter) usable() error {
	if f.err != nil {
		return f.err
	}
	if f.native == nil {
		return errors.New("sysfence: a Filter must come from NewFilter or FromProfile")
	}
	return nil
}

// rule is one Add.
type rule struct {
	action Action
	name   string
	conds  []Cond
}

// compiled is the cached result of Policy and Compile; any change to the
// filter drops it.
type compiled struct {
	pol      *policy.Policy
	prog     bpf.Program
	warnings []string
}

// NewFilter starts an empty filter whose calls all get def, on the ABI of
// the running program, like libseccomp's seccomp_init(def). Bad
// architectures get KillProcess; runc's ENOSYS rule is off.
func NewFilter(def Action) *Filter {
	f := &Filter{def: def, badArch: KillProcess}
	f.native, f.err = nativeArch()
	if f.err == nil {
		if err := checkAction(def); err != nil {
			f.err = fmt.Errorf("sysfence: default action: %w", err)
		}
	}
	return f
}

func nativeArch() (*syscalls.Arch, error) {
	a, err := syscalls.Native()
	if err != nil {
		return nil, fmt.Errorf("sysfence: %v: %w", err, ErrNotSupported)
	}
	return a, nil
}

// ProfileOptions say what a profile is resolved for, as the flags of
// `sysfence run` do. The zero value is what `sysfence run -p` uses.
type ProfileOptions struct {
	// Caps is the capability set the profile's includes/excludes see, in
	// any spelling of `sysfence run --cap` ("CAP_SYS_ADMIN", "sys_admin",
	// "default", "-sys_admin"). Nil means Docker's default set.
	Caps []string
	// Kernel is the kernel version ("6.1") minKernel conditions compare
	// with; empty means the running kernel.
	Kernel string
	// NoENOSYS turns off runc's rule that syscalls newer than the profile
	// fail with ENOSYS.
	NoENOSYS bool
	// Strict refuses profiles with warnings (e.g. a syscall name that no
	// architecture has: a typo) instead of skipping what runc skips. A
	// name that some architecture has is skipped where the filter's ABIs
	// lack it, Strict or not.
	Strict bool
}

// FromProfile starts a filter from a Docker, OCI, Podman or Kubernetes
// seccomp profile: a built-in name ("docker-default") or a file, JSON or
// YAML. It is resolved for this machine exactly as `sysfence run -p`
// resolves it; rules added later come after the profile's.
func FromProfile(ref string, opts *ProfileOptions) (*Filter, error) {
	p, err := build.Load(ref, nil)
	if err != nil {
		return nil, err
	}
	return fromProfile(p, opts)
}

// FromProfileData is FromProfile for a profile held in memory (e.g.
// embedded with go:embed); name is used in messages.
func FromProfileData(name string, data []byte, opts *ProfileOptions) (*Filter, error) {
	p, err := profile.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return fromProfile(p, opts)
}

func fromProfile(p *profile.Profile, opts *ProfileOptions) (*Filter, error) {
	if opts == nil {
		opts = &ProfileOptions{}
	}
	native, err := nativeArch()
	if err != nil {
		return nil, err
	}
	req := build.Request{Profile: p, Arch: native, Strict: opts.Strict, NoENOSYS: opts.NoENOSYS, NoCompile: true}
	if opts.Caps != nil {
		if req.Caps, err = profile.ParseCaps(strings.Join(opts.Caps, ",")); err != nil {
			return nil, fmt.Errorf("sysfence: capabilities: %w", err)
		}
	}
	if opts.Kernel != "" {
		k, err := profile.ParseKernel(opts.Kernel)
		if err != nil {
			return nil, fmt.Errorf("sysfence: kernel version: %w", err)
		}
		req.Kernel = &k
	}
	res, err := build.Build(req)
	if err != nil {
		return nil, err
	}
	oci := res.Resolved.OCI
	f := &Filter{
		native:  native,
		def:     res.Policy.DefaultAction,
		badArch: KillProcess,
		enosys:  !opts.NoENOSYS,
		flags:   res.Flags,
		origin:  res,
		profile: p.File,
	}
	for _, ap := range res.Policy.Arches[1:] {
		f.arches = append(f.arches, ap.Arch)
	}
	f.base = make([]specs.LinuxSyscall, len(oci.Syscalls))
	for i, sc := range oci.Syscalls {
		sc.Names = slices.Clone(sc.Names)
		f.base[i] = sc
	}
	for _, w := range res.Warnings {
		f.profWarnings = append(f.profWarnings, w.String())
	}
	if res.Listener != nil {
		f.profWarnings = append(f.profWarnings, p.File+": listenerPath "+res.Listener.Path+": the Go API hands no listener to a seccomp agent (sysfence run does); SCMP_ACT_NOTIFY answers ENOSYS without one")
	}
	if p.Ext != nil {
		f.profWarnings = append(f.profWarnings, p.File+": the x-sysfence path and port rules are not part of a seccomp filter; the Go API ignores them (sysfence run enforces them with Landlock)")
	}
	return f, nil
}

// checkAction refuses actions the API cannot install.
func checkAction(a Action) error {
	switch a.Kind() {
	case policy.ActAllow, policy.ActKillProcess, policy.ActKillThread, policy.ActTrap, policy.ActLog, policy.ActTrace:
		return nil
	case policy.ActErrno:
		if a.Data() > maxErrno {
			return fmt.Errorf("%w: errno %d is above the kernel's maximum %d", ErrInvalidRule, a.Data(), maxErrno)
		}
		return nil
	case policy.ActUserNotif:
		return fmt.Errorf("%w: USER_NOTIF needs a supervisor holding the listener; the Go API installs none (see package seccomp)", ErrInvalidRule)
	}
	return fmt.Errorf("%w: unknown action %#x", ErrInvalidRule, uint32(a))
}

// unconditional reports whether conditions constrain nothing (a MASKED_EQ
// with an empty mask always holds).
func unconditional(conds []Cond) bool {
	for _, c := range conds {
		if !(c.c.Op == policy.OpMaskedEq && c.c.Mask == 0) {
			return false
		}
	}
	return true
}

// Add adds a rule: calls of the named syscall for which every condition
// holds get action (seccomp_rule_add). The name is looked up on every ABI
// of the filter when it is compiled; it must exist on at least one.
func (f *Filter) Add(action Action, name string, conds ...Cond) error {
	fail := func(err error) error {
		return &RuleError{Name: name, Action: action, Conds: slices.Clone(conds), Err: err}
	}
	if err := f.usable(); err != nil {
		return err
	}
	if err := checkAction(action); err != nil {
		return fail(err)
	}
	for _, c := range conds {
		if err := c.valid(); err != nil {
			return fail(err)
		}
	}
	if !syscalls.Known(name) {
		err := fmt.Errorf("%w %q", ErrUnknownSyscall, name)
		if s := syscalls.Suggest(name); s != "" {
			err = fmt.Errorf("%w (did you mean %s?)", err, s)
		}
		return fail(err)
	}
	uncond := unconditional(conds)
	for _, r := range f.rules {
		if r.name == name && r.action != action && (uncond || unconditional(r.conds)) {
			return fail(fmt.Errorf("%w: an earlier rule gives %v (%s); Remove(%q) first to replace it", ErrConflict, r.action, describeConds(r.conds), name))
		}
	}
	for i, sc := range f.base {
		act, ok := f.baseAction(sc)
		if !ok || act == action || !slices.Contains(sc.Names, name) {
			continue
		}
		if uncond || len(sc.Args) == 0 {
			return fail(fmt.Errorf("%w: the profile's %s gives %v (%s); Remove(%q) first to replace it", ErrConflict, f.where(i), act, describeArgs(sc.Args), name))
		}
	}
	f.rules = append(f.rules, rule{action: action, name: name, conds: slices.Clone(conds)})
	f.cache = nil
	return nil
}

// baseAction is the action of a profile entry, and whether it has any
// effect (runc skips entries whose action is the default's).
func (f *Filter) baseAction(sc specs.LinuxSyscall) (Action, bool) {
	a, err := policy.ActionFromOCI(sc.Action, sc.ErrnoRet)
	if err != nil {
		return 0, false
	}
	return a, a != f.def
}

// where names profile entry i of the resolved profile.
func (f *Filter) where(i int) string {
	if f.origin != nil {
		return f.origin.EntryWhere(i)
	}
	return fmt.Sprintf("syscalls[%d]", i)
}

func describeConds(conds []Cond) string {
	if unconditional(conds) {
		return "always"
	}
	s := make([]string, len(conds))
	for i, c := range conds {
		s[i] = c.String()
	}
	return "if " + strings.Join(s, " && ")
}

func describeArgs(args []specs.LinuxSeccompArg) string {
	if len(args) == 0 {
		return "always"
	}
	return fmt.Sprintf("with %d argument conditions", len(args))
}

// Allow adds an unconditional Allow rule for each name.
func (f *Filter) Allow(names ...string) error {
	for _, n := range names {
		if err := f.Add(Allow, n); err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes every rule for the names, the profile's included: their
// calls fall to the default action (or to rules added afterwards). It is
// how a profile is narrowed: FromProfile("docker-default") then
// Remove("socket") denies socket(2) as the default action does.
func (f *Filter) Remove(names ...string) error {
	if err := f.usable(); err != nil {
		return err
	}
	for _, n := range names {
		if !syscalls.Known(n) {
			return fmt.Errorf("sysfence: Remove: %w %q", ErrUnknownSyscall, n)
		}
	}
	for i := range f.base {
		f.base[i].Names = slices.DeleteFunc(f.base[i].Names, func(n string) bool { return slices.Contains(names, n) })
	}
	f.rules = slices.DeleteFunc(f.rules, func(r rule) bool { return slices.Contains(names, r.name) })
	f.cache = nil
	return nil
}

// AddArch makes the filter accept a further ABI (libseccomp, OCI or Go
// spelling: "x86", "SCMP_ARCH_X32", "386"), with the same rules by name
// (seccomp_arch_add). On x86_64, "x86" covers int $0x80 and "x32" the x32
// ABI; without them such calls get the bad-architecture action.
func (f *Filter) AddArch(name string) error {
	if err := f.usable(); err != nil {
		return err
	}
	a, err := syscalls.ArchByName(name)
	if err != nil {
		return fmt.Errorf("sysfence: AddArch: %w", err)
	}
	if a != f.native && !slices.Contains(f.arches, a) {
		f.arches = append(f.arches, a)
		f.cache = nil
	}
	return nil
}

// SetBadArchAction sets what calls of an ABI the filter does not accept
// get (KillProcess unless set).
func (f *Filter) SetBadArchAction(a Action) error {
	if err := checkAction(a); err != nil {
		return fmt.Errorf("sysfence: bad-architecture action: %w", err)
	}
	f.badArch = a
	f.cache = nil
	return nil
}

// SetENOSYS turns runc's rule on or off: on each ABI, a syscall number
// above the highest one the filter names fails with ENOSYS instead of
// getting the default action, so that programs fall back from calls
// newer than the filter (clone3 → clone, openat2 → openat). It never
// applies when the default action allows (ALLOW, LOG, TRACE).
func (f *Filter) SetENOSYS(on bool) {
	f.enosys = on
	f.cache = nil
}

// DefaultAction is what calls no rule matches get.
func (f *Filter) DefaultAction() Action { return f.def }

// Warnings lists remarks that did not stop the filter: the profile's own,
// and names skipped on some of the filter's ABIs (e.g. arch_prctl has no
// x86 number). They are complete after Compile.
func (f *Filter) Warnings() []string {
	w := slices.Clone(f.profWarnings)
	if f.cache != nil {
		w = append(w, f.cache.warnings...)
	}
	return w
}

// Policy returns the filter's rule set per ABI, as the compiler sees it
// (policy.Policy.Decide is its reference semantics).
func (f *Filter) Policy() (*policy.Policy, error) {
	c, err := f.build()
	if err != nil {
		return nil, err
	}
	return c.pol, nil
}

// Compile returns the filter as a classic BPF program, exactly what Load
// installs.
func (f *Filter) Compile() (bpf.Program, error) {
	c, err := f.build()
	if err != nil {
		return nil, err
	}
	return slices.Clone(c.prog), nil
}

// Export writes the compiled filter as raw struct sock_filter
// instructions in the native byte order, as libseccomp's
// seccomp_export_bpf does (bwrap --seccomp and `sysfence run --filter`
// read this).
func (f *Filter) Export(w io.Writer) error {
	c, err := f.build()
	if err != nil {
		return err
	}
	_, err = w.Write(c.prog.Encode(binary.NativeEndian))
	return err
}

func (f *Filter) build() (*compiled, error) {
	if err := f.usable(); err != nil {
		return nil, err
	}
	if f.cache != nil {
		return f.cache, nil
	}
	// One builder for the profile's entries and the rules added since,
	// as FromOCI builds a profile alone: the profile's entries as runc
	// adds them, then each rule with its conditions ANDed (which OCI
	// cannot say when two compare the same argument).
	b := policy.NewBuilder(f.def, f.native, policy.Options{ENOSYS: f.enosys})
	for _, a := range f.arches {
		if err := b.AddArch(a); err != nil {
			return nil, fmt.Errorf("sysfence: %s %w", a.Name, err)
		}
	}
	if err := b.AddOCISyscalls(f.base, 0); err != nil {
		return nil, fmt.Errorf("sysfence: %w", err)
	}
	nbase := len(f.base)
	for k, r := range f.rules {
		conds := make([]policy.Cond, len(r.conds))
		for i, c := range r.conds {
			conds[i] = c.c
		}
		b.AddName(nbase+k, r.name, r.action, [][]policy.Cond{conds})
	}
	pol, warns := b.Policy()
	pol.BadArch = f.badArch
	c := &compiled{pol: pol}
	// A rule's name must exist on some ABI of the filter; names missing on
	// some ABIs only are skipped there, as runc skips them.
	missing := map[int]int{}
	for _, w := range warns {
		if w.Entry < nbase {
			continue
		}
		missing[w.Entry]++
		c.warnings = append(c.warnings, fmt.Sprintf("rule %s: %s", w.Name, w.Msg()))
	}
	for e, n := range missing {
		if n == len(pol.Arches) {
			r := f.rules[e-nbase]
			return nil, &RuleError{Name: r.name, Action: r.action, Conds: r.conds,
				Err: fmt.Errorf("%w: %s has no syscall %q", ErrUnknownSyscall, abiNames(pol), r.name)}
		}
	}
	prog, err := compile.Compile(pol, compile.Options{})
	if err != nil {
		return nil, fmt.Errorf("sysfence: %w", err)
	}
	c.prog = prog.Filter
	f.cache = c
	return c, nil
}

func abiNames(p *policy.Policy) string {
	names := make([]string, len(p.Arches))
	for i, ap := range p.Arches {
		names[i] = ap.Arch.Name
	}
	return strings.Join(names, ", ")
}

// Check returns what the compiled filter answers for a call of the
// running program's ABI, by running the program on sysfence's BPF
// emulator (the kernel gives the same answer; tests hold the two
// together). Missing arguments are zero.
func (f *Filter) Check(name string, args ...uint64) (Action, error) {
	if err := f.usable(); err != nil {
		return 0, err
	}
	return f.check(f.native, name, args)
}

// CheckABI is Check for a call made through another ABI ("x86" for int
// $0x80 on x86_64). An ABI the filter does not accept gets the
// bad-architecture action.
func (f *Filter) CheckABI(abi, name string, args ...uint64) (Action, error) {
	if err := f.usable(); err != nil {
		return 0, err
	}
	a, err := syscalls.ArchByName(abi)
	if err != nil {
		return 0, fmt.Errorf("sysfence: CheckABI: %w", err)
	}
	return f.check(a, name, args)
}

func (f *Filter) check(a *syscalls.Arch, name string, args []uint64) (Action, error) {
	if len(args) > 6 {
		return 0, fmt.Errorf("sysfence: Check %s: %d arguments, a system call has at most 6", name, len(args))
	}
	nr, err := a.Lookup(name)
	if err != nil {
		return 0, fmt.Errorf("sysfence: Check: %w", err)
	}
	c, err := f.build()
	if err != nil {
		return 0, err
	}
	d := bpf.Data{Nr: nr, Arch: a.AuditArch}
	copy(d.Args[:], args)
	res, err := bpf.Run(c.prog, &d, a.BigEndian, false)
	if err != nil {
		return 0, fmt.Errorf("sysfence: running the filter: %w", err)
	}
	return Action(res.Ret), nil
}
