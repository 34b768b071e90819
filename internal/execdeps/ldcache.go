package execdeps

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// /etc/ld.so.cache as ldconfig writes it (glibc sysdeps/generic/dl-cache.h).
// Written by hand: no Go library reads it, and the layout is small.
//
// Since glibc 2.32 ldconfig writes only the "new" format:
//
//	cache_file_new (48 bytes)
//	  magic   "glibc-ld.so.cache" + version "1.1"    20 bytes
//	  nlibs, len_strings                           uint32 each
//	  flags                                        uint8: 2 little, 3 big endian, 0 unknown
//	  padding[3], extension_offset, unused[3]      (2.33+; zero before)
//	file_entry_new[nlibs] (24 bytes each)
//	  flags int32, key uint32, value uint32, osversion uint32, hwcap uint64
//	string table
//
// key (the soname) and value (the path) are offsets from the start of
// cache_file_new. Older ldconfig wrote the libc5-compatible "ld.so-1.7.0"
// table first (16-byte header, 12-byte entries) with the new format after
// it, aligned to 8 bytes; both layouts are read.
const (
	cacheMagicOld    = "ld.so-1.7.0"
	cacheMagicNew    = "glibc-ld.so.cache1.1"
	cacheHeaderNew   = 48
	cacheEntryNew    = 24
	cacheHeaderOld   = 16
	cacheEntryOld    = 12
	cacheFlagsLittle = 2
	cacheFlagsBig    = 3
	// Entry types glibc accepts (_dl_cache_check_flags): FLAG_ELF and
	// FLAG_ELF_LIBC6 in the low byte; the next byte is the arch, which we
	// check on the file itself.
	cacheTypeMask      = 0xff
	cacheTypeELF       = 1
	cacheTypeELFLibc6  = 3
	cacheHwcapExtFlags = 1 << 62 // DL_CACHE_HWCAP_EXTENSION: a glibc-hwcaps subdirectory entry
)

var errCache = errors.New("malformed ld.so.cache")

type cacheEntry struct {
	name, path string
	flags      int32
	hwcap      uint64
}

// parseLDCache returns the cache's entries in file order (ldconfig sorts
// them the way the loader searches them).
func parseLDCache(b []byte) ([]cacheEntry, error) {
	base := 0
	if bytes.HasPrefix(b, []byte(cacheMagicOld)) {
		if len(b) < cacheHeaderOld {
			return nil, fmt.Errorf("%w: short old header", errCache)
		}
		n := int(binary.NativeEndian.Uint32(b[12:16]))
		end := cacheHeaderOld + n*cacheEntryOld
		if n < 0 || end > len(b) {
			return nil, fmt.Errorf("%w: old table of %d entries past the end", errCache, n)
		}
		base = (end + 7) &^ 7
	}
	if base > len(b) || !bytes.HasPrefix(b[base:], []byte(cacheMagicNew)) {
		return nil, fmt.Errorf("%w: no %q header", errCache, cacheMagicNew)
	}
	h := b[base:]
	if len(h) < cacheHeaderNew {
		return nil, fmt.Errorf("%w: short header", errCache)
	}
	var bo binary.ByteOrder = binary.NativeEndian
	switch h[28] {
	case cacheFlagsLittle:
		bo = binary.LittleEndian
	case cacheFlagsBig:
		bo = binary.BigEndian
	}
	n := int(bo.Uint32(h[20:24]))
	if n < 0 || n > (len(h)-cacheHeaderNew)/cacheEntryNew {
		return nil, fmt.Errorf("%w: %d entries do not fit in %d bytes", errCache, n, len(h))
	}
	str := func(off uint32) (string, error) {
		if int64(off) >= int64(len(h)) {
			return "", fmt.Errorf("%w: string offset %d past the end", errCache, off)
		}
		s := h[off:]
		end := bytes.IndexByte(s, 0)
		if end < 0 {
			return "", fmt.Errorf("%w: unterminated string at %d", errCache, off)
		}
		return string(s[:end]), nil
	}
	entries := make([]cacheEntry, 0, n)
	for i := range n {
		e := h[cacheHeaderNew+i*cacheEntryNew:]
		flags := int32(bo.Uint32(e[0:4]))
		if t := flags & cacheTypeMask; t != cacheTypeELF && t != cacheTypeELFLibc6 {
			continue
		}
		name, err := str(bo.Uint32(e[4:8]))
		if err != nil {
			return nil, err
		}
		path, err := str(bo.Uint32(e[8:12]))
		if err != nil {
			return nil, err
		}
		entries = append(entries, cacheEntry{name: name, path: path, flags: flags, hwcap: bo.Uint64(e[16:24])})
	}
	return entries, nil
}
