package profile

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Every error of Parse is a *ParseError that unwraps to
// ErrInvalidProfile and, where it says more, to one of the others.
var (
	// ErrInvalidProfile: the profile is malformed or means something
	// Docker, runc or sysfence would reject or misread.
	ErrInvalidProfile = errors.New("invalid profile")
	// ErrSyntax: the text is not well-formed JSON or YAML.
	ErrSyntax = errors.New("syntax error")
	// ErrUnsupported: the profile uses a feature sysfence cannot honour
	// (e.g. an SPO baseProfileName it cannot resolve).
	ErrUnsupported = errors.New("unsupported")
	// ErrNotRepresentable: a writer cannot express the profile in the
	// requested format without changing its meaning.
	ErrNotRepresentable = errors.New("not representable")
	// ErrUnknownProfile: Load got a name that is neither a file nor a
	// built-in profile.
	ErrUnknownProfile = errors.New("unknown profile")
	// ErrResolve: a profile cannot be resolved for a target.
	ErrResolve = errors.New("cannot resolve profile")
	// ErrUnknownCapability and ErrInvalidKernel are returned by ParseCaps
	// and ParseKernel.
	ErrUnknownCapability = errors.New("unknown capability")
	ErrInvalidKernel     = errors.New("invalid kernel version")
)

// Pos is a position in a profile's text: 1-based line and column (columns
// count characters). The zero Pos means "unknown" (e.g. a profile built in
// Go rather than parsed).
type Pos struct {
	Line, Col int
}

// IsValid reports whether the position is known.
func (p Pos) IsValid() bool { return p.Line > 0 }

func (p Pos) String() string {
	if !p.IsValid() {
		return "-"
	}
	return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// ParseError is a positioned problem in a profile. Error() reads like a
// compiler message:
//
//	profile.json:41:17: syscalls[12].args[0].op: unknown operator "SCMP_CMP_EQUAL" (did you mean SCMP_CMP_EQ?)
//
// Path is the field path from the document root ("linux.seccomp.syscalls[3]"
// inside an OCI config.json, "spec.syscalls[3]" in a SeccompProfile); it is
// empty for syntax errors.
type ParseError struct {
	File      string
	Line, Col int
	Path      string
	Msg       string
	// Kind is an extra sentinel (ErrSyntax, ErrUnsupported) or nil.
	Kind error
}

func (e *ParseError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Col)
	}
	if e.Path != "" {
		return loc + ": " + e.Path + ": " + e.Msg
	}
	return loc + ": " + e.Msg
}

// Unwrap lets errors.Is match ErrInvalidProfile and Kind.
func (e *ParseError) Unwrap() []error {
	if e.Kind != nil {
		return []error{ErrInvalidProfile, e.Kind}
	}
	return []error{ErrInvalidProfile}
}

// Pos returns the error's position.
func (e *ParseError) Pos() Pos { return Pos{e.Line, e.Col} }

// Warning is a positioned remark about a profile that Docker and runc
// accept but that is probably a mistake (a syscall name no architecture
// knows, an errnoRet the action ignores). The CLI prints them, and may
// treat them as errors under --strict.
type Warning = ParseError

// didYouMean formats the suggestion suffix, or "" when there is none.
func didYouMean(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", s)
}
