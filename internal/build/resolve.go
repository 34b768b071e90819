package build

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/filterdump"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// The resolver: the one place where what a user typed (a built-in
// profile name, a file, "-" for standard input) becomes either a built
// profile or a validated raw filter. Every command and the Go API go
// through it, so inputs are named, read, sniffed and validated one way.

// Kind says what an input is, or must be.
type Kind int

const (
	// Any: a raw filter or a profile, told apart by content (and a *.bpf
	// name, which is always a raw filter).
	Any Kind = iota
	// FilterInput: a raw filter, struct sock_filter instructions in the
	// target architecture's byte order.
	FilterInput
	// AnyOrProcess: as Any, and also a running process, named by its
	// pid (a number that no file in the current directory has as name):
	// its filters, read from the kernel (Input.Process).
	AnyOrProcess
)

// StdinName is how standard input is named in messages and profiles.
const StdinName = "standard input"

// ErrNoStdin: "-" was given to a caller that passed no Stdin (libraries
// never read os.Stdin of their own accord).
var ErrNoStdin = errors.New(`standard input ("-") cannot be read here`)

// Input is a resolved input: a built profile (Result set) or a raw
// filter (Result nil).
type Input struct {
	// Name is how messages name the input: the path, the built-in name,
	// or StdinName.
	Name string
	// Result is the pipeline's result for a profile; nil for a raw filter.
	Result *Result
	// Program is the filter: the compiled profile or the raw program.
	Program bpf.Program
	// Arch is the filter's native ABI (its byte order for raw filters).
	Arch *syscalls.Arch
	// Invalid, with Resolve's force, says why the kernel would refuse a
	// raw filter that was returned anyway (nil: it would load it).
	Invalid error
	// Process holds the filters of a running process (AnyOrProcess with a
	// pid); Program is then nil (a process may run under a stack of
	// filters, see filterdump.Stack).
	Process *filterdump.Process
}

// Resolve reads req.Ref as want says (Any sniffs) and returns a built
// profile or a raw filter that the kernel would load. A raw filter the
// kernel would refuse is an error unless force, which returns it with
// Input.Invalid set (disasm --force). Errors name the input, and for a
// profile its line:column and field.
func Resolve(req Request, want Kind, force bool) (*Input, error) {
	ref := req.Ref
	if want == AnyOrProcess {
		if pid, ok := processRef(ref); ok {
			p, err := filterdump.Read(pid)
			if err != nil {
				return nil, err
			}
			arch := req.Arch
			if arch == nil {
				if arch, err = syscalls.Native(); err != nil {
					return nil, err
				}
			}
			return &Input{Name: fmt.Sprintf("process %d", pid), Process: p, Arch: arch}, nil
		}
		want = Any
	}
	if req.Profile != nil || profile.IsBuiltin(ref) && want != FilterInput {
		return resolveProfile(req)
	}
	name, data, err := readRef(ref, req.Stdin)
	if err != nil {
		return nil, err
	}
	if want == FilterInput || want == Any && (strings.HasSuffix(ref, ".bpf") || !looksLikeProfile(data)) {
		return resolveFilter(name, data, req.Arch, force)
	}
	p, err := profile.ParseOwned(name, data)
	if err != nil {
		return nil, err
	}
	req.Profile = p
	return resolveProfile(req)
}

// processRef reports whether ref names a process: a positive number that
// is no file's name.
func processRef(ref string) (int, bool) {
	pid, err := strconv.Atoi(ref)
	if err != nil || pid <= 0 {
		return 0, false
	}
	if _, err := os.Stat(ref); err == nil {
		return 0, false
	}
	return pid, true
}

func resolveProfile(req Request) (*Input, error) {
	res, err := Build(req)
	if err != nil {
		return nil, err
	}
	return &Input{Name: res.Profile.File, Result: res, Program: res.Program.Filter, Arch: res.Policy.Arches[0].Arch}, nil
}

func resolveFilter(name string, data []byte, arch *syscalls.Arch, force bool) (*Input, error) {
	if arch == nil {
		a, err := syscalls.Native()
		if err != nil {
			return nil, err
		}
		arch = a
	}
	prog, err := decodeProgram(name, data, arch)
	if err != nil {
		return nil, fmt.Errorf("%w%s", err, profileHint(data))
	}
	in := &Input{Name: name, Program: prog, Arch: arch}
	if err := bpf.Validate(prog); err != nil {
		if !force {
			return nil, fmt.Errorf("%s: not a seccomp filter the kernel would load (%w)%s", name, err, profileHint(data))
		}
		in.Invalid = err
	}
	return in, nil
}

