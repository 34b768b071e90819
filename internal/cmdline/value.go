package cmdline

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
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

type int64Value int64

func (i *int64Value) Set(v string) error {
	x, err := strconv.ParseInt(v, 0, 64)
	*i = int64Value(x)
	return err
}
func (i *int64Value) Type() string   { return "int64" }
func (i *int64Value) String() string { return strconv.FormatInt(int64(*i), 10) }

type uintValue uint

func (u *uintValue) Set(v string) error {
	x, err := strconv.ParseUint(v, 0, 64)
	*u = uintValue(x)
	return err
}
func (u *uintValue) Type() string   { return "uint" }
func (u *uintValue) String() string { return strconv.FormatUint(uint64(*u), 10) }

type uint64Value uint64

func (u *uint64Value) Set(v string) error {
	x, err := strconv.ParseUint(v, 0, 64)
	*u = uint64Value(x)
	return err
}
func (u *uint64Value) Type() string   { return "uint64" }
func (u *uint64Value) String() string { return strconv.FormatUint(uint64(*u), 10) }

type float64Value float64

func (f *float64Value) Set(v string) error {
	x, err := strconv.ParseFloat(v, 64)
	*f = float64Value(x)
	return err
}
func (f *float64Value) Type() string   { return "float64" }
func (f *float64Value) String() string { return strconv.FormatFloat(float64(*f), 'g', -1, 64) }

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
func (s *stringArrayValue) Type() string          { return "stringArray" }
func (s *stringArrayValue) String() string        { return "[" + writeCSV(*s.value) + "]" }
func (s *stringArrayValue) Append(v string) error { *s.value = append(*s.value, v); return nil }
func (s *stringArrayValue) Replace(v []string) error {
	*s.value = append([]string(nil), v...)
	return nil
}
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
func (s *stringSliceValue) Type() string             { return "stringSlice" }
func (s *stringSliceValue) String() string           { return "[" + writeCSV(*s.value) + "]" }
func (s *stringSliceValue) Append(v string) error    { *s.value = append(*s.value, v); return nil }
func (s *stringSliceValue) Replace(v []string) error { *s.value = v; return nil }
func (s *stringSliceValue) GetSlice() []string       { return *s.value }

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

// The definitions: XVar and XVarP store into the caller's variable, X and
// XP return a new one; the P forms take a one-letter shorthand.

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
func (f *FlagSet) Bool(name string, value bool, usage string) *bool {
	return f.BoolP(name, "", value, usage)
}

func (f *FlagSet) IntVarP(p *int, name, shorthand string, value int, usage string) {
	*p = value
	f.VarP((*intValue)(p), name, shorthand, usage)
}
func (f *FlagSet) IntVar(p *int, name string, value int, usage string) {
	f.IntVarP(p, name, "", value, usage)
}
func (f *FlagSet) IntP(name, shorthand string, value int, usage string) *int {
	p := new(int)
	f.IntVarP(p, name, shorthand, value, usage)
	return p
}
func (f *FlagSet) Int(name string, value int, usage string) *int {
	return f.IntP(name, "", value, usage)
}

func (f *FlagSet) Int64VarP(p *int64, name, shorthand string, value int64, usage string) {
	*p = value
	f.VarP((*int64Value)(p), name, shorthand, usage)
}
func (f *FlagSet) Int64Var(p *int64, name string, value int64, usage string) {
	f.Int64VarP(p, name, "", value, usage)
}

func (f *FlagSet) UintVarP(p *uint, name, shorthand string, value uint, usage string) {
	*p = value
	f.VarP((*uintValue)(p), name, shorthand, usage)
}
func (f *FlagSet) UintVar(p *uint, name string, value uint, usage string) {
	f.UintVarP(p, name, "", value, usage)
}

func (f *FlagSet) Uint64VarP(p *uint64, name, shorthand string, value uint64, usage string) {
	*p = value
	f.VarP((*uint64Value)(p), name, shorthand, usage)
}
func (f *FlagSet) Uint64Var(p *uint64, name string, value uint64, usage string) {
	f.Uint64VarP(p, name, "", value, usage)
}

func (f *FlagSet) Float64VarP(p *float64, name, shorthand string, value float64, usage string) {
	*p = value
	f.VarP((*float64Value)(p), name, shorthand, usage)
}
func (f *FlagSet) Float64Var(p *float64, name string, value float64, usage string) {
	f.Float64VarP(p, name, "", value, usage)
}

