package cmdline

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrHelp is returned by Parse for --help or -h when the set defines no
// such flag.
var ErrHelp = errors.New("pflag: help requested")

// Value is a flag's value: String gives it as text, Set parses one
// occurrence on the command line, Type names it in usage.
type Value interface {
	String() string
	Set(string) error
	Type() string
}

// SliceValue is a Value holding a list.
type SliceValue interface {
	GetSlice() []string
}

// Flag is one defined flag and its state.
type Flag struct {
	Name      string // as written after "--"
	Shorthand string // one ASCII letter after "-", or ""
	Usage     string // help text; a `quoted` word names the value
	Value     Value
	DefValue  string // the default, as text
	Changed   bool   // set on the command line
	// NoOptDefVal is the value of a flag given without one ("true" for
	// booleans); such a flag never takes the next argument.
	NoOptDefVal string
	Hidden      bool // left out of usage
}

// FlagSet is a set of flags, parsed GNU style: --name=value, --name value,
// -n value, -nvalue, -abc for boolean shorthands, "--" ends the flags.
type FlagSet struct {
	name          string
	formal        map[string]*Flag
	ordered       []*Flag
	shorthands    map[byte]*Flag
	actual        []*Flag // set on the command line, in order
	args          []string
	argsLenAtDash int
	interspersed  bool
}

// NewFlagSet returns an empty set that accepts flags among arguments.
func NewFlagSet(name string) *FlagSet {
	return &FlagSet{name: name, argsLenAtDash: -1, interspersed: true}
}

// SetInterspersed sets whether flags may follow arguments; with false the
// first argument ends the flags (everything after CMD belongs to CMD).
func (f *FlagSet) SetInterspersed(interspersed bool) { f.interspersed = interspersed }

// AddFlag adds a flag; a name or shorthand defined twice is a programming
// error and panics.
func (f *FlagSet) AddFlag(fl *Flag) {
	if _, dup := f.formal[fl.Name]; dup {
		panic(fmt.Sprintf("%s flag redefined: %s", f.name, fl.Name))
	}
	if f.formal == nil {
		f.formal = map[string]*Flag{}
	}
	f.formal[fl.Name] = fl
	f.ordered = append(f.ordered, fl)
	if fl.Shorthand == "" {
		return
	}
	if len(fl.Shorthand) > 1 {
		panic(fmt.Sprintf("%q shorthand is more than one ASCII character", fl.Shorthand))
	}
	c := fl.Shorthand[0]
	if used, dup := f.shorthands[c]; dup {
		panic(fmt.Sprintf("unable to redefine %q shorthand in %q flagset: it's already used for %q flag", c, f.name, used.Name))
	}
	if f.shorthands == nil {
		f.shorthands = map[byte]*Flag{}
	}
	f.shorthands[c] = fl
}

// VarPF defines a flag with a Value of the caller's and returns it.
func (f *FlagSet) VarPF(value Value, name, shorthand, usage string) *Flag {
	fl := &Flag{Name: name, Shorthand: shorthand, Usage: usage, Value: value, DefValue: value.String()}
	f.AddFlag(fl)
	return fl
}

// VarP defines a flag with a Value of the caller's and a shorthand.
func (f *FlagSet) VarP(value Value, name, shorthand, usage string) {
	f.VarPF(value, name, shorthand, usage)
}

// Lookup returns the flag of that name, or nil.
func (f *FlagSet) Lookup(name string) *Flag { return f.formal[name] }

// ShorthandLookup returns the flag of a one-letter shorthand, or nil.
func (f *FlagSet) ShorthandLookup(name string) *Flag {
	if name == "" {
		return nil
	}
	if len(name) > 1 {
		panic(fmt.Sprintf("can not look up shorthand which is more than one ASCII character: %q", name))
	}
	return f.shorthands[name[0]]
}

// Changed reports whether the named flag was set on the command line.
func (f *FlagSet) Changed(name string) bool {
	fl := f.Lookup(name)
	return fl != nil && fl.Changed
}

