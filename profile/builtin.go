package profile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"unsafe"

	"github.com/moby/profiles/seccomp"
)

// builtin finds a profile known by name. docker-default comes from the
// moby module itself, so upgrading the module upgrades it (moby defines it
// for Linux only; see builtin_linux.go).
func builtin(name string) (func() *seccomp.Seccomp, bool) {
	if name == "docker-default" && dockerDefault != nil {
		return dockerDefault, true
	}
	return nil, false
}

// Builtins lists the names of the built-in profiles, sorted.
func Builtins() []string {
	out := []string{}
	if dockerDefault != nil {
		out = append(out, "docker-default")
	}
	return out
}

// Builtin returns a built-in profile by name. Its positions refer to its
// Docker JSON text (as Marshal writes it, which for docker-default is
// moby's default.json), produced only when a position is asked for.
func Builtin(name string) (*Profile, error) {
	mk, ok := builtin(name)
	if !ok {
		return nil, fmt.Errorf("%w %q%s; built-in profiles: %s", ErrUnknownProfile, name, didYouMean(suggest(name, Builtins())), strings.Join(Builtins(), ", "))
	}
	p := &Profile{File: name, Format: FormatDocker, Encoding: JSON, Seccomp: mk()}
	p.lazy = func() (*tree, *node, string) {
		data, err := Marshal(&Profile{File: name, Seccomp: mk()}, WriteOptions{Format: FormatDocker})
		if err != nil {
			return nil, nil, ""
		}
		t, perr := scanJSON(name, string(data))
		if perr != nil {
			return nil, nil, ""
		}
		return t, &t.nodes[len(t.nodes)-1], ""
	}
	return p, nil
}

// Load reads a profile named on a command line: a built-in name
// ("docker-default") or a file path. A built-in name wins over a file of
// the same name in the current directory; write "./docker-default" for
// the file. Standard input ("-") is the caller's to read (package
// internal/build's resolver does), never a library's.
func Load(ref string) (*Profile, error) {
	if _, ok := builtin(ref); ok {
		return Builtin(ref)
	}
	if ref == "-" {
		return nil, fmt.Errorf(`%w "-": standard input is read by the caller (give its data to Parse)`, ErrUnknownProfile)
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(ref, `/\.`) {
			return nil, fmt.Errorf("%w %q: no such file, and not a built-in profile%s; built-in profiles: %s", ErrUnknownProfile, ref, didYouMean(suggest(ref, Builtins())), strings.Join(Builtins(), ", "))
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("reading profile %s: %w", ref, pe.Err)
		}
		return nil, fmt.Errorf("reading profile %s: %w", ref, err)
	}
	return parseOwned(ref, data)
}

// IsBuiltin reports whether name is a built-in profile.
func IsBuiltin(name string) bool {
	_, ok := builtin(name)
	return ok
}

// ParseOwned is Parse for a buffer nobody else holds (just read from a
// file or a pipe): it is not copied, the profile's strings point into it,
// so it must not be changed afterwards. A large profile then costs its
// size once, not twice.
func ParseOwned(filename string, data []byte) (*Profile, error) { return parseOwned(filename, data) }

// parseOwned parses a buffer nobody else holds without copying it: the
// profile's strings point into it.
func parseOwned(name string, data []byte) (*Profile, error) {
	if len(data) == 0 {
		return Parse(name, data)
	}
	return parse(name, unsafe.String(&data[0], len(data)), data)
}
