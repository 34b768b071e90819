package cmdline

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The value types: each Set parses one occurrence, String gives the
// current value as usage shows a default.

type stringValue string

func (s *stringValue) Set(v string) error { *s = stringValue(v); return nil }
func (s *stringValue) Type() string       { return "string" }
func (s *stringValue) String() string     { return string(*s) }

type boolValue bool

func (b *boolValue) Set(v string) error {
	x, err := strconv.ParseBool(v)
	*b = boolValue(x)
	return err
}
func (b *boolValue) Type() string   { return "bool" }
func (b *boolValue) String() string { return strconv.FormatBool(bool(*b)) }

type intValue int

func (i *intValue) Set(v string) error {
	x, err := strconv.ParseInt(v, 0, 64)
	*i = intValue(x)
	return err
}
func (i *intValue) Type() string   { return "int" }
func (i *intValue) String() string { return strconv.Itoa(int(*i)) }

type durationValue time.Duration

func (d *durationValue) Set(v string) error {
	x, err := time.ParseDuration(v)
	*d = durationValue(x)
	return err
}
func (d *durationValue) Type() string   { return "duration" }
func (d *durationValue) String() string { return time.Duration(*d).String() }

// stringArrayValue takes each occurrence whole: --x a,b --x c is
// ["a,b", "c"]. The first occurrence replaces the default.
type stringArrayValue struct {
	value   *[]string
	changed bool
}

func (s *stringArrayValue) Set(v string) error {
	if !s.changed {
		*s.value, s.changed = []string{v}, true
	} else {
		*s.value = append(*s.value, v)
	}
	return nil
}
func (s *stringArrayValue) Type() string       { return "stringArray" }
func (s *stringArrayValue) String() string     { return "[" + writeCSV(*s.value) + "]" }
func (s *stringArrayValue) GetSlice() []string { return append([]string{}, *s.value...) }

// stringSliceValue splits each occurrence as a CSV record: --x a,b --x c
// is ["a", "b", "c"]. The first occurrence replaces the default.
type stringSliceValue struct {
	value   *[]string
	changed bool
}

func (s *stringSliceValue) Set(v string) error {
	vals, err := readCSV(v)
	if err != nil {
		return err
	}
	if !s.changed {
		*s.value = vals
	} else {
		*s.value = append(*s.value, vals...)
	}
	s.changed = true
	return nil
}
func (s *stringSliceValue) Type() string       { return "stringSlice" }
func (s *stringSliceValue) String() string     { return "[" + writeCSV(*s.value) + "]" }
func (s *stringSliceValue) GetSlice() []string { return *s.value }

func readCSV(v string) ([]string, error) {
	if v == "" {
		return []string{}, nil
	}
	return csv.NewReader(strings.NewReader(v)).Read()
}

func writeCSV(vals []string) string {
	if len(vals) == 0 {
		return "" // every default of a list: no 4 KB buffer per flag at start
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(vals)
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// The definitions: XVar and XVarP store into the caller's variable, String,
// StringP and BoolP return a new one; the P forms take a one-letter
// shorthand.

func (f *FlagSet) StringVarP(p *string, name, shorthand, value, usage string) {
	*p = value
	f.VarP((*stringValue)(p), name, shorthand, usage)
}
func (f *FlagSet) StringVar(p *string, name, value, usage string) {
	f.StringVarP(p, name, "", value, usage)
}
func (f *FlagSet) StringP(name, shorthand, value, usage string) *string {
	p := new(string)
	f.StringVarP(p, name, shorthand, value, usage)
	return p
}
func (f *FlagSet) String(name, value, usage string) *string { return f.StringP(name, "", value, usage) }

func (f *FlagSet) BoolVarP(p *bool, name, shorthand string, value bool, usage string) {
	*p = value
	f.VarPF((*boolValue)(p), name, shorthand, usage).NoOptDefVal = "true"
}
func (f *FlagSet) BoolVar(p *bool, name string, value bool, usage string) {
	f.BoolVarP(p, name, "", value, usage)
}
func (f *FlagSet) BoolP(name, shorthand string, value bool, usage string) *bool {
	p := new(bool)
	f.BoolVarP(p, name, shorthand, value, usage)
	return p
}

func (f *FlagSet) IntVarP(p *int, name, shorthand string, value int, usage string) {
	*p = value
	f.VarP((*intValue)(p), name, shorthand, usage)
}
func (f *FlagSet) IntVar(p *int, name string, value int, usage string) {
	f.IntVarP(p, name, "", value, usage)
}

func (f *FlagSet) DurationVarP(p *time.Duration, name, shorthand string, value time.Duration, usage string) {
	*p = value
	f.VarP((*durationValue)(p), name, shorthand, usage)
}
func (f *FlagSet) DurationVar(p *time.Duration, name string, value time.Duration, usage string) {
	f.DurationVarP(p, name, "", value, usage)
}

func (f *FlagSet) StringArrayVarP(p *[]string, name, shorthand string, value []string, usage string) {
	*p = value
	f.VarP(&stringArrayValue{value: p}, name, shorthand, usage)
}
func (f *FlagSet) StringArrayVar(p *[]string, name string, value []string, usage string) {
	f.StringArrayVarP(p, name, "", value, usage)
}

func (f *FlagSet) StringSliceVarP(p *[]string, name, shorthand string, value []string, usage string) {
	*p = value
	f.VarP(&stringSliceValue{value: p}, name, shorthand, usage)
}
func (f *FlagSet) StringSliceVar(p *[]string, name string, value []string, usage string) {
	f.StringSliceVarP(p, name, "", value, usage)
}

// GetBool returns the value of a bool flag.
func (f *FlagSet) GetBool(name string) (bool, error) {
	fl := f.Lookup(name)
	if fl == nil {
		return false, fmt.Errorf("flag accessed but not defined: %s", name)
	}
	v, ok := fl.Value.(*boolValue)
	if !ok {
		return false, fmt.Errorf("trying to get bool value of flag of type %s", fl.Value.Type())
	}
	return bool(*v), nil
}