// Set sets a flag as if it were given on the command line.
func (f *FlagSet) Set(name, value string) error {
	fl, ok := f.formal[name]
	if !ok {
		return fmt.Errorf("no such flag -%v", name)
	}
	if err := fl.Value.Set(value); err != nil {
		return &invalidValueError{fl, value, err}
	}
	if !fl.Changed {
		fl.Changed = true
		f.actual = append(f.actual, fl)
	}
	return nil
}

// MarkHidden leaves a flag out of usage.
func (f *FlagSet) MarkHidden(name string) error {
	fl := f.Lookup(name)
	if fl == nil {
		return fmt.Errorf("flag %q does not exist", name)
	}
	fl.Hidden = true
	return nil
}

// sorted returns flags sorted by name.
func sorted(flags []*Flag) []*Flag {
	out := slices.Clone(flags)
	slices.SortFunc(out, func(a, b *Flag) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// VisitAll calls fn for every flag, sorted by name.
func (f *FlagSet) VisitAll(fn func(*Flag)) {
	for _, fl := range sorted(f.ordered) {
		fn(fl)
	}
}

// Visit calls fn for every flag set on the command line, sorted by name.
func (f *FlagSet) Visit(fn func(*Flag)) {
	for _, fl := range sorted(f.actual) {
		fn(fl)
	}
}

// HasAvailableFlags reports whether the set defines a flag usage shows.
func (f *FlagSet) HasAvailableFlags() bool {
	for _, fl := range f.ordered {
		if !fl.Hidden {
			return true
		}
	}
	return false
}

// Args are the arguments left after the flags.
func (f *FlagSet) Args() []string { return f.args }

// NArg is the number of arguments left after the flags.
func (f *FlagSet) NArg() int { return len(f.args) }

// Arg is the i-th argument left after the flags, or "".
func (f *FlagSet) Arg(i int) string {
	if i < 0 || i >= len(f.args) {
		return ""
	}
	return f.args[i]
}

// ArgsLenAtDash is how many arguments preceded "--", or -1 without one.
func (f *FlagSet) ArgsLenAtDash() int { return f.argsLenAtDash }

// Parse parses the command line (without the command's own name).
func (f *FlagSet) Parse(arguments []string) error {
	f.args = make([]string, 0, len(arguments))
	args := arguments
	for len(args) > 0 {
		s := args[0]
		args = args[1:]
		if len(s) < 2 || s[0] != '-' {
			f.args = append(f.args, s)
			if !f.interspersed {
				f.args = append(f.args, args...)
				return nil
			}
			continue
		}
		var err error
		if s[1] == '-' {
			if len(s) == 2 { // "--" ends the flags
				f.argsLenAtDash = len(f.args)
				f.args = append(f.args, args...)
				return nil
			}
			args, err = f.parseLong(s, args)
		} else {
			args, err = f.parseShorts(s, args)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// parseLong parses --name, --name=value or --name value.
func (f *FlagSet) parseLong(s string, args []string) ([]string, error) {
	name := s[2:]
	if name == "" || name[0] == '-' || name[0] == '=' {
		return args, fmt.Errorf("bad flag syntax: %s", s)
	}
	name, value, hasValue := strings.Cut(name, "=")
	fl, ok := f.formal[name]
	switch {
	case !ok && name == "help":
		return args, ErrHelp
	case !ok:
		return args, fmt.Errorf("unknown flag: --%s", name)
	case hasValue:
	case fl.NoOptDefVal != "":
		value = fl.NoOptDefVal
	case len(args) > 0:
		value, args = args[0], args[1:]
	default:
		return args, fmt.Errorf("flag needs an argument: --%s", name)
	}
	return args, f.Set(fl.Name, value)
}

// parseShorts parses -abc (flags a, b and c), -fvalue, -f=value or
// -f value.
func (f *FlagSet) parseShorts(s string, args []string) ([]string, error) {
	shorts := s[1:]
	for shorts != "" {
		c := shorts[0]
		fl, ok := f.shorthands[c]
		if !ok {
			if c == 'h' {
				return args, ErrHelp
			}
			return args, fmt.Errorf("unknown shorthand flag: %q in -%s", rune(c), shorts)
		}
		var value string
		switch {
		case len(shorts) > 2 && shorts[1] == '=':
			value, shorts = shorts[2:], ""
		case fl.NoOptDefVal != "":
			value, shorts = fl.NoOptDefVal, shorts[1:]
		case len(shorts) > 1:
			value, shorts = shorts[1:], ""
		case len(args) > 0:
			value, args, shorts = args[0], args[1:], ""
		default:
			return args, fmt.Errorf("flag needs an argument: %q in -%s", rune(c), shorts)
		}
		if err := f.Set(fl.Name, value); err != nil {
			return args, err
		}
	}
	return args, nil
}

// invalidValueError is a value a flag's Set refused.
type invalidValueError struct {
	flag  *Flag
	value string
	cause error
}

func (e *invalidValueError) Error() string {
	name := "--" + e.flag.Name
	if e.flag.Shorthand != "" {
		name = "-" + e.flag.Shorthand + ", " + name
	}
	return fmt.Sprintf("invalid argument %q for %q flag: %v", e.value, name, e.cause)
}

func (e *invalidValueError) Unwrap() error { return e.cause }

// FlagUsages lists the flags that are not hidden, one a line, sorted,
// with their value names, usage and non-zero defaults aligned.
func (f *FlagSet) FlagUsages() string {
	var lines []string
	width := 0
	f.VisitAll(func(fl *Flag) {
		if fl.Hidden {
			return
		}
		line := "      --" + fl.Name
		if fl.Shorthand != "" {
			line = "  -" + fl.Shorthand + ", --" + fl.Name
		}
		varname, usage := UnquoteUsage(fl)
		if varname != "" {
			line += " " + varname
		}
		if fl.NoOptDefVal != "" {
			switch fl.Value.Type() {
			case "string":
				line += "[=\"" + fl.NoOptDefVal + "\"]"
			case "bool":
				if fl.NoOptDefVal != "true" {
					line += "[=" + fl.NoOptDefVal + "]"
				}
			default:
				line += "[=" + fl.NoOptDefVal + "]"
			}
		}
		width = max(width, len(line))
		line += "\x00" + usage
		if !defaultIsZero(fl) {
			if fl.Value.Type() == "string" {
				line += fmt.Sprintf(" (default %q)", fl.DefValue)
			} else {
				line += " (default " + fl.DefValue + ")"
			}
		}
		lines = append(lines, line)
	})
	var b strings.Builder
	for _, line := range lines {
		head, usage, _ := strings.Cut(line, "\x00")
		b.WriteString(head + strings.Repeat(" ", width-len(head)+3) + strings.ReplaceAll(usage, "\n", "\n"+strings.Repeat(" ", width+3)) + "\n")
	}
	return b.String()
}

// UnquoteUsage returns the name a flag's usage gives its value in back
// quotes (and the usage without them), else a name for the value's type
// ("" for a boolean).
func UnquoteUsage(fl *Flag) (name, usage string) {
	usage = fl.Usage
	if i := strings.IndexByte(usage, '`'); i >= 0 {
		if j := strings.IndexByte(usage[i+1:], '`'); j >= 0 {
			name = usage[i+1 : i+1+j]
			return name, usage[:i] + name + usage[i+2+j:]
		}
	}
	switch name = fl.Value.Type(); name {
	case "bool":
		name = ""
	case "stringSlice":
		name = "strings"
	}
	return name, usage
}

// defaultIsZero reports whether a flag's default is its type's zero value,
// which usage does not show.
func defaultIsZero(fl *Flag) bool {
	switch fl.Value.(type) {
	case *boolValue:
		return fl.DefValue == "false" || fl.DefValue == ""
	case *durationValue:
		return fl.DefValue == "0" || fl.DefValue == "0s"
	case *intValue:
		return fl.DefValue == "0"
	case *stringValue:
		return fl.DefValue == ""
	case *stringSliceValue, *stringArrayValue:
		return fl.DefValue == "[]"
	}
	switch fl.DefValue {
	case "false", "<nil>", "", "0":
		return true
	}
	return false
}
