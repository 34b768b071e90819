package analyze

import (
	"bytes"
	"debug/elf"
	"debug/gosym"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// ErrUnsupported is returned (wrapped, naming the file) for an ELF file
// the analyser cannot read: another machine than x86_64, 32-bit, or not
// an executable or shared object.
var ErrUnsupported = errors.New("unsupported ELF file")

// Object is what the analysis of one ELF file found, independent of the
// other files it is loaded with: its functions, the syscalls each makes
// itself, and its references to other functions, local or imported.
// This is what the cache stores, keyed by build ID.
type Object struct {
	Path    string
	BuildID string
	Soname  string
	Interp  string
	Needed  []string
	// Go is true for a Go binary (found by its .gopclntab); every
	// function of a Go binary is taken as reachable (Whole), since its
	// method tables refer to code through offsets no relocation shows.
	Go    bool
	Whole bool
	Funcs []Func
	// Syms are the symbols this object refers to by name (PLT, GOT and
	// data relocations), resolved at link time in the global scope.
	Syms    []SymRef
	Exports []Export
	// Roots are the functions that run whenever the object is loaded or
	// whose addresses are stored in its data (callable through any
	// pointer read from there).
	Roots []Root
	// DataSyms are indexes into Syms of symbols whose addresses are
	// stored in data: reachable whenever the object is.
	DataSyms []int32
	// Indirect counts the indirect calls and jumps (not through the
	// GOT): they reach address-taken functions only, which are roots.
	Indirect int
}

// SymRef names a symbol another object (or this one, through
// interposition) defines.
type SymRef struct {
	Name    string
	Version string `json:",omitempty"`
	// Weak: an undefined weak reference, which code checks for NULL
	// before use (__gmon_start__): no definition is not a gap.
	Weak bool `json:",omitempty"`
}

func (s SymRef) String() string {
	if s.Version != "" {
		return s.Name + "@" + s.Version
	}
	return s.Name
}

// Export is a defined dynamic symbol.
type Export struct {
	Name    string
	Version string
	Hidden  bool  // a non-default version (name@VER, not name@@VER)
	Func    int32 // index into Funcs, -1 if not code
}

// Root is a function reachable whenever the object is loaded.
type Root struct {
	Func int32
	Why  string
}

// Func is one function: its start and what it does.
type Func struct {
	Addr uint64
	Name string `json:",omitempty"`
	// Sys are the syscalls it makes itself, or through a wrapper it
	// calls with a constant number.
	Sys []SysRef `json:",omitempty"`
	// Calls are local functions it calls, jumps to, or takes the address of.
	Calls []int32 `json:",omitempty"`
	// Refs are the symbols (index into Object.Syms) it calls through the
	// PLT or GOT or whose GOT slot it reads.
	Refs []SymSite `json:",omitempty"`
	// WrapLocs: the syscall number is one of its parameters (libc's
	// syscall(), Go's Syscall6): the callers' values decide.
	WrapLocs []Loc `json:",omitempty"`
	// Unresolved are syscall sites whose number was not found.
	Unresolved []Site `json:",omitempty"`
}

// SysRef is a syscall a function makes.
type SysRef struct {
	Nr  uint32
	X86 bool  `json:",omitempty"` // int $0x80: the i386 ABI
	Via int32 // the wrapper function called with this number, or -1
	At  uint64
}

// SymSite is a reference to a symbol from code.
type SymSite struct {
	Sym  int32
	At   uint64
	Call bool // a call or jump (else the address is only read)
	// Args are the constant values at a call of the locations a wrapper
	// may take its number in.
	Args []LocVal `json:",omitempty"`
	// Strings are the constant strings passed to dlopen (the library)
	// and dlsym (the symbol), when the analysis found them.
	Strings []string `json:",omitempty"`
}

// LocVal is a constant value of a parameter location at a call site.
type LocVal struct {
	Loc  Loc
	Vals []uint64
}

// Site is a place in the code the analysis could not resolve.
type Site struct {
	At  uint64
	Why string
}

// Loc is a parameter location at a function's entry: a register (0-15 in
// hardware order: rax rcx rdx rbx rsp rbp rsi rdi r8..r15) or a stack
// slot (locStack+offset from the entry stack pointer: 8 is the first
// stack argument).
type Loc int32

const locStack Loc = 1000

var regNames = [16]string{"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"}

func (l Loc) String() string {
	if l >= 0 && l < 16 {
		return regNames[l]
	}
	return fmt.Sprintf("[rsp+%d]", int32(l-locStack))
}

// image is an ELF file being analysed.
type image struct {
	f        *elf.File
	path     string
	obj      *Object
	progs    []*elf.Prog
	execSecs []*elf.Section
	starts   []uint64         // function starts, sorted
	index    map[uint64]int32 // start -> function index
	names    map[uint64]string
	pltStub  map[uint64]int32 // PLT entry address -> Syms index
	gotSlot  map[uint64]int32 // GOT slot address -> Syms index
	// gotIrel maps GOT slots relocated with IRELATIVE (a local IFUNC) to
	// the resolver's address, and pltIrel their PLT entries.
	gotIrel  map[uint64]uint64
	pltIrel  map[uint64]uint64
	symIdx   map[SymRef]int32
	pltLo    []addrRange
	memCache map[*elf.Prog][]byte
}

type addrRange struct{ lo, hi uint64 }

// Relocation types (x86_64 psABI).
const (
	rX86_64_64        = 1
	rX86_64_GLOB_DAT  = 6
	rX86_64_JUMP_SLOT = 7
	rX86_64_RELATIVE  = 8
	rX86_64_IRELATIVE = 37
)

// buildID returns the GNU build ID of f, hex, or "".
func buildID(f *elf.File) string {
	for _, s := range f.Sections {
		if s.Type != elf.SHT_NOTE {
			continue
		}
		data, err := s.Data()
		if err != nil {
			continue
		}
		for len(data) >= 12 {
			nsz := binary.LittleEndian.Uint32(data)
			dsz := binary.LittleEndian.Uint32(data[4:])
			typ := binary.LittleEndian.Uint32(data[8:])
			p := 12 + int(align4(nsz))
			if p > len(data) || p+int(dsz) > len(data) {
				break
			}
			if typ == 3 && nsz == 4 && string(data[12:15]) == "GNU" {
				return hex.EncodeToString(data[p : p+int(dsz)])
			}
			data = data[p+int(align4(dsz)):]
		}
	}
	return ""
}

func align4(n uint32) uint32 { return (n + 3) &^ 3 }

// openImage opens an ELF file for analysis.
func openImage(path string) (*image, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrUnsupported, err)
	}
	if f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 {
		f.Close()
		return nil, fmt.Errorf("%s: %w: %s %s (only x86_64 is analysed)", path, ErrUnsupported, f.Class, f.Machine)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		f.Close()
		return nil, fmt.Errorf("%s: %w: %s", path, ErrUnsupported, f.Type)
	}
	return &image{f: f, path: path, memCache: map[*elf.Prog][]byte{}}, nil
}

