package analyze

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"testing"
)

// A damaged .eh_frame (a file the analysis is asked about may be
// anything) is an error, never a panic: here an FDE whose CIE pointer
// points before the section.
func TestFDEStartsDamaged(t *testing.T) {
	var data []byte
	data = binary.LittleEndian.AppendUint32(data, 8) // length
	data = binary.LittleEndian.AppendUint32(data, 7) // CIE pointer: 3 bytes before the section
	data = binary.LittleEndian.AppendUint32(data, 0)
	data = binary.LittleEndian.AppendUint32(data, 0) // terminator
	if _, err := fdeStarts(data, 0x1000); !errors.Is(err, errEHFrame) {
		t.Errorf("fdeStarts = %v, want errEHFrame", err)
	}
}

// A CIE without augmentation (an empty string, as DWARF allows) has
// FDEs with absolute initial locations.
func TestFDEStartsNoAugmentation(t *testing.T) {
	le := binary.LittleEndian
	cie := []byte{1, 0, 1, 0x78, 16} // version 1, "", code and data alignment, return address register
	var data []byte
	data = le.AppendUint32(data, uint32(4+len(cie)))
	data = le.AppendUint32(data, 0) // CIE id
	data = append(data, cie...)
	fde := len(data)
	data = le.AppendUint32(data, 4+8+8)
	data = le.AppendUint32(data, uint32(fde+4)) // back to the CIE at 0
	data = le.AppendUint64(data, 0x401234)      // initial location, absolute
	data = le.AppendUint64(data, 0x10)          // range
	data = le.AppendUint32(data, 0)             // terminator
	got, err := fdeStarts(data, 0x1000)
	if err != nil || len(got) != 1 || got[0] != 0x401234 {
		t.Errorf("fdeStarts = %#x, %v; want [0x401234]", got, err)
	}
}

// FuzzFDEStarts: whatever the section holds, fdeStarts returns (the
// seed is the start of /bin/ls's .eh_frame: CIEs and FDEs as gcc writes
// them).
func FuzzFDEStarts(f *testing.F) {
	ef, err := elf.Open("/bin/ls")
	if err != nil {
		f.Fatal(err)
	}
	defer ef.Close()
	s := ef.Section(".eh_frame")
	if s == nil {
		f.Fatal("/bin/ls has no .eh_frame")
	}
	data, err := s.Data()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data[:min(len(data), 4096)])
	f.Fuzz(func(t *testing.T, data []byte) {
		fdeStarts(data, 0x401000)
	})
}
