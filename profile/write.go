package profile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"go.yaml.in/yaml/v3"

	"github.com/sysfence/sysfence/internal/atomicfile"
)

// WriteOptions choose the output of Marshal and WriteFile.
type WriteOptions struct {
	// Format: FormatDocker (the default; FormatPodman writes the same),
	// FormatOCI (a bare LinuxSeccomp), FormatOCIConfig (a config.json
	// fragment {"linux":{"seccomp":...}}) or FormatSPO (a Kubernetes
	// SeccompProfile).
	Format Format
	// Encoding: JSON or YAML; zero picks JSON, or YAML for FormatSPO.
	Encoding Encoding
	// Name and Namespace set a SeccompProfile's metadata. Without a Name,
	// the parsed SeccompProfile's name is kept, else one is derived from
	// the profile's file name.
	Name, Namespace string
}

// SPOAPIVersion is the SeccompProfile apiVersion sysfence writes.
const SPOAPIVersion = "security-profiles-operator.x-k8s.io/v1beta1"

// Marshal writes a profile. The output is deterministic (the same profile
// gives the same bytes) and ends with a newline. Docker JSON is laid out
// like moby's default.json (tab indentation, moby's field order), with the
// x-sysfence section last. A profile that cannot be expressed in the
// requested format without changing its meaning (Docker conditions in an
// OCI or SPO output, SPO's integer limits) is refused with an error that
// unwraps to ErrNotRepresentable.
func Marshal(p *Profile, o WriteOptions) ([]byte, error) {
	f := o.Format
	if f == 0 || f == FormatPodman {
		f = FormatDocker
	}
	enc := o.Encoding
	if enc == 0 {
		enc = JSON
		if f == FormatSPO {
			enc = YAML
		}
	}
	var v any
	var comments []string
	switch f {
	case FormatDocker:
		s := *p.Seccomp
		if s.Syscalls == nil {
			s.Syscalls = []*seccomp.Syscall{}
		}
		v = &dockerDoc{Seccomp: s, Ext: p.Ext}
	case FormatOCI, FormatOCIConfig:
		oci, err := ociOf(p, f)
		if err != nil {
			return nil, err
		}
		doc := &ociDoc{LinuxSeccomp: *oci, Ext: p.Ext}
		if f == FormatOCI {
			v = doc
		} else {
			v = map[string]any{"linux": map[string]any{"seccomp": doc}}
		}
	case FormatSPO:
		doc, err := spoOf(p, o)
		if err != nil {
			return nil, err
		}
		v = doc
		for _, c := range doc.Spec.Syscalls {
			comments = append(comments, c.comment)
		}
	default:
		return nil, fmt.Errorf("%w: unknown output format %v", ErrNotRepresentable, o.Format)
	}
	var buf bytes.Buffer
	je := json.NewEncoder(&buf)
	je.SetEscapeHTML(false)
	je.SetIndent("", "\t")
	if err := je.Encode(v); err != nil {
		return nil, err
	}
	if enc == JSON {
		return buf.Bytes(), nil
	}
	return jsonToYAML(buf.String(), comments)
}

// WriteFile writes Marshal's output to path atomically: readers never see a
// half-written profile, and on error the file is left as it was.
func WriteFile(path string, p *Profile, o WriteOptions) error {
	data, err := Marshal(p, o)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, 0o644)
}

// dockerDoc is moby's profile with the extension section last.
type dockerDoc struct {
	seccomp.Seccomp
	Ext *Extension `json:"x-sysfence,omitempty"`
}

// ociDoc is a runtime-spec LinuxSeccomp with the extension section last
// (runc decodes config.json leniently and ignores it).
type ociDoc struct {
	specs.LinuxSeccomp
	Ext *Extension `json:"x-sysfence,omitempty"`
}

func notRepresentable(p *Profile, path string, f Format, why string) error {
	e := p.Errorf(path, "cannot be written as %s: %s", f, why)
	e.Kind = ErrNotRepresentable
	return e
}

