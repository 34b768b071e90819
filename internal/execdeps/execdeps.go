package execdeps

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

var (
	// ErrNotFound: CMD is not in PATH, or a named file does not exist
	// (the launcher exits 127).
	ErrNotFound = errors.New("command not found")
	// ErrNotExecutable: CMD exists but execve would refuse it (EACCES:
	// not a regular file or no execute bit; the launcher exits 126).
	ErrNotExecutable = errors.New("not executable")
	// ErrFormat: neither ELF nor a #! script (execve fails with ENOEXEC),
	// or a malformed one.
	ErrFormat = errors.New("unknown executable format")
)

// Error says which file failed and how.
type Error struct {
	Path string
	Err  error // one of the sentinels, possibly wrapping the cause
}

func (e *Error) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Dep is one file CMD needs to start.
type Dep struct {
	// Path is absolute with every symlink resolved: Landlock checks the file
	// the kernel actually opens, so the rule must name it.
	Path string
	// Via is the path the kernel or loader asked for when it differs from
	// Path (a symlink, or a path through a symlinked directory).
	Via string `json:",omitempty"`
	// Exec is true for what the kernel executes (CMD, #! interpreters, the
	// ELF interpreter): it needs execute and read. Otherwise read suffices
	// (the loader opens libraries for reading and maps them itself).
	Exec   bool
	Reason string
}

// String is the --verbose line: the path, how it was asked for, the
// access it gets and why.
func (d Dep) String() string {
	s := d.Path
	if d.Via != "" {
		s += " (as " + d.Via + ")"
	}
	if d.Exec {
		s += " [exec]"
	} else {
		s += " [read]"
	}
	return s + ": " + d.Reason
}

// Missing is a dependency that could not be found: the loader will fail
// on it too, so sysfence only reports it.
type Missing struct {
	Name   string
	Reason string
}

func (m Missing) String() string { return m.Name + " not found: " + m.Reason }

// Result is everything CMD needs to start.
type Result struct {
	// Command is CMD as found through PATH, the name execve will get.
	Command string
	Deps    []Dep
	Missing []Missing `json:",omitempty"`
}

// Split returns the paths to allow for reading and for executing.
func (r *Result) Split() (read, exec []string) {
	for _, d := range r.Deps {
		if d.Exec {
			exec = append(exec, d.Path)
		} else {
			read = append(read, d.Path)
		}
	}
	return read, exec
}

// Options describe the process that will exec CMD.
type Options struct {
	// Env is CMD's environment: PATH finds CMD (and programs named by
	// "#!/usr/bin/env NAME"), LD_LIBRARY_PATH and LD_PRELOAD steer the
	// loader. nil means os.Environ().
	Env []string
	// Dir is CMD's working directory, for relative names; "" means the
	// current one.
	Dir string
}

// maxScriptDepth is the kernel's limit on nested #! interpreters
// (fs/exec.c: search_binary_handler gives up past 5 levels).
const maxScriptDepth = 5

// binprmBufSize is how much of a file the kernel reads to recognise it; a
// #! line is cut there (BINPRM_BUF_SIZE).
const binprmBufSize = 256

// Resolve computes what cmd needs to start: the executable found through
// PATH, #! interpreters (recursively, and the program a
// "#!/usr/bin/env NAME" line runs), the ELF interpreter, and the shared
// libraries glibc's loader would map, with the files the loader itself
// reads. Each file carries the reason it was added.
func Resolve(cmd string, opt Options) (*Result, error) {
	env := opt.Env
	if env == nil {
		env = os.Environ()
	}
	dir := opt.Dir
	if dir == "" {
		var err error
		if dir, err = os.Getwd(); err != nil {
			return nil, err
		}
	}
	r := &resolver{env: envMap(env), dir: dir, res: &Result{}, index: map[string]int{}, programs: map[string]bool{}}
	path, err := r.lookPath(cmd)
	if err != nil {
		return nil, err
	}
	r.res.Command = path
	if err := r.program(path, "the command", 0); err != nil {
		return nil, err
	}
	return r.res, nil
}

// DefaultPath is searched when the environment has no PATH, as glibc's
// execvp does (confstr(_CS_PATH)). The launcher (package sandbox) uses it
// too: the command found and the command whose needs are allowed must be
// the same file.
const DefaultPath = "/bin:/usr/bin"

// LookPath finds cmd as execvp(3) does with the given PATH value: a name
// with a slash is taken as is; otherwise each PATH entry is tried in order
// (an empty entry is the current directory) and the first executable
// regular file wins. A match that is not executable is skipped, and
// reported as ErrNotExecutable if nothing else matches.
func LookPath(cmd, path string) (string, error) {
	r := &resolver{env: map[string]string{"PATH": path}}
	r.dir, _ = os.Getwd()
	return r.lookPath(cmd)
}

type resolver struct {
	env   map[string]string
	dir   string
	res   *Result
	index map[string]int // Dep.Path -> index in res.Deps
	// programs are the files already followed as executables.
	programs map[string]bool

	cache       []cacheEntry // /etc/ld.so.cache, parsed on first use
	cacheRead   bool
	cacheExists bool
}

func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if _, dup := m[k]; !dup { // the first wins, as getenv(3) finds it
				m[k] = v
			}
		}
	}
	return m
}

func (r *resolver) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(r.dir, p)
}

