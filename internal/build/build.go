package build

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/compile"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/seccomp"
	"github.com/sysfence/sysfence/syscalls"
)

// Request says what to build.
type Request struct {
	// Ref is a built-in profile name, a file path, or "-" for Stdin.
	Ref   string
	Stdin io.Reader
	// Profile, when set, is used instead of loading Ref.
	Profile *profile.Profile
	// Target: nil Arch means this machine's, nil Caps Docker's default
	// container set, nil Kernel the running kernel.
	Arch   *syscalls.Arch
	Caps   []string
	Kernel *profile.KernelVersion
	// Strict turns every warning into an error: the profile's remarks,
	// among them a syscall name that no architecture has (a typo). A name
	// that exists on some architecture sysfence knows is not a typo: it is
	// skipped where the filter's ABIs lack it, as runc does (riscv_hwprobe
	// in Docker's default on x86_64, chown32 on x86_64 beside x86), which
	// is neither a warning nor a strict error; Verbose lists it.
	Strict bool
	// NoENOSYS turns off runc's ENOSYS answer for syscalls newer than the
	// profile.
	NoENOSYS bool
	// Annotate asks the compiler for per-instruction notes.
	Annotate bool
	// NoCompile stops after the policy (Result.Program stays nil): for
	// the Go API, which compiles once, after its own rules are in.
	NoCompile bool
	// Verbose reports every name skipped on some of the filter's ABIs on
	// a line of its own, with its position and those ABIs.
	Verbose bool
}

// Result is everything the pipeline produced, for commands that explain.
type Result struct {
	Profile  *profile.Profile
	Resolved *profile.Resolved
	Policy   *policy.Policy
	Program  *compile.Program
	// Flags are the filter flags the profile asks for (LOG, SPEC_ALLOW,
	// WAIT_KILLABLE_RECV; TSYNC is the loader's business), for every
	// loader: sysfence run and the Go API alike.
	Flags seccomp.FilterFlag
	// Listener is where the profile's listenerPath wants the notification
	// listener handed (nil: none), as runc hands it.
	Listener *Listener
	// Warnings are positioned one-line remarks (see Warning.String).
	Warnings []Warning
}

// Listener is a seccomp agent: a UNIX socket that receives the filter's
// notification listener with the process state (runc's listenerPath).
type Listener struct {
	Path     string
	Metadata string
}

// Warning is a remark that did not stop the build. Its text is built when
// printed: positions cost a rescan of the profile text, which a library
// caller that ignores warnings should not pay.
type Warning struct {
	perr   *profile.Warning // a remark of the profile parser, or
	res    *Result          // a name skipped as runc skips it:
	entry  int              // its resolved OCI entry,
	name   string
	arches []string // the ABIs it is skipped on
}

// String renders the warning as one positioned line.
func (w Warning) String() string {
	if w.perr != nil {
		return w.perr.Error()
	}
	return fmt.Sprintf("%s: syscall %q does not exist on %s; skipped as runc does", w.res.EntryWhere(w.entry), w.name, strings.Join(w.arches, ", "))
}

// ErrStrict wraps warnings turned into errors by Request.Strict.
var ErrStrict = errors.New("refused under --strict")

