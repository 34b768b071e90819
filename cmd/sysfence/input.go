package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/internal/cli"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// filterInput is what disasm and check take: a raw filter or a profile
// (compiled on the way). res is nil for a raw filter.
type filterInput struct {
	prog bpf.Program
	arch *syscalls.Arch // the filter's native ABI (names, byte order)
	res  *build.Result
}

// loadFilterInput reads arg: a built-in profile name, "-" (stdin) or a
// file, holding either a raw filter (binary, or a *.bpf file) or a profile
// (text). Profiles are built with the resolution flags. A raw filter the
// kernel would refuse is an error; force is disasm's --force (nil for
// commands without one): when set, such a filter comes back with a
// warning on stderr.
func loadFilterInput(stdin io.Reader, stderr io.Writer, arg string, pf *profileFlags, force *bool) (*filterInput, error) {
	req, err := pf.request(arg, stdin)
	if err != nil {
		return nil, err
	}
	if slices.Contains(profile.Builtins(), arg) {
		return buildInput(req, stderr)
	}
	name, data, err := readInput(stdin, arg)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(arg, `/\.`) {
			// Not a file, and a bare name: a mistyped built-in, most
			// likely. profile.Load words it as compile and run do, with
			// the closest built-in name.
			if _, perr := profile.Load(arg); errors.Is(perr, profile.ErrUnknownProfile) {
				return nil, cli.Usage(perr)
			}
		}
		return nil, err
	}
	if strings.HasSuffix(arg, ".bpf") || !looksLikeProfile(data) {
		arch := req.Arch
		if arch == nil {
			if arch, err = resolveArch(""); err != nil {
				return nil, err
			}
		}
		prog, err := decodeProgram(name, data, arch)
		if err == nil {
			err = bpf.Validate(prog)
		}
		var bad *bpf.Error
		switch {
		case errors.As(err, &bad) && force != nil && *force:
			fmt.Fprintf(stderr, "sysfence: warning: %s: the kernel would refuse this filter: %v\n", name, err)
		case errors.As(err, &bad):
			hint := profileHint(data)
			if hint == "" && force != nil {
				hint = "; --force lists it anyway"
			}
			return nil, cli.Usagef("%s: not a seccomp filter the kernel would load (%v)%s", name, err, hint)
		case err != nil:
			return nil, cli.Usagef("%s%s", err, profileHint(data))
		}
		return &filterInput{prog: prog, arch: arch}, nil
	}
	p, err := profile.ParseOwned(profileName(arg), data)
	if err != nil {
		return nil, cli.Usage(err)
	}
	req.Profile = p
	return buildInput(req, stderr)
}

func buildInput(req build.Request, stderr io.Writer) (*filterInput, error) {
	res, err := buildProfile(req, stderr)
	if err != nil {
		return nil, err
	}
	return &filterInput{prog: res.Program.Filter, arch: res.Policy.Arches[0].Arch, res: res}, nil
}

func profileName(arg string) string {
	if arg == "-" {
		return "<stdin>"
	}
	return arg
}

// readInput reads a file or stdin ("-").
func readInput(stdin io.Reader, arg string) (string, []byte, error) {
	name := arg
	var data []byte
	var err error
	if arg == "-" {
		name = "standard input"
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(arg)
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return name, nil, cli.Usagef("%s: cannot read it: %w", name, err)
	}
	return name, data, nil
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

// decodeProgram decodes a raw filter read from name.
func decodeProgram(name string, raw []byte, arch *syscalls.Arch) (bpf.Program, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("%s: empty file: a raw filter has 8 bytes per instruction", name)
	}
	if len(raw)%8 != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a raw filter: it must be a multiple of 8 bytes (one struct sock_filter each)", name, len(raw))
	}
	prog, err := bpf.Decode(raw, bpf.ByteOrder(arch.BigEndian))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return prog, nil
}

// yamlKey is a YAML mapping key at the start of a line ("kind: ...").
var yamlKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*:(\s|$)`)

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
	case string(first) == "---" || yamlKey.Match(first):
		return "YAML"
	}
	return ""
}

// profileHint explains, for data read as a raw filter, that it looks like
// a profile instead (a JSON object, or YAML: a document marker or a key):
// a *.bpf name makes sysfence read a file as a raw filter.
func profileHint(data []byte) string {
	kind := profileKind(data)
	if kind == "" {
		return ""
	}
	return fmt.Sprintf("; it looks like a %s profile, but a *.bpf file is read as a raw filter: rename it (e.g. to *.%s) or pass it as - on standard input", kind, strings.ToLower(kind))
}