// read returns n bytes of the file's memory image at addr (nil if not
// mapped from the file).
func (im *image) read(addr uint64, n int) []byte {
	for _, p := range im.progs {
		if addr >= p.Vaddr && addr+uint64(n) <= p.Vaddr+p.Filesz {
			data, ok := im.memCache[p]
			if !ok {
				data = progData(p)
				im.memCache[p] = data
			}
			if data == nil {
				return nil
			}
			off := addr - p.Vaddr
			return data[off : off+uint64(n)]
		}
	}
	return nil
}

func (im *image) sym(r SymRef) int32 {
	if i, ok := im.symIdx[r]; ok {
		return i
	}
	i := int32(len(im.obj.Syms))
	im.obj.Syms = append(im.obj.Syms, r)
	im.symIdx[r] = i
	return i
}

// load reads everything but the code: symbols, relocations, PLT, function
// starts, roots. id is the file's build ID.
func (im *image) load(id string) error {
	f := im.f
	o := &Object{Path: im.path, BuildID: id}
	im.obj = o
	im.symIdx = map[SymRef]int32{}
	im.names = map[uint64]string{}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			im.progs = append(im.progs, p)
		}
	}
	o.Interp = progInterp(f)
	if libs, err := f.ImportedLibraries(); err == nil {
		o.Needed = libs
	}
	if s, err := f.DynString(elf.DT_SONAME); err == nil && len(s) > 0 {
		o.Soname = s[0]
	}
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_EXECINSTR != 0 && s.Type == elf.SHT_PROGBITS && s.Size > 0 {
			switch s.Name {
			case ".plt", ".plt.sec", ".plt.got", ".iplt":
				im.pltLo = append(im.pltLo, addrRange{s.Addr, s.Addr + s.Size})
			default:
				im.execSecs = append(im.execSecs, s)
			}
		}
	}
	if len(f.Sections) == 0 {
		return fmt.Errorf("%s: %w: no section headers", im.path, ErrUnsupported)
	}
	o.Go = f.Section(".gopclntab") != nil

	dynsyms, _ := f.DynamicSymbols()
	starts := map[uint64]bool{}
	addStart := func(a uint64, name string) {
		if a == 0 || !im.inExec(a) {
			return
		}
		starts[a] = true
		if name != "" {
			if old, ok := im.names[a]; !ok || len(name) < len(old) && !strings.HasPrefix(name, "_") {
				im.names[a] = name
			}
		}
	}
	// Exports and their function starts.
	type exp struct {
		Export
		addr uint64
	}
	var exps []exp
	for _, s := range dynsyms {
		if s.Section == elf.SHN_UNDEF || s.Name == "" {
			continue
		}
		t := elf.ST_TYPE(s.Info)
		e := exp{Export: Export{Name: s.Name, Version: s.Version, Hidden: s.HasVersion && s.VersionIndex.IsHidden(), Func: -1}}
		if t == elf.STT_FUNC || t == elf.STT_GNU_IFUNC {
			e.addr = s.Value
			addStart(s.Value, s.Name)
		}
		exps = append(exps, e)
	}
	if syms, err := f.Symbols(); err == nil {
		for _, s := range syms {
			if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Section != elf.SHN_UNDEF {
				addStart(s.Value, s.Name)
			}
		}
	}
	if s := f.Section(".eh_frame"); s != nil && s.Type == elf.SHT_PROGBITS {
		if data, err := s.Data(); err == nil {
			fs, _ := fdeStarts(data, s.Addr)
			for _, a := range fs {
				addStart(a, "")
			}
		}
	}
	if o.Go {
		if err := im.goFuncs(addStart); err != nil {
			return err
		}
		o.Whole = true
	}
	var rootAddrs []struct {
		a   uint64
		why string
	}
	addRoot := func(a uint64, why string) {
		if a != 0 && im.inExec(a) {
			addStart(a, "")
			rootAddrs = append(rootAddrs, struct {
				a   uint64
				why string
			}{a, why})
		}
	}
	if f.Type == elf.ET_EXEC || o.Interp != "" || f.Entry != 0 && im.inExec(f.Entry) && o.Soname == "" {
		addRoot(f.Entry, "entry point")
	}
	for _, name := range []string{".init_array", ".fini_array", ".preinit_array", ".ctors", ".dtors"} {
		s := f.Section(name)
		if s == nil || s.Type == elf.SHT_NOBITS {
			continue
		}
		data, err := s.Data()
		if err != nil {
			continue
		}
		for i := 0; i+8 <= len(data); i += 8 {
			addRoot(binary.LittleEndian.Uint64(data[i:]), name)
		}
	}
	for _, name := range []string{".init", ".fini"} {
		if s := f.Section(name); s != nil {
			addRoot(s.Addr, name)
		}
	}

	// Relocations: GOT slots, function pointers in data.
	im.gotSlot = map[uint64]int32{}
	im.gotIrel = map[uint64]uint64{}
	var dataPtrs []uint64 // addresses stored in data
	inGOT := func(a uint64) bool {
		for _, n := range []string{".got", ".got.plt"} {
			if s := f.Section(n); s != nil && a >= s.Addr && a < s.Addr+s.Size {
				return true
			}
		}
		return false
	}
	var pltRelocs []int32 // .rela.plt order, for lazy PLT entries
	for _, s := range f.Sections {
		if s.Type != elf.SHT_RELA {
			continue
		}
		data, err := s.Data()
		if err != nil {
			continue
		}
		isPLT := s.Flags&elf.SHF_INFO_LINK != 0 || s.Name == ".rela.plt"
		for i := 0; i+24 <= len(data); i += 24 {
			off := binary.LittleEndian.Uint64(data[i:])
			info := binary.LittleEndian.Uint64(data[i+8:])
			add := int64(binary.LittleEndian.Uint64(data[i+16:]))
			typ, si := uint32(info), int(info>>32)
			switch typ {
			case rX86_64_RELATIVE:
				dataPtrs = append(dataPtrs, uint64(add))
			case rX86_64_IRELATIVE:
				addRoot(uint64(add), "IFUNC resolver run by the loader")
				im.gotIrel[off] = uint64(add)
				if isPLT {
					pltRelocs = append(pltRelocs, -1)
				}
			case rX86_64_64, rX86_64_GLOB_DAT, rX86_64_JUMP_SLOT:
				if si == 0 || si > len(dynsyms) {
					continue
				}
				ds := dynsyms[si-1]
				t := elf.ST_TYPE(ds.Info)
				if t != elf.STT_FUNC && t != elf.STT_GNU_IFUNC && !(t == elf.STT_NOTYPE && ds.Section == elf.SHN_UNDEF) {
					if isPLT {
						pltRelocs = append(pltRelocs, -1)
					}
					continue // data objects
				}
				ref := im.sym(SymRef{Name: ds.Name, Version: ds.Version, Weak: ds.Section == elf.SHN_UNDEF && elf.ST_BIND(ds.Info) == elf.STB_WEAK})
				if typ == rX86_64_JUMP_SLOT {
					pltRelocs = append(pltRelocs, ref)
				}
				if inGOT(off) {
					im.gotSlot[off] = ref
				} else {
					o.DataSyms = appendUnique32(o.DataSyms, ref)
				}
			default:
				if isPLT {
					pltRelocs = append(pltRelocs, -1)
				}
			}
		}
	}
	// Pointers stored in data (RELR and non-PIE executables keep them in
	// place; RELA keeps them in the addend, read above).
	for _, s := range f.Sections {
		if s.Flags&elf.SHF_ALLOC == 0 || s.Flags&elf.SHF_EXECINSTR != 0 || s.Type != elf.SHT_PROGBITS && s.Type != elf.SHT_INIT_ARRAY && s.Type != elf.SHT_FINI_ARRAY && s.Type != elf.SHT_PREINIT_ARRAY {
			continue
		}
		switch s.Name {
		case ".eh_frame", ".eh_frame_hdr", ".gcc_except_table", ".gopclntab", ".interp", ".note.gnu.property":
			continue
		}
		data, err := s.Data()
		if err != nil {
			continue
		}
		for i := (8 - s.Addr%8) % 8; i+8 <= uint64(len(data)); i += 8 {
			v := binary.LittleEndian.Uint64(data[i:])
			if v != 0 {
				dataPtrs = append(dataPtrs, v)
			}
		}
	}

	im.loadPLT(pltRelocs)
	im.findMissingStarts(starts)
	im.setStarts(starts)
	for _, e := range exps {
		if e.addr != 0 {
			if i, ok := im.index[e.addr]; ok {
				e.Func = i
			}
		}
		o.Exports = append(o.Exports, e.Export)
	}
	for _, r := range rootAddrs {
		if i, ok := im.index[r.a]; ok {
			o.Roots = append(o.Roots, Root{Func: i, Why: r.why})
		}
	}
	seenData := map[int32]bool{}
	for _, a := range dataPtrs {
		if i, ok := im.index[a]; ok && !seenData[i] {
			seenData[i] = true
			o.Roots = append(o.Roots, Root{Func: i, Why: "address stored in data"})
		}
	}
	return nil
}

