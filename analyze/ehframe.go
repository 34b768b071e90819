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
	for off := 0; off+4 <= len(data); {
		length := uint64(binary.LittleEndian.Uint32(data[off:]))
		hdr := 4
		if length == 0 {
			break // terminator
		}
		if length == 0xffffffff {
			if off+12 > len(data) {
				return out, errEHFrame
			}
			length = binary.LittleEndian.Uint64(data[off+4:])
			hdr = 12
		}
		start := off + hdr
		end := start + int(length)
		if end > len(data) || end < start || start+4 > end {
			return out, errEHFrame
		}
		id := binary.LittleEndian.Uint32(data[start:])
		if id == 0 {
			enc, err := cieFDEEncoding(data[start+4 : end])
			if err != nil {
				return out, err
			}
			cieEnc[uint64(off)] = enc
		} else {
			cie := uint64(start) - uint64(id)
			enc, ok := cieEnc[cie]
			if !ok {
				// CIEs come before their FDEs in practice; parse it now.
				if cie+8 > uint64(len(data)) {
					return out, errEHFrame
				}
				l := uint64(binary.LittleEndian.Uint32(data[cie:]))
				if cie+4+l > uint64(len(data)) || l < 4 {
					return out, errEHFrame
				}
				var err error
				if enc, err = cieFDEEncoding(data[cie+8 : cie+4+l]); err != nil {
					return out, err
				}
				cieEnc[cie] = enc
			}
			p := start + 4
			v, _, ok := readEncoded(data, p, enc, addr)
			if ok && v != 0 {
				out = append(out, v)
			}
		}
		off = end
	}
	return out, nil
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
	if len(aug) > 0 && aug[0] != 'z' {
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
	switch enc & 0x0f {
	case pePtr, peUdata8, peSdata8:
		if p+8 > len(b) {
			return 0, p, false
		}
		v = binary.LittleEndian.Uint64(b[p:])
		p += 8
	case peUdata4:
		if p+4 > len(b) {
			return 0, p, false
		}
		v = uint64(binary.LittleEndian.Uint32(b[p:]))
		p += 4
	case peSdata4:
		if p+4 > len(b) {
			return 0, p, false
		}
		v = uint64(int64(int32(binary.LittleEndian.Uint32(b[p:]))))
		p += 4
	case peUdata2:
		if p+2 > len(b) {
			return 0, p, false
		}
		v = uint64(binary.LittleEndian.Uint16(b[p:]))
		p += 2
	case peSdata2:
		if p+2 > len(b) {
			return 0, p, false
		}
		v = uint64(int64(int16(binary.LittleEndian.Uint16(b[p:]))))
		p += 2
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
