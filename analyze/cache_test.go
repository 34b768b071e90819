package analyze

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

// A home that does not exist is not created for the cache.
func TestDefaultCacheMissingHome(t *testing.T) {
	home := filepath.Join(t.TempDir(), "nonexistent")
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", home)
	if c, err := DefaultCache(); err == nil {
		t.Errorf("DefaultCache = %+v for a missing home", c)
	}
	if _, err := os.Stat(home); err == nil {
		t.Error("the missing home was created")
	}
}

// The cache's encoding gives back every field of real analyses: a C
// program, libc, ld.so and a Go binary (this test).
func TestCacheEncodingRoundTrip(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"/bin/ls", self}
	libs, _ := filepath.Glob("/lib/x86_64-linux-gnu/lib[c].so.6")
	lds, _ := filepath.Glob("/lib64/ld-linux-x86-64.so.2")
	paths = append(append(paths, libs...), lds...)
	if len(paths) < 4 {
		testenv.Skip(t, "no libc.so.6 or ld.so at the Debian paths")
	}
	for _, p := range paths {
		o, err := analyzeFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(o.Funcs) == 0 {
			t.Fatalf("%s: an empty analysis", p)
		}
		b := encodeObject(o)
		got, err := decodeObject(b)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if want := nilEmpty(*o); !reflect.DeepEqual(nilEmpty(*got), want) {
			t.Errorf("%s: the cache changed the analysis", p)
		}
		// Every shorter prefix, and a byte more, is refused.
		for _, n := range []int{0, 1, len(b) / 3, len(b) / 2, len(b) - 1} {
			if _, err := decodeObject(b[:n]); err == nil {
				t.Errorf("%s: %d of %d bytes decoded", p, n, len(b))
			}
		}
		if _, err := decodeObject(append(b, 0)); err == nil {
			t.Errorf("%s: a trailing byte decoded", p)
		}
	}
}

// nilEmpty returns v with its empty slices nil, as the cache gives them
// back.
func nilEmpty[T any](v T) T {
	var walk func(reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice:
			if v.Len() == 0 {
				v.Set(reflect.Zero(v.Type()))
			}
			for i := range v.Len() {
				walk(v.Index(i))
			}
		}
	}
	p := reflect.New(reflect.TypeOf(v))
	p.Elem().Set(reflect.ValueOf(v))
	walk(p.Elem())
	return p.Elem().Interface().(T)
}

// A damaged entry is an error, never a panic or an allocation it cannot
// back with input.
func FuzzDecodeObject(f *testing.F) {
	o := &Object{Path: "/x", Needed: []string{"libc.so.6"}, Funcs: []Func{{Addr: 1, Name: "f", Sys: []SysRef{{Nr: 1, Via: -1}},
		Refs: []SymSite{{Sym: 0, Args: []LocVal{{Loc: 7, Vals: []uint64{1 << 40}}}, Strings: []string{"a"}}}}},
		Syms: []SymRef{{Name: "open"}}, Exports: []Export{{Name: "f", Func: 0}}, Roots: []Root{{Func: 0, Why: "init"}}, Indirect: -3}
	f.Add(encodeObject(o))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeObject(b)
		if err != nil {
			return
		}
		again, err := decodeObject(encodeObject(got))
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("%x decodes to %+v, which does not round-trip: %+v, %v", b, got, again, err)
		}
	})
}
