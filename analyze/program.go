package analyze

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/sysfence/sysfence/internal/execdeps"
	"github.com/sysfence/sysfence/syscalls"
)

// Options steer Analyze.
type Options struct {
	// Env is the environment the programs would run with: PATH finds
	// them, LD_LIBRARY_PATH and LD_PRELOAD steer the loader. nil means
	// os.Environ().
	Env []string
	// Dir resolves relative names; "" is the current directory.
	Dir string
	// Cache keeps the analysis of each file; nil analyses everything
	// afresh.
	Cache *Cache
	// Libraries are shared objects loaded at run time (dlopen: Python's
	// extension modules, NSS modules): every function they export is an
	// entry point, their constructors run, and their imports are
	// resolved against every object analysed. One that a program loads
	// by itself is analysed as its library (from its imports) instead.
	Libraries []string
}

// Result is what the programs can call.
type Result struct {
	// Programs are the executables analysed (a #! script's interpreter
	// stands for the script).
	Programs []string
	Objects  []ObjectInfo
	Syscalls []Syscall
	// Findings are what the analysis could not bound: unresolved
	// syscall sites, dlopen and dlsym, undefined symbols. Each makes the
	// result possibly incomplete.
	Findings []Finding
}

// ObjectInfo describes one analysed file.
type ObjectInfo struct {
	Path    string
	BuildID string `json:",omitempty"`
	Role    string // program, interpreter, library, loaded library
	Cached  bool   // read from the cache
	Funcs   int
	Reached int // functions reachable
	// IndirectCalls counts the calls through a register or memory (not
	// the GOT) in the object: each can reach only functions whose
	// address is taken, which are all in the result.
	IndirectCalls int
}

// Syscall is one syscall in the result, with why it is there.
type Syscall struct {
	ABI  string // x86_64, or x86 for int $0x80
	Nr   uint32
	Name string // "" when the number has no name on the ABI
	// Why is the chain that makes it reachable, from the function that
	// makes the call to what runs it: "libc.so.6:fchdir",
	// "/usr/bin/mkdir imports fchdir".
	Why []string
}

// Explain is the --explain line: "fchdir <- libc.so.6:fchdir <- ...".
func (s Syscall) Explain() string {
	name := s.Name
	if name == "" {
		name = fmt.Sprintf("#%d", s.Nr)
	}
	if s.ABI != "x86_64" {
		name += " (" + s.ABI + ")"
	}
	return strings.Join(append([]string{name}, s.Why...), " <- ")
}

// Finding is a place the analysis could not bound.
type Finding struct {
	Kind   string // unresolved, dlopen, undefined
	Object string
	Func   string `json:",omitempty"`
	At     uint64 `json:",omitempty"`
	Detail string
}

func (f Finding) String() string {
	loc := filepath.Base(f.Object)
	if f.Func != "" {
		loc += ":" + f.Func
	}
	if f.At != 0 {
		loc += fmt.Sprintf(" at %#x", f.At)
	}
	return fmt.Sprintf("%s: %s: %s", f.Kind, loc, f.Detail)
}

// ErrNotELF is returned for a program that is neither an ELF file nor a
// #! script whose interpreter is one.
var ErrNotELF = errors.New("not an ELF program")

type linkObj struct {
	*Object
	role    string
	cached  bool
	exports map[string][]int // name -> indexes into Exports
	scopes  [][]int          // the symbol scopes it is loaded in
	reached []bool
}

type node struct{ o, f int32 }

type edge struct {
	from  node
	root  string // set for a root: what runs it
	valid bool
}

type linker struct {
	objs    []*linkObj
	byPath  map[string]int
	parent  map[node]edge
	queue   []node
	sys     map[sysKey]sysWhy
	finds   []Finding
	seenFnd map[string]bool

	dlSeen    map[string]bool
	dlPending []dlLoad

	execSeen    map[string]bool
	execPending []dlLoad

	units []string          // programs
	role  map[string]string // path -> role, for every object
	env   []string
	dir   string
	cache *Cache
}

