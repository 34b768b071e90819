package execdeps

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Files glibc's loader reads on its own (SYSCONFDIR is /etc on every
// distribution we know).
const (
	ldSoCache   = "/etc/ld.so.cache"
	ldSoPreload = "/etc/ld.so.preload"
)

// object is one ELF file in the loader's model: what glibc's struct
// link_map holds that matters for finding its dependencies.
type object struct {
	name     string // the path it was found at (glibc's l_name): $ORIGIN of a library
	real     string
	origin   string
	soname   string
	needed   []string
	rpath    []string // DT_RPATH, ignored (nil) when DT_RUNPATH exists, as glibc does
	runpath  []string
	nodeflib bool // DF_1_NODEFLIB: no ld.so.cache, no default directories
	loader   *object
}

// abiIdent is what glibc's open_verify checks before it accepts a file
// found in a search directory: the ELF class, byte order and machine of
// the executable. Anything else is skipped and the search goes on.
type abiIdent struct {
	class   elf.Class
	data    elf.Data
	machine elf.Machine
}

// loader models glibc's ld.so (elf/dl-load.c, elf/rtld.c) for one program.
type loader struct {
	r       *resolver
	ident   abiIdent
	glibc   bool // glibc's loader (ld.so.cache, ld.so.preload); else musl's search rules
	sysDirs []string
	main    *object
	byName  map[string]*object // requested names and sonames (glibc's _dl_name_match_p)
	byReal  map[string]*object // identity of loaded files (glibc compares dev/ino)
	queue   []*object
}

// elfProgram adds the ELF interpreter and the libraries of the executable
// at real.
func (r *resolver) elfProgram(real string) error {
	f, err := elf.Open(real)
	if err != nil {
		return &Error{Path: real, Err: fmt.Errorf("%w: %w", ErrFormat, err)}
	}
	defer f.Close()
	interp, err := progInterp(f)
	if err != nil {
		return &Error{Path: real, Err: fmt.Errorf("%w: PT_INTERP: %w", ErrFormat, err)}
	}
	if interp == "" {
		return nil // static: the kernel maps it alone
	}
	if _, err := r.add(interp, true, "ELF interpreter (PT_INTERP) of "+real); err != nil {
		return err
	}

	main, err := readObject(f, real, real)
	if err != nil {
		return &Error{Path: real, Err: err}
	}
	main.origin = filepath.Dir(real) // glibc takes it from /proc/self/exe: the real directory
	l := &loader{
		r:      r,
		ident:  abiIdent{f.Class, f.Data, f.Machine},
		glibc:  isGlibcInterp(interp),
		main:   main,
		byName: map[string]*object{},
		byReal: map[string]*object{real: main},
	}
	l.sysDirs = l.systemDirs()

	// The interpreter is loaded already: a DT_NEEDED naming it (libc.so.6
	// needs ld-linux-x86-64.so.2) resolves to it by soname.
	if ireal, err := filepath.EvalSymlinks(r.abs(interp)); err == nil {
		if fi, err := elf.Open(ireal); err == nil {
			if iobj, err := readObject(fi, interp, ireal); err == nil {
				l.register(iobj, interp)
				l.byReal[ireal] = iobj
			}
			fi.Close()
		}
	}

	missingBefore := len(r.res.Missing)
	l.queue = []*object{main}
	for _, name := range l.preloads() {
		l.load(name.name, main, name.reason)
	}
	// Breadth first, as _dl_map_object_deps does: the first object to need
	// a name decides where it is searched for.
	for i := 0; i < len(l.queue); i++ {
		o := l.queue[i]
		for _, n := range o.needed {
			l.load(n, o, fmt.Sprintf("DT_NEEDED %s of %s", n, o.real))
		}
	}
	// A name one object could not find may have been found for another
	// (with other search paths); report each name missing once.
	kept := slices.Clone(r.res.Missing[:missingBefore])
	seen := map[string]bool{}
	for _, m := range r.res.Missing[missingBefore:] {
		if _, found := l.byName[m.Name]; !found && !seen[m.Name] {
			seen[m.Name] = true
			kept = append(kept, m)
		}
	}
	r.res.Missing = kept
	return nil
}

func progInterp(f *elf.File) (string, error) {
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b, err := io.ReadAll(p.Open())
		if err != nil {
			return "", err
		}
		s, _, _ := strings.Cut(string(b), "\x00")
		if s == "" {
			return "", errors.New("empty interpreter path")
		}
		return s, nil
	}
	return "", nil
}

// isGlibcInterp tells glibc's loader (ld-linux-x86-64.so.2, ld-linux.so.2,
// ld-linux-aarch64.so.1, ld64.so.2, ld.so.1, ...) from musl's (ld-musl-*).
func isGlibcInterp(interp string) bool {
	return !strings.HasPrefix(filepath.Base(interp), "ld-musl-")
}

