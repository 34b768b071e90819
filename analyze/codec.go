package analyze

import (
	"encoding/binary"
	"errors"
	"reflect"
)

// The cache stores an Object as its exported fields in declaration order,
// walked by reflection: integers as varints, booleans as one byte,
// strings and slices as a length and their elements. encoding/gob did
// this before, but its package initialisation alone cost every start of
// sysfence 0.15–0.2 ms. Any change to Object or the types it holds must
// change CacheVersion, as it had to with gob.

var errCorrupt = errors.New("corrupt cache entry")

func encodeObject(o *Object) []byte {
	return appendValue(nil, reflect.ValueOf(o).Elem())
}

func appendValue(b []byte, v reflect.Value) []byte {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() { // exported (v is addressable)
				b = appendValue(b, f)
			}
		}
	case reflect.Slice:
		b = binary.AppendUvarint(b, uint64(v.Len()))
		for i := range v.Len() {
			b = appendValue(b, v.Index(i))
		}
	case reflect.String:
		b = binary.AppendUvarint(b, uint64(v.Len()))
		b = append(b, v.String()...)
	case reflect.Bool:
		if v.Bool() {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b = binary.AppendVarint(b, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		b = binary.AppendUvarint(b, v.Uint())
	default:
		panic("analyze: the cache cannot encode a " + v.Type().String())
	}
	return b
}

// decodeObject reads what encodeObject wrote; anything else (a value
// out of its type's range, a length past the end, bytes left over) is
// errCorrupt.
func decodeObject(b []byte) (*Object, error) {
	var o Object
	d := decoder{b: b}
	d.value(reflect.ValueOf(&o).Elem())
	if d.bad || len(d.b) != 0 {
		return nil, errCorrupt
	}
	return &o, nil
}

type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) uvarint() uint64 {
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad, d.b = true, nil
		return 0
	}
	d.b = d.b[n:]
	return x
}

// length reads a count of elements or bytes that the rest of the input
// can hold (each element takes at least one byte), so that a damaged
// entry cannot make it allocate without bound.
func (d *decoder) length() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad, d.b = true, nil
		return 0
	}
	return int(n)
}

func (d *decoder) value(v reflect.Value) {
	if d.bad {
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() { // exported
				d.value(f)
			}
		}
	case reflect.Slice:
		n := d.length()
		if n == 0 {
			return // nil, as gob left empty slices
		}
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			d.value(v.Index(i))
		}
	case reflect.String:
		n := d.length()
		v.SetString(string(d.b[:n]))
		d.b = d.b[n:]
	case reflect.Bool:
		if len(d.b) == 0 || d.b[0] > 1 {
			d.bad, d.b = true, nil
			return
		}
		v.SetBool(d.b[0] == 1)
		d.b = d.b[1:]
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, n := binary.Varint(d.b)
		if n <= 0 || v.OverflowInt(x) {
			d.bad, d.b = true, nil
			return
		}
		v.SetInt(x)
		d.b = d.b[n:]
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		x := d.uvarint()
		if v.OverflowUint(x) {
			d.bad, d.b = true, nil
			return
		}
		v.SetUint(x)
	default:
		panic("analyze: the cache cannot decode a " + v.Type().String())
	}
}