// ociOf converts a profile without Docker conditions to runtime-spec form.
// Comments are dropped (they carry no meaning); "name" becomes "names".
func ociOf(p *Profile, f Format) (*specs.LinuxSeccomp, error) {
	s := p.Seccomp
	const resolve = "it is a Docker condition; resolve the profile for a target first"
	if len(s.ArchMap) > 0 {
		return nil, notRepresentable(p, "archMap", f, resolve)
	}
	if i := slices.Index(s.Architectures, archNative); i >= 0 {
		return nil, notRepresentable(p, fmt.Sprintf("architectures[%d]", i), f, "runc does not accept SCMP_ARCH_NATIVE; resolve the profile for a target first")
	}
	out := s.LinuxSeccomp
	out.Syscalls = make([]specs.LinuxSyscall, 0, len(s.Syscalls))
	for i, c := range s.Syscalls {
		if c.Includes != nil && !emptyFilter(c.Includes) {
			return nil, notRepresentable(p, fmt.Sprintf("syscalls[%d].includes", i), f, resolve)
		}
		if c.Excludes != nil && !emptyFilter(c.Excludes) {
			return nil, notRepresentable(p, fmt.Sprintf("syscalls[%d].excludes", i), f, resolve)
		}
		sc := c.LinuxSyscall
		if c.Name != "" {
			sc.Names = []string{c.Name}
		}
		out.Syscalls = append(out.Syscalls, sc)
	}
	if len(out.Syscalls) == 0 {
		out.Syscalls = nil
	}
	return &out, nil
}

func emptyFilter(f *seccomp.Filter) bool {
	return len(f.Arches) == 0 && len(f.Caps) == 0 && f.MinKernel == nil
}

// newFromOCI wraps a runtime-spec profile in the model.
func newFromOCI(oci *specs.LinuxSeccomp, ext *Extension) *Profile {
	s := &seccomp.Seccomp{LinuxSeccomp: *oci}
	s.LinuxSeccomp.Syscalls = nil
	s.Syscalls = make([]*seccomp.Syscall, len(oci.Syscalls))
	vals := make([]seccomp.Syscall, len(oci.Syscalls))
	for i, c := range oci.Syscalls {
		vals[i].LinuxSyscall = c
		s.Syscalls[i] = &vals[i]
	}
	return &Profile{File: "<generated>", Format: FormatOCI, Encoding: JSON, Seccomp: s, Ext: ext}
}

// NewFromOCI wraps a runtime-spec LinuxSeccomp (e.g. read from a container's
// config) as a Profile without positions.
func NewFromOCI(oci *specs.LinuxSeccomp, ext *Extension) *Profile { return newFromOCI(oci, ext) }

// The SeccompProfile document, in the field order kubectl shows.
type spoDoc struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   spoMetadata `json:"metadata"`
	Spec       spoSpec     `json:"spec"`
}

type spoMetadata struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

type spoSpec struct {
	DefaultAction    specs.LinuxSeccompAction `json:"defaultAction"`
	Architectures    []specs.Arch             `json:"architectures,omitempty"`
	Flags            []specs.LinuxSeccompFlag `json:"flags,omitempty"`
	ListenerPath     string                   `json:"listenerPath,omitempty"`
	ListenerMetadata string                   `json:"listenerMetadata,omitempty"`
	Syscalls         []spoSyscall             `json:"syscalls,omitempty"`
}

type spoSyscall struct {
	Names    []string                 `json:"names"`
	Action   specs.LinuxSeccompAction `json:"action"`
	ErrnoRet uint                     `json:"errnoRet,omitempty"`
	Args     []spoArg                 `json:"args,omitempty"`
	comment  string
}

type spoArg struct {
	Index    uint                       `json:"index"`
	Value    uint64                     `json:"value"`
	ValueTwo uint64                     `json:"valueTwo,omitempty"`
	Op       specs.LinuxSeccompOperator `json:"op"`
}