func readObject(f *elf.File, name, real string) (*object, error) {
	o := &object{name: name, real: real}
	var err error
	if o.needed, err = dynStrings(f, elf.DT_NEEDED); err != nil {
		return nil, err
	}
	if s, err := dynStrings(f, elf.DT_SONAME); err == nil && len(s) > 0 {
		o.soname = s[0]
	}
	rpath, _ := dynStrings(f, elf.DT_RPATH)
	runpath, _ := dynStrings(f, elf.DT_RUNPATH)
	o.runpath = splitPath(runpath)
	if runpath == nil { // glibc drops DT_RPATH when DT_RUNPATH is present
		o.rpath = splitPath(rpath)
	}
	if v, err := f.DynValue(elf.DT_FLAGS_1); err == nil && len(v) > 0 {
		o.nodeflib = elf.DynFlag1(v[0])&elf.DF_1_NODEFLIB != 0
	}
	return o, nil
}

// dynStrings is DynString that treats "no dynamic section" as no values.
func dynStrings(f *elf.File, tag elf.DynTag) ([]string, error) {
	if f.Section(".dynamic") == nil && !hasDynamicProg(f) {
		return nil, nil
	}
	return f.DynString(tag)
}

func hasDynamicProg(f *elf.File) bool {
	for _, p := range f.Progs {
		if p.Type == elf.PT_DYNAMIC {
			return true
		}
	}
	return false
}

func splitPath(vals []string) []string {
	var out []string
	for _, v := range vals {
		out = append(out, strings.Split(v, ":")...)
	}
	return out
}

type preload struct{ name, reason string }

// preloads are LD_PRELOAD's names, then /etc/ld.so.preload's (rtld.c reads
// them in that order; the file only if it exists).
func (l *loader) preloads() []preload {
	var out []preload
	for _, n := range strings.FieldsFunc(l.r.env["LD_PRELOAD"], func(c rune) bool { return c == ' ' || c == ':' }) {
		out = append(out, preload{n, "LD_PRELOAD " + n})
	}
	if !l.glibc {
		return out
	}
	b, err := os.ReadFile(ldSoPreload)
	if err != nil {
		return out // glibc checks access(R_OK) and moves on
	}
	if _, err := l.r.add(ldSoPreload, false, "read by the ELF interpreter at start-up (it exists)"); err != nil {
		return out
	}
	for _, n := range strings.FieldsFunc(string(b), func(c rune) bool { return strings.ContainsRune(": \t\n", c) }) {
		out = append(out, preload{n, ldSoPreload + " names " + n})
	}
	return out
}

func (l *loader) register(o *object, names ...string) {
	for _, n := range append(names, o.soname) {
		if n != "" {
			if _, ok := l.byName[n]; !ok {
				l.byName[n] = o
			}
		}
	}
}

// load maps name as needed by requester: reuse an object already known by
// that name, else search for it and queue what was found.
func (l *loader) load(name string, requester *object, reason string) {
	if _, ok := l.byName[name]; ok {
		return
	}
	found := l.search(name, requester)
	if len(found) == 0 {
		l.r.res.Missing = append(l.r.res.Missing, Missing{Name: name, Reason: reason})
		return
	}
	for i, c := range found {
		why := reason
		if i > 0 || c.variant {
			why = fmt.Sprintf("glibc-hwcaps variant of %s (the loader picks it on CPUs that support it); %s", name, reason)
		}
		real, err := l.r.add(c.path, false, why)
		if err != nil {
			continue
		}
		if o, ok := l.byReal[real]; ok {
			if i == 0 {
				l.register(o, name)
			}
			continue
		}
		f, err := elf.Open(real)
		if err != nil {
			continue
		}
		o, err := readObject(f, c.path, real)
		f.Close()
		if err != nil {
			continue
		}
		o.origin = filepath.Dir(l.r.abs(c.path)) // a library's $ORIGIN is where it was found, links unresolved
		o.loader = requester
		l.byReal[real] = o
		if i == 0 {
			l.register(o, name)
		}
		l.queue = append(l.queue, o)
	}
}

type candidate struct {
	path    string
	variant bool // a glibc-hwcaps subdirectory entry
}

