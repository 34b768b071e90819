package profile

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/syscalls"
)

// mode selects the grammar of the seccomp object being decoded.
type mode int

const (
	modeBare      mode = iota // Docker profile (a superset of OCI) with Podman extensions
	modeOCIConfig             // linux.seccomp of a config.json: runtime-spec fields only
	modeSPO                   // spec of a SeccompProfile
)

// The fields each object may have. Docker-only and Podman-only fields are
// listed separately so that a bare object's format can be told.
var (
	seccompFields   = []string{"defaultAction", "defaultErrnoRet", "architectures", "flags", "listenerPath", "listenerMetadata", "syscalls", ExtensionKey}
	seccompDocker   = []string{"archMap"}
	seccompPodman   = []string{"defaultErrno"}
	spoSpecFields   = []string{"defaultAction", "architectures", "flags", "listenerPath", "listenerMetadata", "syscalls", "baseProfileName", "state", "disabled"}
	syscallFields   = []string{"names", "action", "errnoRet", "args"}
	syscallDocker   = []string{"name", "comment", "includes", "excludes"}
	syscallPodman   = []string{"errno"}
	argFields       = []string{"index", "value", "valueTwo", "op"}
	filterFields    = []string{"caps", "arches", "minKernel"}
	archMapFields   = []string{"architecture", "subArchitectures"}
	extensionFields = []string{"allowRead", "allowWrite", "allowExec", "allowBind", "allowConnect"}
	spoFields       = []string{"apiVersion", "kind", "metadata", "spec", "status"}
)

// refusal is a field from another format, refused with the reason.
type refusal struct{ key, why string }

// The fields allowed per grammar, and fields from other formats refused
// with the reason.
var (
	seccompAllowed = [...][][]string{
		modeBare:      {seccompFields, seccompDocker, seccompPodman},
		modeOCIConfig: {seccompFields},
		modeSPO:       {spoSpecFields},
	}
	seccompRefused = [...][]refusal{
		modeOCIConfig: {
			{"archMap", "is a Docker profile field that runc ignores; use \"architectures\" (or resolve the Docker profile first)"},
			{"defaultErrno", "is a Podman profile field that runc ignores; use \"defaultErrnoRet\""},
		},
		modeSPO: {
			{"defaultErrnoRet", "is not a SeccompProfile field (the operator always uses EPERM)"},
			{ExtensionKey, "cannot be carried by a SeccompProfile: the Kubernetes API server drops unknown spec fields"},
			{"archMap", "is not a SeccompProfile field; use \"architectures\""},
		},
	}
	syscallAllowed = [...][][]string{
		modeBare:      {syscallFields, syscallDocker, syscallPodman},
		modeOCIConfig: {syscallFields},
		modeSPO:       {syscallFields},
	}
	syscallRefused = [...][]refusal{
		modeOCIConfig: {
			{"name", "is not an OCI field (runc ignores it); use \"names\""},
			{"comment", "is a Docker profile field that runc's config.json does not have"},
			{"includes", "is a Docker profile field that runc ignores; resolve the Docker profile first"},
			{"excludes", "is a Docker profile field that runc ignores; resolve the Docker profile first"},
			{"errno", "is a Podman profile field that runc ignores; use \"errnoRet\""},
		},
		modeSPO: {
			{"name", "is not a SeccompProfile field; use \"names\""},
			{"includes", "is not a SeccompProfile field (the operator has no conditional rules)"},
			{"excludes", "is not a SeccompProfile field (the operator has no conditional rules)"},
		},
	}
)

// SPO API versions sysfence reads.
var spoAPIVersions = []string{
	"security-profiles-operator.x-k8s.io/v1alpha1",
	"security-profiles-operator.x-k8s.io/v1beta1",
	"security-profiles-operator.x-k8s.io/v1",
}

type decoder struct {
	t     *tree
	file  string
	mode  mode
	err   *ParseError
	warns []*Warning
	// what the document used, to tell its format
	dockerOnly, podman bool
	// namePool and argPool are carved into the entries' Names and Args:
	// one allocation each instead of one per entry.
	namePool []string
	argPool  []specs.LinuxSeccompArg
}