// dl handles a call of dlopen or dlsym: a constant symbol name is
// resolved in every loaded object, a constant library name is loaded
// and analysed with every function it exports (by Analyze), anything
// else is a finding.
func (l *linker) dl(n node, r SymSite, fn string) {
	o := l.objs[n.o]
	f := &o.Funcs[n.f]
	if len(r.Strings) == 0 {
		l.find(Finding{Kind: "dlopen", Object: o.Path, Func: nameOr(f), At: r.At,
			Detail: fmt.Sprintf("calls %s with a name not known statically: what it loads or looks up is not in the result (record --static sees the libraries loaded)", fn)})
		return
	}
	for _, name := range r.Strings {
		if strings.Contains(fn, "open") {
			if !l.dlSeen[name] {
				l.dlSeen[name] = true
				l.dlPending = append(l.dlPending, dlLoad{name: name, by: l.funcName(n), at: r.At, obj: o.Path, fn: nameOr(f)})
			}
			continue
		}
		found := false
		for j := range l.objs {
			if t := l.lookupIn(j, SymRef{Name: name}); t != nil {
				found = true
				l.root(*t, fmt.Sprintf("%s looks up %s with %s", l.funcName(n), name, fn))
			}
		}
		if !found {
			l.find(Finding{Kind: "dlopen", Object: o.Path, Func: nameOr(f), At: r.At,
				Detail: fmt.Sprintf("%s(%q): no loaded object defines it", fn, name)})
		}
	}
}

// execFunc says whether name runs a program: by the path in its argument
// (a name searched in PATH for the p variants: searchesPath), or /bin/sh
// for system and popen.
func execFunc(name string) (searchesPath, ok bool) {
	switch name {
	case "execve", "execv", "execl", "execle", "posix_spawn", "system", "popen":
		return false, true
	case "execvp", "execvpe", "execlp", "posix_spawnp":
		return true, true
	}
	return false, false
}

// exec handles a call of an exec function: a program named by a constant
// is analysed too (a filter applies to what a program executes), any
// other is a finding.
func (l *linker) exec(n node, r SymSite, fn string) {
	o := l.objs[n.o]
	f := &o.Funcs[n.f]
	names := r.Strings
	if fn == "system" || fn == "popen" {
		names = []string{"/bin/sh"}
	}
	if len(names) == 0 {
		l.find(Finding{Kind: "exec", Object: o.Path, Func: nameOr(f), At: r.At,
			Detail: fmt.Sprintf("calls %s with a program not known statically: what that program calls is not in the result (record --static analyses the programs a run executed)", fn)})
		return
	}
	for _, name := range names {
		if searchesPath, _ := execFunc(fn); !strings.Contains(name, "/") && !searchesPath {
			continue // relative to the working directory at run time
		}
		if !l.execSeen[name] {
			l.execSeen[name] = true
			l.execPending = append(l.execPending, dlLoad{name: name, by: l.funcName(n), at: r.At, obj: o.Path, fn: nameOr(f)})
		}
	}
}

type dlLoad struct {
	name, by, obj, fn string
	at                uint64
}

type sysKey struct {
	x86 bool
	nr  uint32
}

type sysWhy struct {
	at    node
	via   string
	extra string // a reason that is not code (the kernel)
	order int
}