// search follows _dl_map_object's order for a name without a slash:
// DT_RPATH of the requester and its loaders (only if the requester has no
// DT_RUNPATH), then the executable's DT_RPATH, LD_LIBRARY_PATH, the
// requester's DT_RUNPATH, /etc/ld.so.cache, the system directories. The
// first directory holding a matching file wins; glibc-hwcaps variants in
// it are returned too, after the plain file.
func (l *loader) search(name string, req *object) []candidate {
	if strings.Contains(name, "/") {
		p, ok := l.expand(name, req)
		if !ok || !l.matches(l.r.abs(p)) {
			return nil
		}
		return []candidate{{path: p}}
	}
	if req.runpath == nil {
		didMain := false
		for o := req; o != nil; o = o.loader {
			if c := l.searchDirs(name, o.rpath, o); c != nil {
				return c
			}
			didMain = didMain || o == l.main
		}
		if !didMain {
			if c := l.searchDirs(name, l.main.rpath, l.main); c != nil {
				return c
			}
		}
	}
	if llp, ok := l.r.env["LD_LIBRARY_PATH"]; ok {
		if c := l.searchDirs(name, strings.FieldsFunc(llp, func(c rune) bool { return c == ':' || c == ';' }), l.main); c != nil {
			return c
		}
	}
	if c := l.searchDirs(name, req.runpath, req); c != nil {
		return c
	}
	if req.nodeflib {
		return nil
	}
	if l.glibc {
		if c := l.searchCache(name); c != nil {
			return c
		}
	}
	return l.searchDirs(name, l.sysDirs, nil)
}

func (l *loader) searchDirs(name string, dirs []string, owner *object) []candidate {
	for _, d := range dirs {
		if owner != nil {
			var ok bool
			if d, ok = l.expand(d, owner); !ok {
				continue // glibc drops an element whose DSTs it cannot expand
			}
		}
		if d == "" {
			d = "." // an empty element is the current directory
		}
		var out []candidate
		plain := filepath.Join(d, name)
		if l.matches(l.r.abs(plain)) {
			out = append(out, candidate{path: plain})
		}
		if l.glibc {
			variants, _ := filepath.Glob(filepath.Join(l.r.abs(d), "glibc-hwcaps", "*", name))
			slices.Sort(variants)
			for _, v := range variants {
				if l.matches(v) {
					out = append(out, candidate{path: v, variant: true})
				}
			}
		}
		if out != nil {
			return out
		}
	}
	return nil
}

// searchCache looks name up in /etc/ld.so.cache: the first entry whose file
// matches the executable's ABI, plus any glibc-hwcaps entries.
func (l *loader) searchCache(name string) []candidate {
	entries, exists := l.r.ldCache()
	if !exists {
		return nil
	}
	// The loader maps the cache as soon as one lookup gets this far.
	l.r.add(ldSoCache, false, "read by the ELF interpreter to look up "+name)
	var plain *candidate
	var variants []candidate
	for _, e := range entries {
		if e.name != name || !l.matches(e.path) {
			continue
		}
		if e.hwcap != 0 {
			variants = append(variants, candidate{path: e.path, variant: true})
		} else if plain == nil {
			plain = &candidate{path: e.path}
		}
	}
	out := variants
	if plain != nil {
		out = append([]candidate{*plain}, variants...)
	}
	return out
}

// ldCache parses /etc/ld.so.cache once; exists is false without one. A
// cache that does not parse is treated as empty and the search goes on to
// the system directories.
func (r *resolver) ldCache() (entries []cacheEntry, exists bool) {
	if !r.cacheRead {
		r.cacheRead = true
		b, err := os.ReadFile(ldSoCache)
		r.cacheExists = err == nil
		if err == nil {
			r.cache, _ = parseLDCache(b) // a corrupt cache is ignored, as glibc does
		}
	}
	return r.cache, r.cacheExists
}

// matches reports whether p is an ELF file the loader would accept for
// this executable (open_verify: class, byte order, machine).
func (l *loader) matches(p string) bool {
	id, ok := readIdent(p)
	return ok && id == l.ident
}

func readIdent(p string) (abiIdent, bool) {
	f, err := os.Open(p)
	if err != nil {
		return abiIdent{}, false
	}
	defer f.Close()
	var h [20]byte
	if _, err := io.ReadFull(f, h[:]); err != nil || string(h[:4]) != elf.ELFMAG {
		return abiIdent{}, false
	}
	id := abiIdent{class: elf.Class(h[elf.EI_CLASS]), data: elf.Data(h[elf.EI_DATA])}
	var bo binary.ByteOrder = binary.LittleEndian
	if id.data == elf.ELFDATA2MSB {
		bo = binary.BigEndian
	}
	id.machine = elf.Machine(bo.Uint16(h[18:20]))
	return id, true
}

// expand substitutes dynamic string tokens in a search path element or a
// DT_NEEDED with a slash: $ORIGIN (the owner's directory), $PLATFORM and
// $LIB. It reports false for a token it cannot expand.
func (l *loader) expand(s string, owner *object) (string, bool) {
	if !strings.Contains(s, "$") {
		return s, true
	}
	origin := owner.origin
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		tok, n := dstToken(s[i+1:])
		var val string
		switch tok {
		case "ORIGIN":
			val = origin
		case "PLATFORM":
			val = l.platform()
		case "LIB":
			val = l.libDirName()
		}
		if val == "" {
			return "", false
		}
		b.WriteString(val)
		i += n
	}
	return b.String(), true
}