func (f *FlagSet) DurationVarP(p *time.Duration, name, shorthand string, value time.Duration, usage string) {
	*p = value
	f.VarP((*durationValue)(p), name, shorthand, usage)
}
func (f *FlagSet) DurationVar(p *time.Duration, name string, value time.Duration, usage string) {
	f.DurationVarP(p, name, "", value, usage)
}
func (f *FlagSet) DurationP(name, shorthand string, value time.Duration, usage string) *time.Duration {
	p := new(time.Duration)
	f.DurationVarP(p, name, shorthand, value, usage)
	return p
}
func (f *FlagSet) Duration(name string, value time.Duration, usage string) *time.Duration {
	return f.DurationP(name, "", value, usage)
}

func (f *FlagSet) StringArrayVarP(p *[]string, name, shorthand string, value []string, usage string) {
	*p = value
	f.VarP(&stringArrayValue{value: p}, name, shorthand, usage)
}
func (f *FlagSet) StringArrayVar(p *[]string, name string, value []string, usage string) {
	f.StringArrayVarP(p, name, "", value, usage)
}
func (f *FlagSet) StringArrayP(name, shorthand string, value []string, usage string) *[]string {
	p := new([]string)
	f.StringArrayVarP(p, name, shorthand, value, usage)
	return p
}
func (f *FlagSet) StringArray(name string, value []string, usage string) *[]string {
	return f.StringArrayP(name, "", value, usage)
}

func (f *FlagSet) StringSliceVarP(p *[]string, name, shorthand string, value []string, usage string) {
	*p = value
	f.VarP(&stringSliceValue{value: p}, name, shorthand, usage)
}
func (f *FlagSet) StringSliceVar(p *[]string, name string, value []string, usage string) {
	f.StringSliceVarP(p, name, "", value, usage)
}
func (f *FlagSet) StringSliceP(name, shorthand string, value []string, usage string) *[]string {
	p := new([]string)
	f.StringSliceVarP(p, name, shorthand, value, usage)
	return p
}
func (f *FlagSet) StringSlice(name string, value []string, usage string) *[]string {
	return f.StringSliceP(name, "", value, usage)
}

// value returns the named flag's Value as type T, or an error naming
// what went wrong.
func value[T Value](f *FlagSet, name, typ string) (T, error) {
	var zero T
	fl := f.Lookup(name)
	if fl == nil {
		return zero, fmt.Errorf("flag accessed but not defined: %s", name)
	}
	v, ok := fl.Value.(T)
	if !ok {
		return zero, fmt.Errorf("trying to get %s value of flag of type %s", typ, fl.Value.Type())
	}
	return v, nil
}

// GetString returns the value of a string flag.
func (f *FlagSet) GetString(name string) (string, error) {
	v, err := value[*stringValue](f, name, "string")
	if err != nil {
		return "", err
	}
	return string(*v), nil
}

// GetBool returns the value of a bool flag.
func (f *FlagSet) GetBool(name string) (bool, error) {
	v, err := value[*boolValue](f, name, "bool")
	if err != nil {
		return false, err
	}
	return bool(*v), nil
}

// GetInt returns the value of an int flag.
func (f *FlagSet) GetInt(name string) (int, error) {
	v, err := value[*intValue](f, name, "int")
	if err != nil {
		return 0, err
	}
	return int(*v), nil
}

// GetDuration returns the value of a duration flag.
func (f *FlagSet) GetDuration(name string) (time.Duration, error) {
	v, err := value[*durationValue](f, name, "duration")
	if err != nil {
		return 0, err
	}
	return time.Duration(*v), nil
}

// GetStringArray returns the value of a string array flag.
func (f *FlagSet) GetStringArray(name string) ([]string, error) {
	v, err := value[*stringArrayValue](f, name, "stringArray")
	if err != nil {
		return []string{}, err
	}
	return v.GetSlice(), nil
}

// GetStringSlice returns the value of a string slice flag.
func (f *FlagSet) GetStringSlice(name string) ([]string, error) {
	v, err := value[*stringSliceValue](f, name, "stringSlice")
	if err != nil {
		return []string{}, err
	}
	return slices.Clone(v.GetSlice()), nil
}