// take returns the next n elements of *pool (capacity-limited so an append
// by the caller cannot overwrite a neighbour), or a fresh slice when the
// pool is exhausted.
func take[T any](pool *[]T, n int) []T {
	if n > len(*pool) {
		return make([]T, n)
	}
	out := (*pool)[:n:n]
	*pool = (*pool)[n:]
	return out
}

// fail records the first error, positioned at node n's value.
func (d *decoder) fail(n *node, p *path, format string, args ...any) {
	d.failAt(d.t.pos(n), p, format, args...)
}

// failKey records the first error, positioned at member n's key.
func (d *decoder) failKey(n *node, p *path, format string, args ...any) {
	d.failAt(d.t.keyPos(n), p, format, args...)
}

func (d *decoder) failAt(pos Pos, p *path, format string, args ...any) {
	if d.err != nil {
		return
	}
	d.err = &ParseError{File: d.file, Line: pos.Line, Col: pos.Col, Path: p.String(), Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) warn(n *node, p *path, format string, args ...any) {
	pos := d.t.pos(n)
	d.warns = append(d.warns, &ParseError{File: d.file, Line: pos.Line, Col: pos.Col, Path: p.String(), Msg: fmt.Sprintf(format, args...)})
}

// expect checks a node's kind.
func (d *decoder) expect(n *node, p *path, k kind, what string) bool {
	if n.kind == k {
		return true
	}
	d.fail(n, p, "expected %s, got %s", what, n.kind)
	return false
}

// fields checks an object's keys: no duplicates, none outside allowed.
// refused lists fields that exist in another format, with the reason they
// are refused here.
func (d *decoder) fields(n *node, p *path, refused []refusal, allowed ...[]string) bool {
	kids := d.t.kids(n)
	for i := range kids {
		m := &kids[i]
		key := d.t.key(m)
		for j := 0; j < i; j++ {
			if d.t.key(&kids[j]) == key {
				d.failKey(m, p, "duplicate field %q (first at %s)", key, d.t.keyPos(&kids[j]))
				return false
			}
		}
		if slices.ContainsFunc(allowed, func(fs []string) bool { return slices.Contains(fs, key) }) {
			continue
		}
		if i := slices.IndexFunc(refused, func(r refusal) bool { return r.key == key }); i >= 0 {
			d.failKey(m, p, "%q %s", key, refused[i].why)
			return false
		}
		d.failKey(m, p, "unknown field %q%s", key, didYouMean(suggest(key, slices.Concat(allowed...))))
		return false
	}
	return true
}

func (d *decoder) stringVal(n *node, p *path) (string, bool) {
	if !d.expect(n, p, kStr, "a string") {
		return "", false
	}
	return d.t.str(n), true
}

// strList reads an array of strings; null reads as nil, [] as an empty
// slice (as encoding/json does, so resolved output compares equal to
// moby's).
func (d *decoder) strList(n *node, p *path, pool *[]string) ([]string, bool) {
	if n.kind == kNull {
		return nil, true
	}
	if !d.expect(n, p, kArr, "an array of strings") {
		return nil, false
	}
	var out []string
	if pool != nil {
		out = take(pool, n.len())
	} else {
		out = make([]string, n.len())
	}
	for i := range d.t.kids(n) {
		k := &d.t.kids(n)[i]
		if k.kind != kStr {
			ip := p.index(i)
			d.fail(k, &ip, "expected a string, got %s", k.kind)
			return nil, false
		}
		out[i] = d.t.str(k)
	}
	return out, true
}

// unsigned reads a non-negative integer no larger than limit; over is the
// message for a larger value.
func (d *decoder) unsigned(n *node, p *path, limit uint64, over string) (uint64, bool) {
	if n.kind != kNum {
		d.fail(n, p, "expected an integer, got %s", n.kind)
		return 0, false
	}
	t := d.t.str(n)
	if strings.ContainsAny(t, ".eE") {
		d.fail(n, p, "expected an integer, got %s", t)
		return 0, false
	}
	if strings.HasPrefix(t, "-") {
		if t == "-0" {
			return 0, true
		}
		if v, err := strconv.ParseInt(t, 10, 64); err == nil && limit == 1<<64-1 {
			d.fail(n, p, "negative value %s: seccomp compares unsigned 64-bit values; write %d", t, uint64(v))
		} else {
			d.fail(n, p, "negative value %s", t)
		}
		return 0, false
	}
	v, err := strconv.ParseUint(t, 10, 64)
	if err != nil {
		d.fail(n, p, "%s is out of range (unsigned 64-bit)", t)
		return 0, false
	}
	if v > limit {
		d.fail(n, p, over, v)
		return 0, false
	}
	return v, true
}

// errno reads an errnoRet value.
func (d *decoder) errno(n *node, p *path) (*uint, bool) {
	if n.kind == kNull {
		return nil, true
	}
	if d.mode == modeSPO && n.kind == kStr { // v1alpha1 had a string errnoRet
		v, err := strconv.ParseUint(d.t.str(n), 10, 16)
		if err != nil || v > maxErrno {
			d.fail(n, p, "errnoRet %q is not an errno number 0..%d", d.t.str(n), maxErrno)
			return nil, false
		}
		u := uint(v)
		return &u, true
	}
	v, ok := d.unsigned(n, p, maxErrno, "errnoRet %d is out of range 0..4095 (the kernel's MAX_ERRNO: seccomp clamps larger values, and libseccomp truncates them to 16 bits)")
	if !ok {
		return nil, false
	}
	u := uint(v)
	return &u, true
}

// errnoName reads Podman's "errno"/"defaultErrno": a name like "ENOSYS" or
// a decimal number in a string.
func (d *decoder) errnoName(n *node, p *path) (*uint, bool) {
	s, ok := d.stringVal(n, p)
	if !ok {
		return nil, false
	}
	d.podman = true
	if v, err := strconv.ParseUint(s, 10, 32); err == nil {
		if v > maxErrno {
			d.fail(n, p, "errno %s is out of range 0..4095 (the kernel's MAX_ERRNO)", s)
			return nil, false
		}
		u := uint(v)
		return &u, true
	}
	if v, ok := errnoNames()[s]; ok {
		return &v, true
	}
	d.fail(n, p, "unknown errno name %q%s", s, didYouMean(suggest(s, ErrnoNames())))
	return nil, false
}

// mergeErrno combines Podman's name with errnoRet: both may be given (as
// Podman's own profile does) only if they agree, since Docker reads the
// number and Podman the name.
func (d *decoder) mergeErrno(num, name *uint, nameNode *node, p *path, numField string) *uint {
	if name == nil {
		return num
	}
	if num != nil && *num != *name {
		d.fail(nameNode, p, "%q says %d but %s is %d: Docker would use one and Podman the other", d.t.str(nameNode), *name, numField, *num)
		return nil
	}
	return name
}

func (d *decoder) action(n *node, p *path) (specs.LinuxSeccompAction, bool) {
	s, ok := d.stringVal(n, p)
	if !ok {
		return "", false
	}
	if !slices.Contains(actionNames, s) {
		d.fail(n, p, "unknown action %q%s", s, didYouMean(suggestNamed(s, actionNames, actionSynonyms())))
		return "", false
	}
	return specs.LinuxSeccompAction(s), true
}

func (d *decoder) arch(n *node, p *path) (specs.Arch, bool) {
	s, ok := d.stringVal(n, p)
	if !ok {
		return "", false
	}
	if s == archNative {
		switch d.mode {
		case modeOCIConfig:
			d.fail(n, p, "runc does not accept %s in config.json; name the architecture", archNative)
			return "", false
		case modeBare:
			d.podman = true
		}
		return specs.Arch(s), true
	}
	if d.mode == modeSPO {
		if !slices.Contains(spoArchNames, s) {
			if slices.Contains(ociArchNames(), s) {
				d.fail(n, p, "architecture %q is not accepted by the SeccompProfile API", s)
			} else {
				d.fail(n, p, "unknown architecture %q%s", s, didYouMean(archSuggestion(s)))
			}
			return "", false
		}
		return specs.Arch(s), true
	}
	if !slices.Contains(ociArchNames(), s) {
		d.fail(n, p, "unknown architecture %q%s", s, didYouMean(archSuggestion(s)))
		return "", false
	}
	return specs.Arch(s), true
}

// archSuggestion proposes the SCMP_ARCH_* spelling of an architecture
// given in any other spelling ("amd64" -> SCMP_ARCH_X86_64).
func archSuggestion(s string) string {
	if a, err := syscalls.ArchByName(s); err == nil {
		return a.OCI
	}
	return suggest(s, ociArchNames())
}

func (d *decoder) archList(n *node, p *path) ([]specs.Arch, bool) {
	if n.kind == kNull {
		return nil, true
	}
	if !d.expect(n, p, kArr, "an array of architectures") {
		return nil, false
	}
	out := make([]specs.Arch, n.len())
	for i := range d.t.kids(n) {
		ip := p.index(i)
		a, ok := d.arch(&d.t.kids(n)[i], &ip)
		if !ok {
			return nil, false
		}
		out[i] = a
	}
	return out, true
}

// seccompObject decodes a Docker/OCI/SPO seccomp object into moby's model.
func (d *decoder) seccompObject(n *node, p *path) (*seccomp.Seccomp, *Extension) {
	if !d.expect(n, p, kObj, "a seccomp profile object") {
		return nil, nil
	}
	allowed, refused := seccompAllowed[d.mode], seccompRefused[d.mode]
	if !d.fields(n, p, refused, allowed...) {
		return nil, nil
	}
	s := &seccomp.Seccomp{}
	var ext *Extension
	var defErrno, defErrnoName *uint
	var defErrnoNode *node
	sawDefault := false
	var syscallsNode *node
	for i := range d.t.kids(n) {
		m := &d.t.kids(n)[i]
		fp := p.field(d.t.key(m))
		v := m
		switch d.t.key(m) {
		case "defaultAction":
			if v.kind == kNull {
				continue
			}
			sawDefault = true
			var ok bool
			s.DefaultAction, ok = d.action(v, &fp)
			if ok && s.DefaultAction == specs.ActNotify {
				d.fail(v, &fp, "SCMP_ACT_NOTIFY cannot be the default action (runc and libseccomp refuse it)")
			}
		case "defaultErrnoRet":
			defErrno, _ = d.errno(v, &fp)
		case "defaultErrno":
			if v.kind == kNull {
				continue
			}
			defErrnoNode = v
			defErrnoName, _ = d.errnoName(v, &fp)
		case "architectures":
			s.Architectures, _ = d.archList(v, &fp)
		case "archMap":
			d.dockerOnly = true
			s.ArchMap, _ = d.archMap(v, &fp)
		case "flags":
			s.Flags, _ = d.flags(v, &fp)
		case "listenerPath":
			if v.kind != kNull {
				s.ListenerPath, _ = d.stringVal(v, &fp)
			}
		case "listenerMetadata":
			if v.kind != kNull {
				s.ListenerMetadata, _ = d.stringVal(v, &fp)
			}
		case "syscalls":
			syscallsNode = v
		case ExtensionKey:
			ext, _ = d.extension(v, &fp)
		case "baseProfileName":
			if name, ok := d.stringVal(v, &fp); ok && name != "" {
				d.fail(v, &fp, "baseProfileName %q: sysfence cannot resolve base profiles of the Security Profiles Operator; merge the base profile's syscalls into this one", name)
				d.err.Kind = ErrUnsupported
			}
		case "state":
			if v.kind != kNull {
				if st, ok := d.stringVal(v, &fp); ok && st != "Enabled" && st != "Disabled" {
					d.fail(v, &fp, "state must be Enabled or Disabled, got %q", st)
				}
			}
		case "disabled":
			if v.kind != kNull {
				d.expect(v, &fp, kBool, "a boolean")
			}
		}
		if d.err != nil {
			return nil, nil
		}
	}
	if defErrnoNode != nil {
		fp := p.field("defaultErrno")
		defErrno = d.mergeErrno(defErrno, defErrnoName, defErrnoNode, &fp, "defaultErrnoRet")
		if d.err != nil {
			return nil, nil
		}
	}
	s.DefaultErrnoRet = defErrno
	if sawDefault {
		d.checkErrnoUse(n, p, s.DefaultAction, defErrno, "defaultErrnoRet", "defaultErrno")
	}
	if syscallsNode != nil {
		fp := p.field("syscalls")
		s.Syscalls = d.syscallList(syscallsNode, &fp)
		if d.err != nil {
			return nil, nil
		}
	}
	if !sawDefault {
		d.fail(n, p, "missing defaultAction (a profile without one disables seccomp in Docker and is refused by runc)")
		return nil, nil
	}
	if len(s.Architectures) != 0 && len(s.ArchMap) != 0 {
		m := d.t.get(n, "archMap")
		d.failKey(m, p, "both \"architectures\" and \"archMap\" are given; use one (Docker refuses the profile)")
		return nil, nil
	}
	if s.ListenerMetadata != "" && s.ListenerPath == "" {
		m := d.t.get(n, "listenerMetadata")
		d.failKey(m, p, "listenerMetadata without listenerPath (the metadata is sent to the listener)")
		return nil, nil
	}
	if s.Syscalls == nil {
		s.Syscalls = []*seccomp.Syscall{}
	}
	return s, ext
}

func (d *decoder) flags(n *node, p *path) ([]specs.LinuxSeccompFlag, bool) {
	if n.kind == kNull {
		return nil, true
	}
	if !d.expect(n, p, kArr, "an array of flags") {
		return nil, false
	}
	out := make([]specs.LinuxSeccompFlag, n.len())
	for i := range d.t.kids(n) {
		ip := p.index(i)
		s, ok := d.stringVal(&d.t.kids(n)[i], &ip)
		if !ok {
			return nil, false
		}
		if !slices.Contains(flagNames, s) {
			d.fail(&d.t.kids(n)[i], &ip, "unknown flag %q%s", s, didYouMean(suggest(s, flagNames)))
			return nil, false
		}
		out[i] = specs.LinuxSeccompFlag(s)
	}
	return out, true
}

func (d *decoder) archMap(n *node, p *path) ([]seccomp.Architecture, bool) {
	if n.kind == kNull {
		return nil, true
	}
	if !d.expect(n, p, kArr, "an array of {architecture, subArchitectures}") {
		return nil, false
	}
	out := make([]seccomp.Architecture, n.len())
	for i := range d.t.kids(n) {
		e := &d.t.kids(n)[i]
		ip := p.index(i)
		if !d.expect(e, &ip, kObj, "an object {architecture, subArchitectures}") || !d.fields(e, &ip, nil, archMapFields) {
			return nil, false
		}
		a := d.t.get(e, "architecture")
		if a == nil || a.kind == kNull {
			d.fail(e, &ip, "missing architecture")
			return nil, false
		}
		ap := ip.field("architecture")
		var ok bool
		if out[i].Arch, ok = d.arch(a, &ap); !ok {
			return nil, false
		}
		if sub := d.t.get(e, "subArchitectures"); sub != nil {
			sp := ip.field("subArchitectures")
			if out[i].SubArches, ok = d.archList(sub, &sp); !ok {
				return nil, false
			}
		}
	}
	return out, true
}

func (d *decoder) syscallList(n *node, p *path) []*seccomp.Syscall {
	if n.kind == kNull {
		return nil
	}
	if !d.expect(n, p, kArr, "an array of syscall entries") {
		return nil
	}
	vals := make([]seccomp.Syscall, n.len())
	out := make([]*seccomp.Syscall, n.len())
	names, args := 0, 0
	for i := range d.t.kids(n) {
		e := &d.t.kids(n)[i]
		if e.kind != kObj {
			continue
		}
		if m := d.t.get(e, "names"); m != nil && m.kind == kArr {
			names += m.len()
		}
		if m := d.t.get(e, "args"); m != nil && m.kind == kArr {
			args += m.len()
		}
	}
	d.namePool = make([]string, names)
	d.argPool = make([]specs.LinuxSeccompArg, args)
	for i := range d.t.kids(n) {
		ip := p.index(i)
		d.syscallEntry(&d.t.kids(n)[i], &ip, &vals[i])
		if d.err != nil {
			return nil
		}
		out[i] = &vals[i]
	}
	return out
}

func (d *decoder) syscallEntry(n *node, p *path, sc *seccomp.Syscall) {
	if !d.expect(n, p, kObj, "a syscall entry object") {
		return
	}
	allowed, refused := syscallAllowed[d.mode], syscallRefused[d.mode]
	if !d.fields(n, p, refused, allowed...) {
		return
	}
	var errnoName *uint
	var errnoNode *node
	sawAction := false
	for i := range d.t.kids(n) {
		m := &d.t.kids(n)[i]
		fp := p.field(d.t.key(m))
		v := m
		switch d.t.key(m) {
		case "name":
			d.dockerOnly = true
			if v.kind != kNull {
				sc.Name, _ = d.stringVal(v, &fp)
				if d.err == nil && sc.Name == "" {
					d.fail(v, &fp, "empty syscall name")
				}
			}
		case "names":
			sc.Names, _ = d.strList(v, &fp, &d.namePool)
			for j, name := range sc.Names {
				if name == "" {
					jp := fp.index(j)
					d.fail(&d.t.kids(v)[j], &jp, "empty syscall name")
				}
			}
		case "action":
			if v.kind != kNull {
				sawAction = true
				sc.Action, _ = d.action(v, &fp)
			}
		case "errnoRet":
			if d.mode == modeSPO && v.kind == kNum && d.t.str(v) == "0" {
				continue // int32 with omitempty: 0 means unset in the SPO API
			}
			sc.ErrnoRet, _ = d.errno(v, &fp)
		case "errno":
			if v.kind != kNull {
				errnoNode = v
				errnoName, _ = d.errnoName(v, &fp)
			}
		case "args":
			sc.Args = d.args(v, &fp)
		case "comment":
			d.dockerOnly = true
			if v.kind != kNull {
				sc.Comment, _ = d.stringVal(v, &fp)
			}
		case "includes", "excludes":
			d.dockerOnly = true
			f := d.filter(v, &fp)
			if d.t.key(m) == "includes" {
				sc.Includes = f
			} else {
				sc.Excludes = f
			}
		}
		if d.err != nil {
			return
		}
	}
	if errnoNode != nil {
		fp := p.field("errno")
		sc.ErrnoRet = d.mergeErrno(sc.ErrnoRet, errnoName, errnoNode, &fp, "errnoRet")
		if d.err != nil {
			return
		}
	}
	if sc.Name != "" && sc.Names != nil {
		m := d.t.get(n, "names")
		d.failKey(m, p, "both \"name\" and \"names\" are given; use one (Docker refuses the profile)")
		return
	}
	if sc.Name == "" && len(sc.Names) == 0 {
		d.fail(n, p, "no syscall names: give \"names\" (a non-empty list)")
		return
	}
	if !sawAction {
		d.fail(n, p, "missing action")
		return
	}
	if sc.Action == specs.ActNotify && (sc.Name == "write" || slices.Contains(sc.Names, "write")) {
		d.fail(n, p, "SCMP_ACT_NOTIFY cannot be used for write (runc refuses it: it needs write to talk to the agent)")
		return
	}
	d.checkErrnoUse(n, p, sc.Action, sc.ErrnoRet, "errnoRet", "errno")
	d.checkNames(n, p, sc)
}

// checkErrnoUse warns about an errno given to an action that takes none:
// Docker and runc accept it and ignore it. numField and nameField are the
// object's Docker and Podman fields for it.
func (d *decoder) checkErrnoUse(n *node, p *path, act specs.LinuxSeccompAction, errno *uint, numField, nameField string) {
	if errno == nil || act == "" || act == specs.ActErrno || act == specs.ActTrace {
		return
	}
	m := d.t.get(n, numField)
	if m == nil || m.kind == kNull {
		m = d.t.get(n, nameField)
	}
	if m == nil {
		return
	}
	wp := p.field(d.t.key(m))
	d.warn(m, &wp, "ignored: %s takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)", act)
}

// checkNames warns about syscall names no architecture knows: runc skips
// them silently, which usually hides a typo.
func (d *decoder) checkNames(n *node, p *path, sc *seccomp.Syscall) {
	if sc.Name != "" {
		if !knownSyscall(sc.Name) {
			m := d.t.get(n, "name")
			fp := p.field("name")
			d.warn(m, &fp, "unknown syscall %q on every architecture%s; runc skips it", sc.Name, didYouMean(syscalls.Suggest(sc.Name)))
		}
		return
	}
	for j, name := range sc.Names {
		if !knownSyscall(name) {
			m := d.t.get(n, "names")
			fp := p.field("names")
			jp := fp.index(j)
			d.warn(&d.t.kids(m)[j], &jp, "unknown syscall %q on every architecture%s; runc skips it", name, didYouMean(syscalls.Suggest(name)))
		}
	}
}

func (d *decoder) args(n *node, p *path) []specs.LinuxSeccompArg {
	if n.kind == kNull {
		return nil
	}
	if !d.expect(n, p, kArr, "an array of argument conditions") {
		return nil
	}
	out := take(&d.argPool, n.len())
	for i := range d.t.kids(n) {
		e := &d.t.kids(n)[i]
		ip := p.index(i)
		if !d.expect(e, &ip, kObj, "an argument condition {index, value, valueTwo, op}") || !d.fields(e, &ip, nil, argFields) {
			return nil
		}
		a := &out[i]
		sawIndex, sawOp := false, false
		for j := range d.t.kids(e) {
			m := &d.t.kids(e)[j]
			fp := ip.field(d.t.key(m))
			v := m
			if v.kind == kNull {
				if k := d.t.key(m); k == "value" || k == "valueTwo" {
					// encoding/json leaves the field 0, so Docker compares
					// with 0: rarely what a null was meant to say.
					d.fail(v, &fp, "%s is null; write the number to compare with (Docker would read null as 0)", k)
					return nil
				}
				continue
			}
			switch d.t.key(m) {
			case "index":
				sawIndex = true
				x, ok := d.unsigned(v, &fp, 5, "argument index %d is out of range 0..5 (a syscall has six arguments)")
				if ok {
					a.Index = uint(x)
				}
			case "value", "valueTwo":
				limit := uint64(1<<64 - 1)
				over := "%d is out of range"
				if d.mode == modeSPO {
					limit, over = 1<<63-1, "%d does not fit the SeccompProfile API's int64"
				}
				x, ok := d.unsigned(v, &fp, limit, over)
				if ok {
					if d.t.key(m) == "value" {
						a.Value = x
					} else {
						a.ValueTwo = x
					}
				}
			case "op":
				sawOp = true
				s, ok := d.stringVal(v, &fp)
				if ok {
					if !slices.Contains(operatorNames, s) {
						d.fail(v, &fp, "unknown operator %q%s", s, didYouMean(suggestNamed(s, operatorNames, operatorSynonyms())))
					}
					a.Op = specs.LinuxSeccompOperator(s)
				}
			}
			if d.err != nil {
				return nil
			}
		}
		if !sawIndex {
			d.fail(e, &ip, "missing index (0..5)")
			return nil
		}
		if !sawOp {
			d.fail(e, &ip, "missing op (SCMP_CMP_EQ, SCMP_CMP_MASKED_EQ, ...)")
			return nil
		}
		if a.ValueTwo != 0 && a.Op != specs.OpMaskedEqual {
			// moby's own profile writes "valueTwo": 0 on every condition;
			// only a value that would mean something is worth a word.
			m := d.t.get(e, "valueTwo")
			vp := ip.field("valueTwo")
			d.warn(m, &vp, "ignored: only SCMP_CMP_MASKED_EQ uses valueTwo (libseccomp ignores it for %s)", a.Op)
		}
	}
	return out
}

func (d *decoder) filter(n *node, p *path) *seccomp.Filter {
	if n.kind == kNull {
		return nil
	}
	if !d.expect(n, p, kObj, "an object {caps, arches, minKernel}") || !d.fields(n, p, nil, filterFields) {
		return nil
	}
	f := &seccomp.Filter{}
	for i := range d.t.kids(n) {
		m := &d.t.kids(n)[i]
		fp := p.field(d.t.key(m))
		v := m
		switch d.t.key(m) {
		case "caps":
			f.Caps, _ = d.strList(v, &fp, nil)
			for j, c := range f.Caps {
				if !slices.Contains(capNames, c) {
					jp := fp.index(j)
					s := suggest(c, capNames)
					if n := normalizeCap(c); slices.Contains(capNames, n) {
						s = n
					}
					d.fail(&d.t.kids(v)[j], &jp, "unknown capability %q%s", c, didYouMean(s))
					break
				}
			}
		case "arches":
			f.Arches, _ = d.strList(v, &fp, nil)
			for j, a := range f.Arches {
				if !slices.Contains(filterArchNames(), a) {
					jp := fp.index(j)
					s := suggest(a, filterArchNames())
					if arch, err := syscalls.ArchByName(a); err == nil {
						s = arch.Native
						if mn, _, ok := mobyNative(arch.Name); ok {
							s = mn
						}
					}
					d.fail(&d.t.kids(v)[j], &jp, "unknown architecture %q (includes/excludes use libseccomp's native names such as amd64, x86, arm64)%s", a, didYouMean(s))
					break
				}
			}
		case "minKernel":
			if v.kind == kNull {
				continue
			}
			s, ok := d.stringVal(v, &fp)
			if !ok {
				if v.kind == kNum {
					d.err.Msg += fmt.Sprintf(" (write it quoted: \"%s\")", d.t.str(v))
				}
				break
			}
			kv, err := parseMinKernel(s)
			if err != nil {
				d.fail(v, &fp, "%v", err)
				break
			}
			f.MinKernel = kv
		}
		if d.err != nil {
			return nil
		}
	}
	return f
}

// parseMinKernel reads minKernel exactly as moby's KernelVersion
// UnmarshalJSON does: "<kernel>.<major>", each part a decimal 0..255, not
// 0.0; "" means no constraint.
func parseMinKernel(s string) (*seccomp.KernelVersion, error) {
	if s == "" {
		return nil, nil
	}
	bad := fmt.Errorf("invalid minKernel %q: want \"<major>.<minor>\" such as \"4.8\"", s)
	parts := strings.SplitN(s, ".", 3)
	if len(parts) != 2 {
		return nil, bad
	}
	k, err1 := strconv.ParseUint(parts[0], 10, 8)
	m, err2 := strconv.ParseUint(parts[1], 10, 8)
	if err1 != nil || err2 != nil {
		return nil, bad
	}
	if k == 0 && m == 0 {
		return nil, fmt.Errorf("invalid minKernel %q: version cannot be 0.0", s)
	}
	return &seccomp.KernelVersion{Kernel: k, Major: m}, nil
}

func (d *decoder) extension(n *node, p *path) (*Extension, bool) {
	if n.kind == kNull {
		return nil, true
	}
	if !d.expect(n, p, kObj, "an object {allowRead, allowWrite, allowExec, allowBind, allowConnect}") || !d.fields(n, p, nil, extensionFields) {
		return nil, false
	}
	e := &Extension{}
	for i := range d.t.kids(n) {
		m := &d.t.kids(n)[i]
		fp := p.field(d.t.key(m))
		v := m
		switch d.t.key(m) {
		case "allowRead", "allowWrite", "allowExec":
			list, ok := d.strList(v, &fp, nil)
			if !ok {
				return nil, false
			}
			for j, s := range list {
				jp := fp.index(j)
				switch {
				case s == "":
					d.fail(&d.t.kids(v)[j], &jp, "empty path")
				case strings.IndexByte(s, 0) >= 0:
					d.fail(&d.t.kids(v)[j], &jp, "path contains a NUL byte")
				case !filepath.IsAbs(s):
					d.fail(&d.t.kids(v)[j], &jp, "path %q is relative; profile paths must be absolute", s)
				}
				if d.err != nil {
					return nil, false
				}
			}
			switch d.t.key(m) {
			case "allowRead":
				e.AllowRead = list
			case "allowWrite":
				e.AllowWrite = list
			default:
				e.AllowExec = list
			}
		case "allowBind", "allowConnect":
			if v.kind == kNull {
				continue
			}
			if !d.expect(v, &fp, kArr, "an array of TCP ports") {
				return nil, false
			}
			ports := make([]uint16, v.len())
			for j := range d.t.kids(v) {
				jp := fp.index(j)
				x, ok := d.unsigned(&d.t.kids(v)[j], &jp, 65535, "port %d is out of range 1..65535")
				if !ok {
					return nil, false
				}
				if x == 0 {
					// As for --allow-bind 0: Landlock would take 0 to mean
					// "an ephemeral port", which is not a TCP port to name.
					d.fail(&d.t.kids(v)[j], &jp, "port 0 is not a TCP port (1..65535)")
					return nil, false
				}
				ports[j] = uint16(x)
			}
			if d.t.key(m) == "allowBind" {
				e.AllowBind = ports
			} else {
				e.AllowConnect = ports
			}
		}
	}
	return e, true
}

// knownNames is syscalls.Names() as a set: a map lookup per name is several
// times cheaper than the table's binary search, and Docker's default
// profile names about 470 syscalls.
var knownNames = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, len(syscalls.Names()))
	for _, n := range syscalls.Names() {
		m[n] = struct{}{}
	}
	return m
})

func knownSyscall(name string) bool {
	_, ok := knownNames()[name]
	return ok
}