// Analyze finds the syscalls the programs (and the libraries they load)
// can make, as a sound over-approximation, with the places it could not
// bound reported as Findings. Programs that the code executes by a
// constant path (tar runs "/bin/sh", system() and popen() run /bin/sh)
// and libraries it loads by a constant name are analysed too: a filter
// applies to what a program executes.
func Analyze(programs []string, opts Options) (*Result, error) {
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	l := &linker{byPath: map[string]int{}, parent: map[node]edge{}, sys: map[sysKey]sysWhy{},
		seenFnd: map[string]bool{}, dlSeen: map[string]bool{}, execSeen: map[string]bool{},
		role: map[string]string{}, env: env, dir: opts.Dir, cache: opts.Cache}
	res := &Result{}
	for _, p := range programs {
		if err := l.addProgram(p, ""); err != nil {
			return nil, err
		}
	}
	var extra []string
	for _, lib := range opts.Libraries {
		real, err := filepath.EvalSymlinks(lib)
		if err != nil {
			return nil, err
		}
		extra = append(extra, real)
	}
	if err := l.addLibraries(extra, "loaded at run time"); err != nil {
		return nil, err
	}
	l.run()
	// What the code executes or loads by a constant name, until nothing
	// new appears.
	for len(l.dlPending) > 0 || len(l.execPending) > 0 {
		dls, execs := l.dlPending, l.execPending
		l.dlPending, l.execPending = nil, nil
		for _, e := range execs {
			if err := l.addProgram(e.name, e.by); err != nil {
				l.find(Finding{Kind: "exec", Object: e.obj, Func: e.fn, At: e.at,
					Detail: fmt.Sprintf("executes %q, which could not be analysed: %v", e.name, err)})
			}
		}
		var found []string
		for _, d := range dls {
			p := findLibrary(d.name)
			if p == "" {
				l.find(Finding{Kind: "dlopen", Object: d.obj, Func: d.fn, At: d.at,
					Detail: fmt.Sprintf("dlopen(%q): not found in the library directories, not analysed", d.name)})
				continue
			}
			found = append(found, p)
		}
		if err := l.addLibraries(found, "loaded with dlopen"); err != nil {
			return nil, err
		}
		l.run()
	}

	// The kernel's part of a run.
	if len(l.units) > 0 {
		l.kernel("execve", "the kernel: every program starts with the execve that runs it")
		l.kernel("restart_syscall", "the kernel: resumes a sleep interrupted by a stop signal")
	}

	arch64, _ := syscalls.ArchByName("x86_64")
	arch32, _ := syscalls.ArchByName("x86")
	for k, w := range l.sys {
		s := Syscall{ABI: "x86_64", Nr: k.nr}
		a := arch64
		if k.x86 {
			s.ABI, a = "x86", arch32
		}
		s.Name, _ = a.SyscallName(k.nr)
		s.Why = l.chain(w)
		res.Syscalls = append(res.Syscalls, s)
	}
	sort.Slice(res.Syscalls, func(i, j int) bool {
		a, b := res.Syscalls[i], res.Syscalls[j]
		if a.ABI != b.ABI {
			return a.ABI == "x86_64"
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Nr < b.Nr
	})
	for _, u := range l.units {
		res.Programs = append(res.Programs, u)
	}
	for _, o := range l.objs {
		n := 0
		for _, r := range o.reached {
			if r {
				n++
			}
		}
		res.Objects = append(res.Objects, ObjectInfo{Path: o.Path, BuildID: o.BuildID, Role: o.role, Cached: o.cached, Funcs: len(o.Funcs), Reached: n, IndirectCalls: o.Indirect})
	}
	res.Findings = l.finds
	return res, nil
}

// addProgram resolves what program p loads, analyses what is new and
// adds the roots: its code, its imports (followed by run), the
// interpreter, its libraries' constructors and data. by, when set, says
// what executes it.
func (l *linker) addProgram(p, by string) error {
	r, err := execdeps.Resolve(p, execdeps.Options{Env: l.env, Dir: l.dir})
	if err != nil {
		return err
	}
	var execs, libs []string
	for _, d := range r.Deps {
		if !isELF(d.Path) {
			continue
		}
		if d.Exec {
			execs = append(execs, d.Path)
		} else {
			libs = append(libs, d.Path)
		}
	}
	for _, m := range r.Missing {
		l.find(Finding{Kind: "missing", Object: p, Detail: m.String()})
	}
	// An executable is a program unless another one names it as its
	// interpreter.
	interp := make(map[string]string, len(execs)) // executable -> its interpreter's real path
	interps := map[string]bool{}
	for _, e := range execs {
		if in := interpOf(e); in != "" {
			real, err := filepath.EvalSymlinks(in)
			interp[e] = real
			if err == nil {
				interps[real] = true
			}
		}
	}
	type unit struct{ prog, interp string }
	var units []unit
	for _, e := range execs {
		if !interps[e] {
			units = append(units, unit{prog: e, interp: interp[e]})
		}
	}
	if len(units) == 0 {
		return fmt.Errorf("%s: %w", p, ErrNotELF)
	}
	var paths []string
	add := func(p, r string) {
		if _, ok := l.role[p]; !ok {
			paths = append(paths, p)
			l.role[p] = r
		}
	}
	for _, u := range units {
		add(u.prog, "program")
		if u.interp != "" {
			add(u.interp, "interpreter")
		}
	}
	for _, lib := range libs {
		add(lib, "library")
	}
	if err := l.loadMore(paths); err != nil {
		return err
	}
	for _, u := range units {
		if l.unitSeen(u.prog) {
			continue
		}
		// The symbol scope: the program, its libraries in load order,
		// the interpreter (which libc needs by name).
		scope := []int{l.byPath[u.prog]}
		for _, lib := range libs {
			scope = append(scope, l.byPath[lib])
		}
		if u.interp != "" {
			scope = append(scope, l.byPath[u.interp])
		}
		for _, i := range scope {
			l.objs[i].scopes = append(l.objs[i].scopes, scope)
		}
		l.units = append(l.units, u.prog)
		why := "code of " + u.prog
		if by != "" {
			why += " (executed by " + by + ")"
		}
		l.whole(l.byPath[u.prog], why)
		if u.interp != "" {
			l.whole(l.byPath[u.interp], "the ELF interpreter "+u.interp+" (all of it)")
		}
		for _, i := range scope[1:] {
			o := l.objs[i]
			if o.Whole {
				l.whole(i, "Go library "+o.Path+" (all of it)")
			}
			l.objectRoots(i)
		}
	}
	return nil
}

func (l *linker) unitSeen(p string) bool {
	for _, u := range l.units {
		if u == p {
			return true
		}
	}
	return false
}

// addLibraries adds libraries loaded at run time, with what they need:
// every function they export is an entry point, and their imports are
// resolved against every object analysed.
func (l *linker) addLibraries(libs []string, how string) error {
	var paths []string
	added, err := l.closeLibraries(libs, func(p, r string) {
		paths = append(paths, p)
		l.role[p] = r
	})
	if err != nil {
		return err
	}
	if err := l.loadMore(paths); err != nil {
		return err
	}
	var all []int
	for i := range l.objs {
		all = append(all, i)
	}
	for _, p := range added {
		i := l.byPath[p]
		l.objs[i].scopes = append(l.objs[i].scopes, all)
	}
	for _, p := range added {
		i := l.byPath[p]
		l.objectRoots(i)
		for _, e := range l.objs[i].Exports {
			if e.Func >= 0 {
				l.root(node{int32(i), e.Func}, p+" exports "+e.Name+" ("+how+")")
			}
		}
	}
	return nil
}

func isELF(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [4]byte
	_, err = f.Read(b[:])
	return err == nil && bytes.Equal(b[:], []byte("\x7fELF"))
}

func interpOf(p string) string {
	im, err := openImage(p)
	if err != nil {
		return ""
	}
	defer im.f.Close()
	return progInterp(im.f)
}

// libDirs are searched for the DT_NEEDED of libraries loaded at run time
// (after their own directory).
var libDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib"}

// closeLibraries adds the run-time loaded libraries and what they need.
func (l *linker) closeLibraries(libs []string, add func(p, r string)) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	queue := append([]string(nil), libs...)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] || l.role[p] != "" {
			continue // loaded already: its imports are followed
		}
		seen[p] = true
		out = append(out, p)
		add(p, "loaded library")
		im, err := openImage(p)
		if err != nil {
			return nil, err
		}
		needed, _ := im.f.ImportedLibraries()
		im.f.Close()
		for _, n := range needed {
			for _, d := range append([]string{filepath.Dir(p)}, libDirs...) {
				c := filepath.Join(d, n)
				if real, err := filepath.EvalSymlinks(c); err == nil && isELF(real) {
					queue = append(queue, real)
					break
				}
			}
		}
	}
	return out, nil
}