// Build runs the pipeline.
func Build(req Request) (*Result, error) {
	p := req.Profile
	if p == nil {
		var err error
		if p, err = Load(req.Ref, req.Stdin); err != nil {
			return nil, err
		}
	}
	t, err := Target(req.Arch, req.Caps, req.Kernel)
	if err != nil {
		return nil, err
	}
	res := &Result{Profile: p}
	for _, w := range p.Warnings {
		res.Warnings = append(res.Warnings, Warning{perr: w})
	}
	if req.Strict && len(res.Warnings) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrStrict, res.Warnings[0])
	}
	if res.Resolved, err = profile.Resolve(p, t); err != nil {
		return nil, err
	}
	// Names skipped on the filter's ABIs are no strict error: a name no
	// architecture has is one of the profile's remarks, refused above.
	opts := policy.Options{ENOSYS: !req.NoENOSYS}
	oci := uniqueNames(res.Resolved.OCI)
	pol, warns, err := policy.FromOCI(oci, t.Arch, opts)
	if err != nil {
		if oci != res.Resolved.OCI {
			// The error's names[N] counts in the profile's own list.
			_, _, err = policy.FromOCI(res.Resolved.OCI, t.Arch, opts)
		}
		return nil, res.locate(err)
	}
	res.Policy = pol
	for i, name := range res.Resolved.OCI.Flags {
		f, ok := seccomp.FlagByName(string(name))
		if !ok { // the parser admits runc's flags only
			return nil, res.locate(&policy.OCIError{Path: fmt.Sprintf("flags[%d]", i), Err: fmt.Errorf("unknown filter flag %q", name)})
		}
		res.Flags |= f &^ seccomp.FlagTSync
	}
	if p := res.Resolved.OCI.ListenerPath; p != "" {
		res.Listener = &Listener{Path: p, Metadata: res.Resolved.OCI.ListenerMetadata}
	}
	if req.Verbose {
		res.Warnings = append(res.Warnings, res.skipped(warns)...)
	}
	if req.NoCompile {
		return res, nil
	}
	if res.Program, err = compile.Compile(pol, compile.Options{Annotate: req.Annotate}); err != nil {
		return nil, err
	}
	return res, nil
}

// uniqueNames returns oci with the repeats taken out of every names list
// longer than the list of all syscall names, which must repeat names (or
// hold unknown ones): a generated list of millions of names would cost a
// rule per name and ABI, while runc adding a repeated name's rule again
// changes nothing. Shorter lists, Docker's default among them, are passed
// on as they are, at no cost; so is oci when no list is that long.
func uniqueNames(oci *specs.LinuxSeccomp) *specs.LinuxSeccomp {
	limit := len(syscalls.Names())
	var out *specs.LinuxSeccomp
	for i, sc := range oci.Syscalls {
		if len(sc.Names) <= limit {
			continue
		}
		if out == nil {
			c := *oci
			c.Syscalls = slices.Clone(oci.Syscalls)
			out = &c
		}
		seen := make(map[string]struct{}, limit)
		names := make([]string, 0, limit)
		for _, n := range sc.Names {
			if _, ok := seen[n]; !ok {
				seen[n] = struct{}{}
				names = append(names, n)
			}
		}
		out.Syscalls[i].Names = slices.Clip(names)
	}
	if out == nil {
		return oci
	}
	return out
}

// Load reads a profile reference: a built-in name, a file, or "-" for
// stdin (nil stdin: ErrNoStdin; libraries never read os.Stdin).
func Load(ref string, stdin io.Reader) (*profile.Profile, error) {
	if ref != "-" {
		return profile.Load(ref)
	}
	name, data, err := readRef(ref, stdin)
	if err != nil {
		return nil, err
	}
	return profile.ParseOwned(name, data)
}

// Target fills in the defaults of a resolution target.
func Target(arch *syscalls.Arch, caps []string, kernel *profile.KernelVersion) (profile.Target, error) {
	t := profile.Target{Arch: arch, Caps: caps}
	if t.Arch == nil {
		a, err := syscalls.Native()
		if err != nil {
			return t, err
		}
		t.Arch = a
	}
	if t.Caps == nil {
		t.Caps = profile.DockerDefaultCaps()
	}
	if kernel != nil {
		t.Kernel = *kernel
	} else if k, err := profile.RunningKernel(); err == nil {
		t.Kernel = k
	}
	// else: zero kernel; Resolve fails with a positioned "give --kernel"
	// error only if the profile has a minKernel condition.
	return t, nil
}

// EntryWhere names an OCI syscall entry by the profile entry it came from:
// "syscalls[12] (profile.json:41:5)".
func (r *Result) EntryWhere(ociIndex int) string {
	if ociIndex < 0 || r.Resolved == nil || ociIndex >= len(r.Resolved.Entry) {
		return fmt.Sprintf("syscalls[%d]", ociIndex)
	}
	i := r.Resolved.Entry[ociIndex]
	path := fmt.Sprintf("syscalls[%d]", i)
	return r.Profile.DocPath(path) + " (" + r.Profile.Where(path) + ")"
}