func spoOf(p *Profile, o WriteOptions) (*spoDoc, error) {
	s := p.Seccomp
	const f = FormatSPO
	if p.Ext != nil {
		return nil, notRepresentable(p, ExtensionKey, f, "the Kubernetes API server drops unknown spec fields; keep path and port rules in a Docker/OCI profile")
	}
	oci, err := ociOf(p, f)
	if err != nil {
		return nil, err
	}
	if d := oci.DefaultErrnoRet; d != nil && *d != 1 {
		return nil, notRepresentable(p, "defaultErrnoRet", f, fmt.Sprintf("a SeccompProfile has no defaultErrnoRet (it always means EPERM, not %d)", *d))
	}
	for i, a := range oci.Architectures {
		if !slices.Contains(spoArchNames, string(a)) {
			return nil, notRepresentable(p, fmt.Sprintf("architectures[%d]", i), f, fmt.Sprintf("the SeccompProfile API does not accept %s", a))
		}
	}
	doc := &spoDoc{APIVersion: SPOAPIVersion, Kind: "SeccompProfile"}
	doc.Metadata.Name, doc.Metadata.Namespace = o.Name, o.Namespace
	if p.SPO != nil {
		if doc.Metadata.Name == "" {
			doc.Metadata.Name = p.SPO.Name
		}
		if doc.Metadata.Namespace == "" {
			doc.Metadata.Namespace = p.SPO.Namespace
		}
	}
	if doc.Metadata.Name == "" {
		doc.Metadata.Name = k8sName(p.File)
	}
	doc.Spec = spoSpec{
		DefaultAction: oci.DefaultAction, Architectures: oci.Architectures, Flags: oci.Flags,
		ListenerPath: oci.ListenerPath, ListenerMetadata: oci.ListenerMetadata,
	}
	for i, c := range oci.Syscalls {
		sc := spoSyscall{Names: c.Names, Action: c.Action, comment: s.Syscalls[i].Comment}
		if c.ErrnoRet != nil {
			if *c.ErrnoRet == 0 {
				return nil, notRepresentable(p, fmt.Sprintf("syscalls[%d].errnoRet", i), f, "the SeccompProfile API reads errnoRet 0 as unset (EPERM)")
			}
			sc.ErrnoRet = *c.ErrnoRet
		}
		for j, a := range c.Args {
			if a.Value > 1<<63-1 || a.ValueTwo > 1<<63-1 {
				return nil, notRepresentable(p, fmt.Sprintf("syscalls[%d].args[%d]", i, j), f, "the SeccompProfile API stores argument values as int64")
			}
			sc.Args = append(sc.Args, spoArg{Index: a.Index, Value: a.Value, ValueTwo: a.ValueTwo, Op: a.Op})
		}
		doc.Spec.Syscalls = append(doc.Spec.Syscalls, sc)
	}
	return doc, nil
}

var nonName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^a-z0-9.-]+`) })

// k8sName derives a Kubernetes object name (RFC 1123 subdomain) from a file
// name: "My Profile.json" -> "my-profile".
func k8sName(file string) string {
	base := strings.ToLower(filepath.Base(file))
	base = strings.TrimSuffix(base, filepath.Ext(base))
	base = strings.Trim(nonName().ReplaceAllString(base, "-"), "-.")
	if len(base) > 253 {
		base = strings.Trim(base[:253], "-.")
	}
	if base == "" {
		return "sysfence-profile"
	}
	return base
}

// jsonToYAML re-encodes JSON text as YAML with the same field order,
// indented by two spaces. comments, if given, become the head comments of
// the entries of the first "syscalls" sequence found (a SeccompProfile has
// no comment field).
func jsonToYAML(src string, comments []string) ([]byte, error) {
	t, perr := scanJSON("<output>", src)
	if perr != nil {
		return nil, perr
	}
	root := &t.nodes[len(t.nodes)-1]
	y := toYAMLNode(t, root, comments)
	var buf bytes.Buffer
	ye := yaml.NewEncoder(&buf)
	ye.SetIndent(2)
	if err := ye.Encode(y); err != nil {
		return nil, err
	}
	if err := ye.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func toYAMLNode(t *tree, n *node, comments []string) *yaml.Node {
	switch n.kind {
	case kObj:
		y := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for i := range t.kids(n) {
			m := &t.kids(n)[i]
			k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t.key(m)}
			v := toYAMLNode(t, m, comments)
			if t.key(m) == "syscalls" && m.kind == kArr && comments != nil {
				for j, e := range v.Content {
					if j < len(comments) && comments[j] != "" {
						e.HeadComment = "# " + strings.ReplaceAll(comments[j], "\n", "\n# ")
					}
				}
				comments = nil
			}
			y.Content = append(y.Content, k, v)
		}
		return y
	case kArr:
		y := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for i := range t.kids(n) {
			y.Content = append(y.Content, toYAMLNode(t, &t.kids(n)[i], comments))
		}
		return y
	case kStr:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t.str(n)}
	case kNum:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: t.str(n)}
	case kBool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: t.str(n)}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
}