// progInterp is the ELF interpreter f names (PT_INTERP), or "".
func progInterp(f *elf.File) string {
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return string(bytes.TrimRight(progData(p), "\x00"))
		}
	}
	return ""
}

// progData returns the bytes of segment p, or nil when the file does not
// hold them all: a damaged size in a program header (any file may be
// analysed) costs no allocation beyond the file's own size.
func progData(p *elf.Prog) []byte {
	if p.Filesz == 0 {
		return []byte{}
	}
	if p.Filesz > math.MaxInt64 {
		return nil
	}
	var last [1]byte
	if _, err := p.ReadAt(last[:], int64(p.Filesz)-1); err != nil {
		return nil // the file ends before the segment does
	}
	data := make([]byte, p.Filesz)
	if _, err := p.ReadAt(data, 0); err != nil {
		return nil
	}
	return data
}

func appendUnique32(s []int32, v int32) []int32 {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

func (im *image) inExec(a uint64) bool {
	for _, s := range im.execSecs {
		if a >= s.Addr && a < s.Addr+s.Size {
			return true
		}
	}
	return false
}

func (im *image) setStarts(starts map[uint64]bool) {
	im.starts = make([]uint64, 0, len(starts))
	for a := range starts {
		im.starts = append(im.starts, a)
	}
	sort.Slice(im.starts, func(i, j int) bool { return im.starts[i] < im.starts[j] })
	im.index = make(map[uint64]int32, len(im.starts))
	im.obj.Funcs = make([]Func, len(im.starts))
	for i, a := range im.starts {
		im.index[a] = int32(i)
		im.obj.Funcs[i] = Func{Addr: a, Name: im.names[a]}
	}
}

// funcAt returns the index of the function containing a, or -1.
func (im *image) funcAt(a uint64) int32 {
	if !im.inExec(a) {
		return -1
	}
	i := sort.Search(len(im.starts), func(i int) bool { return im.starts[i] > a }) - 1
	if i < 0 {
		return -1
	}
	return int32(i)
}

// end returns where function i's code ends: the next start or the end of
// its section.
func (im *image) end(i int) uint64 {
	a := im.starts[i]
	var secEnd uint64
	for _, s := range im.execSecs {
		if a >= s.Addr && a < s.Addr+s.Size {
			secEnd = s.Addr + s.Size
		}
	}
	if i+1 < len(im.starts) && im.starts[i+1] < secEnd {
		return im.starts[i+1]
	}
	return secEnd
}

// loadPLT maps each PLT entry to the symbol its GOT slot is relocated
// with: an entry jumps through its slot (.plt.sec, .plt.got, and .plt
// without IBT) or pushes its .rela.plt index (lazy .plt with IBT).
func (im *image) loadPLT(pltRelocs []int32) {
	im.pltStub = map[uint64]int32{}
	im.pltIrel = map[uint64]uint64{}
	for _, r := range im.pltLo {
		code := im.read(r.lo, int(r.hi-r.lo))
		if code == nil {
			continue
		}
		entry := uint64(16)
		if s := im.sectionAt(r.lo); s != nil && s.Name == ".plt.got" && s.Entsize == 8 {
			entry = 8
		}
		for a := r.lo; a < r.hi; a += entry {
			for p := a; p < a+entry && p < r.hi; {
				inst, err := decode(code[p-r.lo:])
				if err != nil {
					break
				}
				if slot, ok := ripTarget(&inst, p); ok && (inst.Op == opJMP) {
					if ref, ok := im.gotSlot[slot]; ok {
						im.pltStub[a] = ref
					} else if res, ok := im.gotIrel[slot]; ok {
						im.pltIrel[a] = res
					}
					break
				}
				if inst.Op == opPUSH {
					if n, ok := immArg(&inst); ok && n >= 0 && int(n) < len(pltRelocs) && pltRelocs[n] >= 0 {
						if _, seen := im.pltStub[a]; !seen {
							im.pltStub[a] = pltRelocs[n]
						}
					}
				}
				p += uint64(inst.Len)
			}
		}
	}
}

func (im *image) sectionAt(a uint64) *elf.Section {
	for _, s := range im.f.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 && a >= s.Addr && a < s.Addr+s.Size {
			return s
		}
	}
	return nil
}