// locate rewrites a FromOCI error, whose path counts entries and
// architectures of the resolved OCI profile, into the profile's own field
// and position.
func (r *Result) locate(err error) error {
	var oe *policy.OCIError
	if !errors.As(err, &oe) {
		return err
	}
	var idx int
	switch {
	case strings.HasPrefix(oe.Path, "architectures["):
		if n, _ := fmt.Sscanf(oe.Path, "architectures[%d]", &idx); n != 1 || idx < 0 || idx >= len(r.Resolved.ArchPath) {
			return err
		}
		return r.positioned(r.Resolved.ArchPath[idx], oe)
	case strings.HasPrefix(oe.Path, "syscalls["):
		if n, _ := fmt.Sscanf(oe.Path, "syscalls[%d]", &idx); n != 1 || idx < 0 || idx >= len(r.Resolved.Entry) {
			return err
		}
		i := r.Resolved.Entry[idx]
		rest := oe.Path[strings.Index(oe.Path, "]")+1:]
		// A Docker entry's "name" is names[0] of the resolved entry.
		if strings.HasPrefix(rest, ".names[0]") && r.Profile.Seccomp.Syscalls[i].Name != "" {
			rest = ".name" + strings.TrimPrefix(rest, ".names[0]")
		}
		return r.positioned(fmt.Sprintf("syscalls[%d]%s", i, rest), oe)
	case oe.Path == "defaultAction" || oe.Path == "defaultErrnoRet":
		return r.positioned(oe.Path, oe)
	}
	return err
}

// positioned makes oe a profile error at path that still matches FromOCI's
// sentinels (policy.ErrByteOrder, ...) with errors.Is.
func (r *Result) positioned(path string, oe *policy.OCIError) error {
	pe := r.Profile.Errorf(path, "%v", oe.Err)
	pe.Kind = oe.Err
	return pe
}

// skipped lists FromOCI's per-ABI skips, one line per name and entry
// with the ABIs that lack it. Names no architecture has are left out: the
// profile parser reports them at the name's own position.
func (r *Result) skipped(ws []policy.Warning) []Warning {
	type key struct {
		entry int
		name  string
	}
	missing := map[key][]string{}
	var order []key
	for _, w := range ws {
		k := key{w.Entry, w.Name}
		if _, ok := missing[k]; !ok {
			order = append(order, k)
		}
		missing[k] = append(missing[k], w.Arch)
	}
	var out []Warning
	for _, k := range order {
		if syscalls.Known(k.name) {
			out = append(out, Warning{res: r, entry: k.entry, name: k.name, arches: missing[k]})
		}
	}
	return out
}

// Explanation says which part of a profile decided a syscall.
type Explanation struct {
	Action string `json:"action"`
	// Kind is "rule", "default", "bad-arch" or "enosys".
	Kind string `json:"kind"`
	// Entry is the profile's syscalls index of the deciding rule (-1 if
	// none), Where its position.
	Entry int    `json:"entry"`
	Where string `json:"where,omitempty"`
	// Rule describes the deciding rule: names, action, conditions.
	Rule string `json:"rule,omitempty"`
	// Text is the whole explanation in one sentence fragment.
	Text string `json:"text"`
}

// Explain describes a decision of Result.Policy in the profile's terms.
func (r *Result) Explain(d policy.Decision) Explanation {
	e := Explanation{Action: d.Action.String(), Entry: -1}
	switch d.Why {
	case policy.WhyRule:
		e.Kind = "rule"
		oi := d.Rule.Origin.Entry
		if r.Resolved != nil && oi >= 0 && oi < len(r.Resolved.Entry) {
			e.Entry = r.Resolved.Entry[oi]
			e.Where = r.Profile.Where(fmt.Sprintf("syscalls[%d]", e.Entry))
		}
		e.Rule = d.Rule.String()
	case policy.WhyDefault:
		e.Kind = "default"
	case policy.WhyBadArch:
		e.Kind = "bad-arch"
	case policy.WhyENOSYS:
		e.Kind = "enosys"
	}
	e.Text = d.Text(r.EntryWhere)
	return e
}