// findLibrary finds a library named as dlopen would be given it.
func findLibrary(name string) string {
	if strings.Contains(name, "/") {
		if real, err := filepath.EvalSymlinks(name); err == nil && isELF(real) {
			return real
		}
		return ""
	}
	for _, d := range libDirs {
		if real, err := filepath.EvalSymlinks(filepath.Join(d, name)); err == nil && isELF(real) {
			return real
		}
	}
	return ""
}

// loadMore adds paths to l.objs, from the cache or by analysis, a file
// per CPU at a time.
func (l *linker) loadMore(paths []string) error {
	c := l.cache
	base := len(l.objs)
	l.objs = append(l.objs, make([]*linkObj, len(paths))...)
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for k, p := range paths {
		i := base + k
		l.byPath[p] = i
		wg.Add(1)
		go func(i int, p string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var o *Object
			var cached bool
			var err error
			if c != nil {
				o, cached, err = c.objectOf(p)
			} else {
				o, err = analyzeFile(p)
			}
			if err != nil {
				errs[i-base] = err
				return
			}
			lo := &linkObj{Object: o, role: l.role[p], cached: cached, exports: map[string][]int{}, reached: make([]bool, len(o.Funcs))}
			for k, e := range o.Exports {
				lo.exports[e.Name] = append(lo.exports[e.Name], k)
			}
			l.objs[i] = lo
		}(i, p)
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (l *linker) find(f Finding) {
	k := f.String()
	if !l.seenFnd[k] {
		l.seenFnd[k] = true
		l.finds = append(l.finds, f)
	}
}

func (l *linker) root(n node, why string) {
	if _, ok := l.parent[n]; ok {
		return
	}
	l.parent[n] = edge{root: why, valid: true}
	l.queue = append(l.queue, n)
}

func (l *linker) whole(i int, why string) {
	for f := range l.objs[i].Funcs {
		l.root(node{int32(i), int32(f)}, why)
	}
	l.objectRoots(i)
}

// objectRoots adds what runs whenever object i is loaded.
func (l *linker) objectRoots(i int) {
	o := l.objs[i]
	base := filepath.Base(o.Path)
	for _, r := range o.Roots {
		l.root(node{int32(i), r.Func}, r.Why+" of "+base)
	}
	for _, s := range o.DataSyms {
		for _, t := range l.lookup(i, o.Syms[s]) {
			l.root(t, fmt.Sprintf("address of %s stored in data of %s", o.Syms[s], base))
		}
	}
}

// lookup resolves a symbol referenced by object i in each scope it is
// loaded in: the first object of the scope that defines it (the
// requested version, else the default one).
func (l *linker) lookup(i int, ref SymRef) []node {
	var out []node
	for _, scope := range l.objs[i].scopes {
		for _, j := range scope {
			if len(l.objs[j].exports[ref.Name]) == 0 {
				continue
			}
			if t := l.lookupIn(j, ref); t != nil {
				out = append(out, *t)
			}
			break
		}
	}
	return out
}

// lookupIn finds ref among object j's exports: the requested version,
// else the default one.
func (l *linker) lookupIn(j int, ref SymRef) *node {
	o := l.objs[j]
	idx := o.exports[ref.Name]
	if len(idx) == 0 {
		return nil
	}
	best := -1
	for _, k := range idx {
		e := o.Exports[k]
		if ref.Version != "" && e.Version == ref.Version {
			best = k
			break
		}
		if !e.Hidden && best < 0 {
			best = k
		}
	}
	if best < 0 {
		best = idx[0]
	}
	if f := o.Exports[best].Func; f >= 0 {
		return &node{int32(j), f}
	}
	return nil
}

func (l *linker) funcName(n node) string {
	o := l.objs[n.o]
	f := &o.Funcs[n.f]
	name := f.Name
	if name == "" {
		name = fmt.Sprintf("%#x", f.Addr)
	}
	return filepath.Base(o.Path) + ":" + name
}

// dlFunc says whether name opens libraries or looks symbols up at run
// time: what they reach is known only from a recording (record --static).
func dlFunc(name string) bool {
	switch name {
	case "dlopen", "dlmopen", "dlsym", "dlvsym", "__libc_dlopen_mode", "__libc_dlsym":
		return true
	}
	return false
}

func (l *linker) run() {
	for len(l.queue) > 0 {
		n := l.queue[0]
		l.queue = l.queue[1:]
		o := l.objs[n.o]
		if o.reached[n.f] {
			continue
		}
		o.reached[n.f] = true
		f := &o.Funcs[n.f]
		for _, s := range f.Sys {
			via := ""
			if s.Via >= 0 {
				via = l.funcName(node{n.o, s.Via})
			}
			l.addSys(sysKey{s.X86, s.Nr}, n, via)
		}
		for _, u := range f.Unresolved {
			l.find(Finding{Kind: "unresolved", Object: o.Path, Func: nameOr(f), At: u.At, Detail: u.Why})
		}
		for _, c := range f.Calls {
			t := node{n.o, c}
			if _, ok := l.parent[t]; !ok {
				l.parent[t] = edge{from: n, valid: true}
				l.queue = append(l.queue, t)
			}
		}
		for _, r := range f.Refs {
			ref := o.Syms[r.Sym]
			if dlFunc(ref.Name) {
				l.dl(n, r, ref.Name)
			}
			if _, ok := execFunc(ref.Name); ok {
				l.exec(n, r, ref.Name)
			}
			targets := l.lookup(int(n.o), ref)
			if len(targets) == 0 && !ref.Weak {
				l.find(Finding{Kind: "undefined", Object: o.Path, Func: nameOr(f), At: r.At,
					Detail: fmt.Sprintf("%s is defined by no loaded object", ref)})
			}
			for _, t := range targets {
				if _, ok := l.parent[t]; !ok {
					if o.role == "program" {
						l.parent[t] = edge{root: o.Path + " imports " + ref.Name, valid: true}
					} else {
						l.parent[t] = edge{from: n, valid: true}
					}
					l.queue = append(l.queue, t)
				}
				w := &l.objs[t.o].Funcs[t.f]
				if len(w.WrapLocs) == 0 {
					continue
				}
				l.wrapperSite(n, r, t, w)
			}
		}
	}
}

// wrapperSite resolves the numbers a call passes to a wrapper in another
// object (libc's syscall()).
func (l *linker) wrapperSite(n node, r SymSite, t node, w *Func) {
	o := l.objs[n.o]
	f := &o.Funcs[n.f]
	if !r.Call {
		l.find(Finding{Kind: "unresolved", Object: o.Path, Func: nameOr(f), At: r.At,
			Detail: fmt.Sprintf("takes the address of %s, whose syscall number is a parameter", l.funcName(t))})
		return
	}
	for _, loc := range w.WrapLocs {
		found := false
		for _, a := range r.Args {
			if a.Loc == loc {
				found = true
				for _, v := range a.Vals {
					l.addSys(sysKey{false, uint32(v)}, n, l.funcName(t))
				}
			}
		}
		if !found {
			l.find(Finding{Kind: "unresolved", Object: o.Path, Func: nameOr(f), At: r.At,
				Detail: fmt.Sprintf("syscall number passed to %s in %s not found", l.funcName(t), loc)})
		}
	}
}

func nameOr(f *Func) string {
	if f.Name != "" {
		return f.Name
	}
	return fmt.Sprintf("%#x", f.Addr)
}

func (l *linker) addSys(k sysKey, at node, via string) {
	if _, ok := l.sys[k]; ok {
		return
	}
	l.sys[k] = sysWhy{at: at, via: via, order: len(l.sys)}
}

func (l *linker) kernel(name, why string) {
	a, _ := syscalls.ArchByName("x86_64")
	nr, ok := a.Number(name)
	if !ok {
		return
	}
	k := sysKey{false, nr}
	if _, ok := l.sys[k]; !ok {
		l.sys[k] = sysWhy{extra: why, order: len(l.sys)}
	}
}

// chain is the explanation of a syscall: where it is made, up to a root.
func (l *linker) chain(w sysWhy) []string {
	if w.extra != "" {
		return []string{w.extra}
	}
	var out []string
	if w.via != "" {
		out = append(out, w.via)
	}
	n := w.at
	for range 10000 {
		out = append(out, l.funcName(n))
		e := l.parent[n]
		if e.root != "" || !e.valid {
			if e.root != "" {
				out = append(out, e.root)
			}
			break
		}
		n = e.from
	}
	return out
}