func (r *resolver) lookPath(cmd string) (string, error) {
	if cmd == "" {
		return "", &Error{Path: cmd, Err: ErrNotFound}
	}
	if strings.Contains(cmd, "/") {
		if err := checkExecutable(r.abs(cmd)); err != nil {
			return "", &Error{Path: cmd, Err: err}
		}
		return cmd, nil
	}
	path, ok := r.env["PATH"]
	if !ok {
		path = DefaultPath
	}
	var denied error
	for _, d := range strings.Split(path, ":") {
		if d == "" {
			d = "."
		}
		cand := filepath.Join(d, cmd)
		if !filepath.IsAbs(cand) {
			cand = "./" + cand // keep it a path for execve, not a name
		}
		err := checkExecutable(r.abs(cand))
		if err == nil {
			return cand, nil
		}
		if errors.Is(err, ErrNotExecutable) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", &Error{Path: cmd, Err: denied}
	}
	return "", &Error{Path: cmd, Err: ErrNotFound}
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return fmt.Errorf("%w: %w", ErrNotExecutable, err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%w: %s", ErrNotExecutable, fi.Mode())
	}
	return nil
}

// add records p (made absolute, symlinks resolved) with a reason. A path
// met again keeps its first reason; needing exec upgrades it.
func (r *resolver) add(p string, exec bool, reason string) (string, error) {
	abs := r.abs(p)
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", &Error{Path: p, Err: fmt.Errorf("%w: %w", ErrNotFound, err)}
		}
		return "", &Error{Path: p, Err: err}
	}
	if i, ok := r.index[real]; ok {
		if exec && !r.res.Deps[i].Exec {
			r.res.Deps[i].Exec = true
			r.res.Deps[i].Reason = reason + "; " + r.res.Deps[i].Reason
		}
		return real, nil
	}
	d := Dep{Path: real, Exec: exec, Reason: reason}
	if abs != real {
		d.Via = abs
	}
	r.index[real] = len(r.res.Deps)
	r.res.Deps = append(r.res.Deps, d)
	return real, nil
}

// program adds what execve(2) of path needs: the file itself, and by its
// format a #! interpreter or the ELF interpreter and libraries.
func (r *resolver) program(path, reason string, depth int) error {
	real, err := r.add(path, true, reason)
	if err != nil {
		return err
	}
	if r.programs[real] {
		return nil // already followed (a loop through env, or the same interpreter twice)
	}
	r.programs[real] = true
	head, err := readHead(real)
	if err != nil {
		return &Error{Path: path, Err: err}
	}
	switch {
	case bytes.HasPrefix(head, []byte("#!")):
		if depth >= maxScriptDepth {
			return &Error{Path: path, Err: fmt.Errorf("%w: more than %d nested #! interpreters", ErrFormat, maxScriptDepth)}
		}
		interp, arg, err := parseShebang(head)
		if err != nil {
			return &Error{Path: path, Err: err}
		}
		if err := r.program(interp, "#! interpreter of "+real, depth+1); err != nil {
			return err
		}
		return r.envProgram(interp, arg, real)
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return r.elfProgram(real)
	}
	return &Error{Path: path, Err: ErrFormat}
}

func readHead(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, binprmBufSize)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:n], nil
}

// parseShebang splits a #! line the way fs/binfmt_script.c does: blanks
// after "#!" are skipped, the interpreter runs to the next blank, and the
// rest of the line (trimmed) is one optional argument.
func parseShebang(head []byte) (interp, arg string, err error) {
	line := head[2:]
	nl := bytes.IndexByte(line, '\n')
	if nl >= 0 {
		line = line[:nl]
	}
	line = bytes.TrimLeft(line, " \t")
	end := bytes.IndexAny(line, " \t")
	if end < 0 {
		if nl < 0 && len(head) == binprmBufSize {
			// The interpreter name does not fit in the buffer: the
			// kernel refuses rather than run a truncated path.
			return "", "", fmt.Errorf("%w: #! interpreter path longer than %d bytes", ErrFormat, binprmBufSize)
		}
		end = len(line)
	}
	interp = string(line[:end])
	arg = string(bytes.Trim(line[end:], " \t"))
	if interp == "" {
		return "", "", fmt.Errorf("%w: empty #! line", ErrFormat)
	}
	return interp, arg, nil
}

// envProgram follows "#!/usr/bin/env NAME": env(1) runs NAME through PATH,
// so without NAME's file the script cannot start. Options and NAME=VALUE
// words before NAME are skipped; -S splits the argument like env -S does.
func (r *resolver) envProgram(interp, arg, script string) error {
	if filepath.Base(interp) != "env" || arg == "" {
		return nil
	}
	words := strings.Fields(arg)
skip:
	for len(words) > 0 {
		w := words[0]
		switch {
		case w == "-S" || w == "--split-string":
			words = words[1:]
		case strings.HasPrefix(w, "-S"):
			words[0] = w[2:]
		case w == "-u" || w == "-C" || w == "--unset" || w == "--chdir":
			words = words[min(2, len(words)):]
		case w == "--":
			words = words[1:]
			break skip
		case strings.HasPrefix(w, "-") || strings.Contains(w, "="):
			words = words[1:]
		default:
			break skip
		}
	}
	if len(words) == 0 {
		return nil
	}
	path, err := r.lookPath(words[0])
	if err != nil {
		r.res.Missing = append(r.res.Missing, Missing{Name: words[0],
			Reason: fmt.Sprintf("program run by %s in the #! line of %s: %v", interp, script, err)})
		return nil
	}
	return r.program(path, fmt.Sprintf("program run by %s in the #! line of %s", interp, script), 1)
}