// readRef reads a file, or stdin for "-".
func readRef(ref string, stdin io.Reader) (string, []byte, error) {
	if ref == "-" {
		if stdin == nil {
			return StdinName, nil, ErrNoStdin
		}
		data, err := io.ReadAll(stdin)
		if err != nil {
			return StdinName, nil, fmt.Errorf("%s: cannot read it: %w", StdinName, err)
		}
		return StdinName, data, nil
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(ref, `/\.`) {
			// Not a file, and a bare name: most likely a mistyped built-in,
			// worded with the closest name.
			if _, perr := profile.Load(ref); errors.Is(perr, profile.ErrUnknownProfile) {
				return ref, nil, perr
			}
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return ref, nil, fmt.Errorf("%s: cannot read it: %w", ref, err)
	}
	return ref, data, nil
}

// decodeProgram decodes a raw filter read from name.
func decodeProgram(name string, raw []byte, arch *syscalls.Arch) (bpf.Program, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s: empty file: a raw filter has 8 bytes per instruction", name)
	}
	if len(raw)%8 != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a raw filter: it must be a multiple of 8 bytes (one struct sock_filter each)", name, len(raw))
	}
	if n := len(raw) / 8; n > bpf.MaxInstructions {
		return nil, fmt.Errorf("%s: %d instructions, more than the kernel's %d", name, n, bpf.MaxInstructions)
	}
	prog, err := bpf.Decode(raw, bpf.ByteOrder(arch.BigEndian))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return prog, nil
}

// looksLikeProfile tells a profile (JSON or YAML text) from a raw filter.
// A profile is text, or at least starts like one: a profile with a bad
// byte further on is still a profile, and its parse error (with its
// line:column) says more than "N bytes is not a raw filter".
func looksLikeProfile(data []byte) bool {
	return looksLikeText(data) || profileKind(data) != ""
}

// looksLikeText reports whether data is UTF-8 text whose first character
// that is not white space is printable. A raw filter is not: its first
// instruction's 16-bit opcode is below 0x100, so one of its first two
// bytes is zero (a seccomp filter starts with a load, 0x20 0x00 in
// little-endian order).
func looksLikeText(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	for _, c := range data {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		case c == 0 || c < 0x20:
			return false
		}
		return true
	}
	return true
}

// profileKind says whether data starts like a JSON or a YAML profile
// ("JSON", "YAML", or "" for neither): its first line that is neither blank
// nor a YAML comment opens an object, is a document marker or a key. It
// looks at that line only, so a bad byte further on does not change the
// answer. A raw filter never matches: one of its first two bytes is zero.
func profileKind(data []byte) string {
	if len(data) >= 2 && (data[0] == 0 || data[1] == 0) {
		return ""
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var first []byte // the first line that is neither blank nor a YAML comment
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if line = bytes.TrimSpace(line); len(line) > 0 && line[0] != '#' {
			first = line
			break
		}
	}
	switch {
	case bytes.HasPrefix(first, []byte("{")):
		return "JSON"
	case string(first) == "---" || isYAMLKey(first):
		return "YAML"
	}
	return ""
}

// isYAMLKey reports whether line starts with a YAML mapping key
// ("kind: ..."): a letter or underscore, then letters, digits, "_", "."
// or "-", then ":" and a space or the end. (By hand: a regular expression
// would be compiled at start-up, which every run of the binary pays.)
func isYAMLKey(line []byte) bool {
	for i, c := range line {
		switch {
		case c == ':' && i > 0:
			return i+1 == len(line) || line[i+1] == ' ' || line[i+1] == '\t'
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return false
}

// profileHint says when a file read as a raw filter looks like a profile.
func profileHint(data []byte) string {
	kind := profileKind(data)
	if kind == "" {
		return ""
	}
	return fmt.Sprintf("; it looks like a %s profile, but a *.bpf file is read as a raw filter: rename it (e.g. to *.%s) or pass it as - on standard input", kind, strings.ToLower(kind))
}
