package main

import (
	"errors"
	"io"
	"os"
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
// (text). Profiles are built with the resolution flags.
func loadFilterInput(stdin io.Reader, stderr io.Writer, arg string, pf *profileFlags) (*filterInput, error) {
	req, err := pf.request(arg, stdin)
	if err != nil {
		return nil, err
	}
	if slices.Contains(profile.Builtins(), arg) {
		return buildInput(req, stderr)
	}
	name, data, err := readInput(stdin, arg)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(arg, ".bpf") || !looksLikeText(data) {
		arch := req.Arch
		if arch == nil {
			if arch, err = resolveArch(""); err != nil {
				return nil, err
			}
		}
		prog, err := decodeProgram(name, data, arch)
		if err != nil {
			return nil, err
		}
		return &filterInput{prog: prog, arch: arch}, nil
	}
	p, err := profile.Parse(profileName(arg), data)
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
		return name, nil, cli.Usagef("%s: cannot read it: %v", name, err)
	}
	return name, data, nil
}

// looksLikeText tells a profile (JSON or YAML text) from a raw filter,
// whose first instruction is binary (a seccomp filter starts with a load,
// opcode 0x20, and zero bytes).
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