// dstToken reads NAME or {NAME} after a '$' and returns it with its length.
func dstToken(s string) (string, int) {
	if strings.HasPrefix(s, "{") {
		if end := strings.IndexByte(s, '}'); end > 0 {
			return s[1:end], end + 1
		}
		return "", 0
	}
	n := 0
	for n < len(s) && (s[n] == '_' || s[n] >= 'A' && s[n] <= 'Z' || s[n] >= 'a' && s[n] <= 'z' || s[n] >= '0' && s[n] <= '9') {
		n++
	}
	return s[:n], n
}

// platform is AT_PLATFORM as the kernel sets it for the machines where it
// is the machine name; "" (unexpandable) elsewhere.
func (l *loader) platform() string {
	switch l.ident.machine {
	case elf.EM_X86_64:
		if l.ident.class == elf.ELFCLASS64 {
			return "x86_64"
		}
	case elf.EM_AARCH64:
		return "aarch64"
	}
	return ""
}

// libDirName is $LIB: glibc expands it to its configured library directory
// name, which is lib/<multiarch triplet> on Debian and Ubuntu and lib64 on
// 64-bit Fedora-like systems; we pick the one that exists.
func (l *loader) libDirName() string {
	if t := l.triplet(); t != "" {
		if fi, err := os.Stat("/lib/" + t); err == nil && fi.IsDir() {
			return "lib/" + t
		}
	}
	if l.ident.class == elf.ELFCLASS64 {
		if fi, err := os.Stat("/lib64"); err == nil && fi.IsDir() {
			return "lib64"
		}
	}
	return "lib"
}

// triplet is the Debian multiarch name of the executable's ABI.
func (l *loader) triplet() string {
	c64 := l.ident.class == elf.ELFCLASS64
	switch l.ident.machine {
	case elf.EM_X86_64:
		if c64 {
			return "x86_64-linux-gnu"
		}
		return "x86_64-linux-gnux32"
	case elf.EM_386:
		return "i386-linux-gnu"
	case elf.EM_AARCH64:
		return "aarch64-linux-gnu"
	case elf.EM_ARM:
		return "arm-linux-gnueabihf"
	case elf.EM_RISCV:
		if c64 {
			return "riscv64-linux-gnu"
		}
	case elf.EM_PPC64:
		if l.ident.data == elf.ELFDATA2LSB {
			return "powerpc64le-linux-gnu"
		}
		return "powerpc64-linux-gnu"
	case elf.EM_S390:
		return "s390x-linux-gnu"
	case elf.EM_MIPS:
		if l.ident.data == elf.ELFDATA2LSB {
			if c64 {
				return "mips64el-linux-gnuabi64"
			}
			return "mipsel-linux-gnu"
		}
	case elf.EM_LOONGARCH:
		return "loongarch64-linux-gnu"
	}
	return ""
}

// systemDirs are the loader's default directories (glibc's SYSTEM_DIRS,
// which distributions configure): the multiarch directories (Debian,
// Ubuntu), lib64 (64-bit Fedora, SUSE, Arch), then /lib and /usr/lib. A
// union of the layouts: only directories holding a matching file count,
// and the ELF check skips other ABIs' files. musl's loader reads
// /etc/ld-musl-ARCH.path instead, with /lib:/usr/local/lib:/usr/lib as the
// default.
func (l *loader) systemDirs() []string {
	if !l.glibc {
		return l.muslDirs()
	}
	var dirs []string
	if t := l.triplet(); t != "" {
		dirs = append(dirs, "/lib/"+t, "/usr/lib/"+t)
	}
	if l.ident.class == elf.ELFCLASS64 {
		dirs = append(dirs, "/lib64", "/usr/lib64")
	}
	return append(dirs, "/lib", "/usr/lib")
}

func (l *loader) muslDirs() []string {
	arch := map[elf.Machine]string{elf.EM_X86_64: "x86_64", elf.EM_386: "i386", elf.EM_AARCH64: "aarch64",
		elf.EM_ARM: "armhf", elf.EM_RISCV: "riscv64", elf.EM_PPC64: "powerpc64le", elf.EM_S390: "s390x"}[l.ident.machine]
	conf := "/etc/ld-musl-" + arch + ".path"
	if b, err := os.ReadFile(conf); err == nil {
		l.r.add(conf, false, "read by the musl ELF interpreter for its search path")
		return strings.FieldsFunc(string(b), func(c rune) bool { return c == ':' || c == '\n' })
	}
	return []string{"/lib", "/usr/local/lib", "/usr/lib"}
}