func (im *image) inPLT(a uint64) bool {
	for _, r := range im.pltLo {
		if a >= r.lo && a < r.hi {
			return true
		}
	}
	return false
}

// goFuncs adds the functions of a Go binary's pclntab (present even in a
// stripped binary).
func (im *image) goFuncs(add func(uint64, string)) error {
	s := im.f.Section(".gopclntab")
	data, err := s.Data()
	if err != nil {
		return fmt.Errorf("%s: .gopclntab: %w", im.path, err)
	}
	var text uint64
	if t := im.f.Section(".text"); t != nil {
		text = t.Addr
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text))
	if err != nil {
		return fmt.Errorf("%s: .gopclntab: %w", im.path, err)
	}
	for _, fn := range tab.Funcs {
		add(fn.Entry, fn.Name)
	}
	return nil
}

// analyzeFile builds the Object of the ELF file at path.
func analyzeFile(path string) (*Object, error) {
	im, err := openImage(path)
	if err != nil {
		return nil, err
	}
	defer im.f.Close()
	return im.analyze(buildID(im.f))
}

// analyze builds the Object of the opened file, whose build ID is id.
func (im *image) analyze(id string) (*Object, error) {
	if err := im.load(id); err != nil {
		return nil, err
	}
	im.analyzeCode()
	return im.obj, nil
}

// cString reads a NUL-terminated string at addr (at most 4096 bytes).
func (im *image) cString(addr uint64) (string, bool) {
	for n := 64; n <= 4096; n *= 4 {
		b := im.read(addr, n)
		if b == nil {
			// Near the end of a segment: try shorter reads.
			for m := n / 2; m > 0 && b == nil; m /= 2 {
				b = im.read(addr, m)
			}
			if b == nil {
				return "", false
			}
		}
		if i := bytes.IndexByte(b, 0); i >= 0 {
			return string(b[:i]), true
		}
		if len(b) < n {
			return "", false
		}
	}
	return "", false
}
