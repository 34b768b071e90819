package analyze

import (
	"encoding/binary"
	"errors"
)

// DWARF pointer encodings used in .eh_frame (LSB bits: format; high: application).
const (
	pePtr     = 0x00
	peUleb128 = 0x01
	peUdata2  = 0x02
	peUdata4  = 0x03
	peUdata8  = 0x04
	peSleb128 = 0x09
	peSdata2  = 0x0a
	peSdata4  = 0x0b
	peSdata8  = 0x0c
	pePcrel   = 0x10
	peDatarel = 0x30
	peOmit    = 0xff
)

var errEHFrame = errors.New("malformed .eh_frame")

// fdeStarts returns the initial locations of the FDEs of an .eh_frame
// section loaded at addr: compilers emit one FDE per function (and per
// cold part), so on a stripped library they are the function starts.
func fdeStarts(data []byte, addr uint64) ([]uint64, error) {
	var out []uint64
	cieEnc := map[uint64]byte{} // CIE offset -> FDE pointer encoding
	// encoding returns the FDE pointer encoding of the CIE at off (CIEs
	// come before their FDEs in practice, but need not).
	encoding := func(off uint64) (byte, error) {
		if enc, ok := cieEnc[off]; ok {
			return enc, nil
		}
		start, end, err := ehRecord(data, off)
		if err != nil {
			return 0, err
		}
		if binary.LittleEndian.Uint32(data[start:]) != 0 {
			return 0, errEHFrame // an FDE, not a CIE
		}
		enc, err := cieFDEEncoding(data[start+4 : end])
		if err != nil {
			return 0, err
		}
		cieEnc[off] = enc
		return enc, nil
	}
	for off := uint64(0); off+4 <= uint64(len(data)); {
		if binary.LittleEndian.Uint32(data[off:]) == 0 {
			break // terminator
		}
		start, end, err := ehRecord(data, off)
		if err != nil {
			return out, err
		}
		id := uint64(binary.LittleEndian.Uint32(data[start:]))
		if id == 0 {
			if _, err := encoding(off); err != nil {
				return out, err
			}
		} else {
			if id > start {
				return out, errEHFrame // the CIE pointer points before the section
			}
			enc, err := encoding(start - id)
			if err != nil {
				return out, err
			}
			v, _, ok := readEncoded(data, int(start)+4, enc, addr)
			if ok && v != 0 {
				out = append(out, v)
			}
		}
		off = end
	}
	return out, nil
}

// ehRecord returns where the CIE or FDE at off holds its id and content:
// data[start:end], at least the 4 bytes of the id. A record that does not
// fit in data is errEHFrame.
func ehRecord(data []byte, off uint64) (start, end uint64, err error) {
	n := uint64(len(data))
	if off > n || n-off < 4 {
		return 0, 0, errEHFrame
	}
	length := uint64(binary.LittleEndian.Uint32(data[off:]))
	start = off + 4
	if length == 0xffffffff { // 64-bit DWARF
		if n-off < 12 {
			return 0, 0, errEHFrame
		}
		length = binary.LittleEndian.Uint64(data[off+4:])
		start = off + 12
	}
	if length < 4 || length > n-start {
		return 0, 0, errEHFrame
	}
	return start, start + length, nil
}

// cieFDEEncoding reads a CIE (after its id) up to the 'R' augmentation,
// which gives the encoding of the FDEs' initial location.
func cieFDEEncoding(b []byte) (byte, error) {
	if len(b) < 1 {
		return 0, errEHFrame
	}
	version := b[0]
	p := 1
	augEnd := p
	for augEnd < len(b) && b[augEnd] != 0 {
		augEnd++
	}
	if augEnd >= len(b) {
		return 0, errEHFrame
	}
	aug := string(b[p:augEnd])
	p = augEnd + 1
	if aug == "" || aug[0] != 'z' {
		return pePtr, nil // no augmentation data: absolute pointers
	}
	var ok bool
	if _, p, ok = uleb(b, p); !ok { // code alignment
		return 0, errEHFrame
	}
	if _, p, ok = sleb(b, p); !ok { // data alignment
		return 0, errEHFrame
	}
	if version == 1 {
		p++
	} else if _, p, ok = uleb(b, p); !ok { // return address register
		return 0, errEHFrame
	}
	if _, p, ok = uleb(b, p); !ok { // augmentation length
		return 0, errEHFrame
	}
	for _, c := range aug[1:] {
		if p >= len(b) {
			return 0, errEHFrame
		}
		switch c {
		case 'R':
			return b[p], nil
		case 'L':
			p++
		case 'P':
			enc := b[p]
			p++
			var ok bool
			if _, p, ok = readEncoded(b, p, enc&^0x80, 0); !ok {
				return 0, errEHFrame
			}
		case 'S', 'B':
		default:
			return pePtr, nil
		}
	}
	return pePtr, nil
}

func uleb(b []byte, p int) (uint64, int, bool) {
	var v uint64
	var s uint
	for p < len(b) {
		c := b[p]
		p++
		v |= uint64(c&0x7f) << s
		s += 7
		if c&0x80 == 0 {
			return v, p, true
		}
	}
	return 0, p, false
}

func sleb(b []byte, p int) (int64, int, bool) {
	var v int64
	var s uint
	for p < len(b) {
		c := b[p]
		p++
		v |= int64(c&0x7f) << s
		s += 7
		if c&0x80 == 0 {
			if s < 64 && c&0x40 != 0 {
				v |= -1 << s
			}
			return v, p, true
		}
	}
	return 0, p, false
}

// readEncoded reads a pointer with the given encoding at b[p]; base is
// the address of b[0] (for pcrel).
func readEncoded(b []byte, p int, enc byte, base uint64) (uint64, int, bool) {
	if enc == peOmit {
		return 0, p, true
	}
	at := base + uint64(p)
	var v uint64
	switch format := enc & 0x0f; format {
	case peUleb128:
		var ok bool
		if v, p, ok = uleb(b, p); !ok {
			return 0, p, false
		}
	case peSleb128:
		s, np, ok := sleb(b, p)
		if !ok {
			return 0, p, false
		}
		v, p = uint64(s), np
	case pePtr, peUdata2, peUdata4, peUdata8, peSdata2, peSdata4, peSdata8:
		n := 8
		switch format {
		case peUdata2, peSdata2:
			n = 2
		case peUdata4, peSdata4:
			n = 4
		}
		if p+n > len(b) {
			return 0, p, false
		}
		var w [8]byte
		copy(w[:], b[p:p+n])
		v = binary.LittleEndian.Uint64(w[:])
		if shift := 64 - 8*n; format&0x08 != 0 { // sdata: sign-extended
			v = uint64(int64(v<<shift) >> shift)
		}
		p += n
	default:
		return 0, p, false
	}
	switch enc & 0x70 {
	case 0:
	case pePcrel:
		v += at
	default:
		return 0, p, false // datarel etc. are not used for FDE locations on x86_64
	}
	return v, p, true
}
