package profile

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/moby/profiles/seccomp"
)

// Format is the dialect a profile is written in.
type Format int

const (
	// FormatDocker is moby's profile: a seccomp object that uses at least
	// one Docker-only field (archMap, name, comment, includes, excludes).
	FormatDocker Format = iota + 1
	// FormatPodman is a Docker profile using Podman's extensions
	// (defaultErrno/errno names, SCMP_ARCH_NATIVE).
	FormatPodman
	// FormatOCI is a bare runtime-spec LinuxSeccomp object: only fields
	// every runtime reads the same way. Docker, Podman and runc (inside
	// config.json) all accept it.
	FormatOCI
	// FormatOCIConfig is a full OCI config.json; the profile is its
	// linux.seccomp.
	FormatOCIConfig
	// FormatSPO is a Kubernetes Security Profiles Operator SeccompProfile
	// object; the profile is its spec.
	FormatSPO
)

var formatNames = []string{FormatDocker: "docker", FormatPodman: "podman", FormatOCI: "oci", FormatOCIConfig: "oci-config", FormatSPO: "spo"}

func (f Format) String() string {
	if f > 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat reads a format name as String prints it ("docker", "oci",
// "oci-config", "spo", "podman"); "k8s" and "kubernetes" mean "spo".
func ParseFormat(s string) (Format, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	switch l {
	case "k8s", "kubernetes", "seccompprofile":
		return FormatSPO, nil
	case "config", "config.json", "oci-config.json":
		return FormatOCIConfig, nil
	}
	for f, n := range formatNames {
		if n != "" && n == l {
			return Format(f), nil
		}
	}
	names := slices.DeleteFunc(slices.Clone(formatNames), func(s string) bool { return s == "" })
	return 0, fmt.Errorf("unknown profile format %q%s; known: %s", s, didYouMean(suggest(s, names)), strings.Join(names, ", "))
}

// Encoding is the text syntax of a profile.
type Encoding int

const (
	JSON Encoding = iota + 1
	YAML
)

func (e Encoding) String() string {
	switch e {
	case JSON:
		return "json"
	case YAML:
		return "yaml"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// ExtensionKey is the name of sysfence's section in a profile. Docker,
// runc and Podman decode profiles leniently and ignore it; sysfence
// validates it strictly.
const ExtensionKey = "x-sysfence"

// Extension holds what seccomp alone cannot enforce: path and port rules
// (enforced with Landlock by `sysfence run`).
//
//	"x-sysfence": {
//	  "allowRead": ["/etc/hostname"], "allowWrite": ["/tmp"], "allowExec": ["/usr/bin/cat"],
//	  "allowBind": [4000], "allowConnect": [443]
//	}
//
// Paths are absolute; a directory covers its tree. Ports are TCP ports.
type Extension struct {
	AllowRead    []string `json:"allowRead,omitempty" yaml:"allowRead,omitempty"`
	AllowWrite   []string `json:"allowWrite,omitempty" yaml:"allowWrite,omitempty"`
	AllowExec    []string `json:"allowExec,omitempty" yaml:"allowExec,omitempty"`
	AllowBind    []uint16 `json:"allowBind,omitempty" yaml:"allowBind,omitempty"`
	AllowConnect []uint16 `json:"allowConnect,omitempty" yaml:"allowConnect,omitempty"`
}

// SPOMeta keeps the identity of a SeccompProfile object so that writing it
// back keeps it.
type SPOMeta struct {
	APIVersion string
	Name       string
	Namespace  string
}

// Profile is a parsed profile: moby's model of it (exactly what Docker
// reads), where it came from, and where each field was written.
type Profile struct {
	// File names the source in messages: the file name, "standard input", or the
	// built-in profile's name.
	File     string
	Format   Format
	Encoding Encoding
	// Seccomp is the profile in moby's types. For OCI, config.json and SPO
	// input it holds the same fields (names only, no includes/excludes).
	// Podman errno names are already turned into errnoRet numbers.
	Seccomp *seccomp.Seccomp
	// Ext is the x-sysfence section, or nil.
	Ext *Extension
	// SPO is set for FormatSPO input.
	SPO *SPOMeta
	// Warnings are remarks that do not stop the profile from loading.
	Warnings []*Warning

	mu       sync.Mutex
	tree     *tree
	root     *node  // the seccomp object in the source
	rootPath string // its path in the document ("", "linux.seccomp", "spec")
	// lazy builds root on first use for profiles that were not parsed
	// (built-ins): positions cost nothing until a report needs one.
	lazy func() (*tree, *node, string)
}

// New wraps a profile built in Go (e.g. by a recorder). It has no source
// positions.
func New(s *seccomp.Seccomp, ext *Extension) *Profile {
	return &Profile{File: "<generated>", Format: detectModel(s), Encoding: JSON, Seccomp: s, Ext: ext}
}

// detectModel tells Docker from OCI for a profile built in Go.
func detectModel(s *seccomp.Seccomp) Format {
	if len(s.ArchMap) > 0 {
		return FormatDocker
	}
	for _, c := range s.Syscalls {
		if c.Name != "" || c.Comment != "" || c.Includes != nil || c.Excludes != nil {
			return FormatDocker
		}
	}
	return FormatOCI
}

func (p *Profile) source() (*tree, *node, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.root == nil && p.lazy != nil {
		p.tree, p.root, p.rootPath = p.lazy()
		p.lazy = nil
	}
	return p.tree, p.root, p.rootPath
}

// Pos returns where a field of the profile was written, given its path in
// the model ("defaultAction", "syscalls[12]", "syscalls[12].names[3]",
// "syscalls[12].args[0].op"). Paths are relative to the seccomp object
// (inside config.json or a SeccompProfile too). Unknown paths, and profiles
// without a source, give the zero Pos.
func (p *Profile) Pos(path string) Pos {
	t, root, _ := p.source()
	if root == nil {
		return Pos{}
	}
	n, _, ok := t.lookup(root, path)
	if !ok {
		return Pos{}
	}
	return t.pos(n)
}

// KeyPos is like Pos but returns the position of the field's key (for
// object members).
func (p *Profile) KeyPos(path string) Pos {
	t, root, _ := p.source()
	if root == nil {
		return Pos{}
	}
	_, kp, ok := t.lookup(root, path)
	if !ok || !kp.IsValid() {
		return p.Pos(path)
	}
	return kp
}

// EntryPos returns the position of syscalls[i].
func (p *Profile) EntryPos(i int) Pos { return p.Pos(fmt.Sprintf("syscalls[%d]", i)) }

// DocPath turns a model path into the path in the source document
// ("syscalls[3]" -> "linux.seccomp.syscalls[3]" in a config.json).
func (p *Profile) DocPath(path string) string {
	_, _, rp := p.source()
	switch {
	case rp == "":
		return path
	case path == "":
		return rp
	case path[0] == '[':
		return rp + path
	}
	return rp + "." + path
}

// Where formats a model path's location for messages:
// "profile.json:41:5" (or just the file name when the position is
// unknown).
func (p *Profile) Where(path string) string {
	pos := p.Pos(path)
	if !pos.IsValid() {
		return p.File
	}
	return p.File + ":" + pos.String()
}

// Errorf makes a positioned error about a field of the profile, for
// checks that run after parsing (compile, --strict); the error unwraps
// to ErrInvalidProfile.
func (p *Profile) Errorf(path string, format string, args ...any) *ParseError {
	pos := p.Pos(path)
	return &ParseError{File: p.File, Line: pos.Line, Col: pos.Col, Path: p.DocPath(path), Msg: fmt.Sprintf(format, args...)}
}

// Parse reads a profile in any supported format from JSON or YAML text.
// filename is used in messages only. Every error is a *ParseError.
func Parse(filename string, data []byte) (*Profile, error) {
	return parse(filename, string(data), data)
}

// parse reads src; data is the same bytes (for the YAML library).
func parse(filename, src string, data []byte) (*Profile, error) {
	i := 0
	if strings.HasPrefix(src, "\xef\xbb\xbf") {
		i = 3
	}
	for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\r' || src[i] == '\n') {
		i++
	}
	if i == len(src) {
		return nil, &ParseError{File: filename, Line: 1, Col: 1, Msg: "empty profile", Kind: ErrSyntax}
	}
	if src[i] != '{' && src[i] != '[' {
		return parseYAML(filename, data)
	}
	// JSON: the tree is needed only while decoding; positions asked for
	// later come from scanning the text again (it is kept anyway, as the
	// model's strings point into it). So the tree's memory is recycled.
	pooled := arenaPool.Get().(*[]node)
	defer func() {
		// A large profile's arena is left to the garbage collector: kept
		// in the pool, it would stay alive through the compile that
		// follows (the pool frees it only after two collections).
		if cap(*pooled) <= maxPooledNodes {
			arenaPool.Put(pooled)
		}
	}()
	t, perr := scanJSONInto(filename, src, *pooled)
	if perr != nil {
		// "{" also starts a YAML flow mapping, whose keys need no quotes
		// ({defaultAction: SCMP_ACT_ERRNO}). A file that does not say it
		// is JSON is read as YAML if it is well-formed YAML; otherwise
		// the JSON error is the helpful one.
		if !strings.EqualFold(filepath.Ext(filename), ".json") {
			if yt, yerr := scanYAML(filename, data); yerr == nil {
				return decodeYAML(filename, yt)
			}
		}
		return nil, perr
	}
	p, perr := decodeDocument(filename, t)
	*pooled = t.nodes[:0]
	if perr != nil {
		return nil, perr
	}
	p.Encoding = JSON
	rootPath := p.rootPath
	p.tree, p.root = nil, nil
	p.lazy = func() (*tree, *node, string) {
		t, perr := scanJSON(filename, src)
		if perr != nil {
			return nil, nil, ""
		}
		root, _, ok := t.lookup(&t.nodes[len(t.nodes)-1], rootPath)
		if !ok {
			return nil, nil, ""
		}
		return t, root, rootPath
	}
	return p, nil
}

// parseYAML reads a YAML profile.
func parseYAML(filename string, data []byte) (*Profile, error) {
	t, perr := scanYAML(filename, data)
	if perr != nil {
		return nil, perr
	}
	return decodeYAML(filename, t)
}

// decodeYAML decodes the tree of a YAML profile.
func decodeYAML(filename string, t *tree) (*Profile, error) {
	p, perr := decodeDocument(filename, t)
	if perr != nil {
		return nil, perr
	}
	p.Encoding = YAML
	return p, nil
}

// ociConfigKeys are top-level fields that only an OCI config.json has.
var ociConfigKeys = []string{"ociVersion", "linux", "process", "root", "mounts", "hooks", "hostname", "domainname", "annotations"}

// decodeDocument decodes a tree whose root is its last node.
func decodeDocument(file string, t *tree) (*Profile, *ParseError) {
	root := &t.nodes[len(t.nodes)-1]
	d := &decoder{t: t, file: file}
	top := path{}
	if root.kind != kObj {
		d.fail(root, &top, "a profile must be an object, got %s", root.kind)
		return nil, d.err
	}
	p := &Profile{File: file}
	var body *node
	var bodyPath path
	switch {
	case d.t.get(root, "apiVersion") != nil || d.t.get(root, "kind") != nil:
		p.Format = FormatSPO
		d.mode = modeSPO
		p.SPO = d.spoEnvelope(root, &top)
		if d.err != nil {
			return nil, d.err
		}
		body = d.t.get(root, "spec")
		bodyPath = top.field("spec")
	case slices.ContainsFunc(ociConfigKeys, func(k string) bool { return d.t.get(root, k) != nil }):
		p.Format = FormatOCIConfig
		d.mode = modeOCIConfig
		linux := d.t.get(root, "linux")
		if linux == nil {
			d.fail(root, &top, "OCI config.json without linux.seccomp: there is no profile to read")
			return nil, d.err
		}
		lp := top.field("linux")
		if !d.expect(linux, &lp, kObj, "an object") {
			return nil, d.err
		}
		sc := d.t.get(linux, "seccomp")
		if sc == nil {
			d.failKey(linux, &lp, "OCI config.json without linux.seccomp: there is no profile to read")
			return nil, d.err
		}
		body = sc
		bodyPath = lp.field("seccomp")
	default:
		d.mode = modeBare
		body = root
		bodyPath = top
	}
	s, ext := d.seccompObject(body, &bodyPath)
	if d.err != nil {
		return nil, d.err
	}
	if d.mode == modeBare {
		switch {
		case d.podman:
			p.Format = FormatPodman
		case d.dockerOnly:
			p.Format = FormatDocker
		default:
			p.Format = FormatOCI
		}
	}
	p.Seccomp, p.Ext, p.Warnings = s, ext, d.warns
	p.tree, p.root, p.rootPath = t, body, bodyPath.String()
	return p, nil
}

// spoEnvelope checks a SeccompProfile's apiVersion, kind, metadata and
// spec, and returns its identity.
func (d *decoder) spoEnvelope(root *node, top *path) *SPOMeta {
	if !d.fields(root, top, nil, spoFields) {
		return nil
	}
	meta := &SPOMeta{}
	av := d.t.get(root, "apiVersion")
	if av == nil {
		d.fail(root, top, "missing apiVersion (security-profiles-operator.x-k8s.io/v1beta1)")
		return nil
	}
	ap := top.field("apiVersion")
	s, ok := d.stringVal(av, &ap)
	if !ok {
		return nil
	}
	if !slices.Contains(spoAPIVersions, s) {
		d.fail(av, &ap, "unsupported apiVersion %q%s; sysfence reads %s", s, didYouMean(suggest(s, spoAPIVersions)), strings.Join(spoAPIVersions, ", "))
		return nil
	}
	meta.APIVersion = s
	k := d.t.get(root, "kind")
	kp := top.field("kind")
	if k == nil {
		d.fail(root, top, "missing kind (SeccompProfile)")
		return nil
	}
	if s, ok := d.stringVal(k, &kp); !ok {
		return nil
	} else if s != "SeccompProfile" {
		d.fail(k, &kp, "kind %q is not a seccomp profile%s", s, didYouMean(suggest(s, []string{"SeccompProfile"})))
		return nil
	}
	if m := d.t.get(root, "metadata"); m != nil && m.kind != kNull {
		mp := top.field("metadata")
		if !d.expect(m, &mp, kObj, "an object") {
			return nil
		}
		for _, f := range []string{"name", "namespace"} {
			if v := d.t.get(m, f); v != nil && v.kind != kNull {
				fp := mp.field(f)
				s, ok := d.stringVal(v, &fp)
				if !ok {
					return nil
				}
				if f == "name" {
					meta.Name = s
				} else {
					meta.Namespace = s
				}
			}
		}
	}
	if sp := d.t.get(root, "spec"); sp == nil {
		d.fail(root, top, "missing spec")
		return nil
	}
	return meta
}

// Validate checks a profile built in Go (New, NewFromOCI, a recorder) with
// the same rules Parse applies to text, and returns Parse's warnings. The
// positions in errors and warnings refer to the profile's Docker JSON text
// as Marshal writes it.
func Validate(p *Profile) ([]*Warning, error) {
	data, err := Marshal(p, WriteOptions{Format: FormatDocker})
	if err != nil {
		return nil, err
	}
	q, err := Parse(p.File, data)
	if err != nil {
		return nil, err
	}
	return q.Warnings, nil
}
