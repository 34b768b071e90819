// Package launch starts a command the way every sysfence command that
// confines or records one does: forked with PTRACE_TRACEME, a
// parent-death SIGKILL and, until its exec, a process group of its own;
// stopped right after its execve, before its first instruction; then
// confined there by system calls injected into it (Landlock's
// restrict_self, seccomp's filter or strict mode), moved back into the
// caller's process group, and seized for its lifetime. It also finds the
// command as a shell would, and tells a missing command (127) from one
// that cannot be executed (126).
//
// It is mechanism only: what to install, and what to do with the stops
// of a seized command, is the caller's (package sandbox for `run`, the
// recorders for `record`). ptrace requests are accepted from the tracer
// thread only, and the parent-death signal fires when the thread that
// forked the command ends: every call for one Process must come from one
// goroutine locked to its OS thread.
package launch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/internal/execdeps"
)

// ErrMissingInterpreter is the cause of an ErrNotFound *ExecError when
// the file exists but its #! interpreter or ELF loader does not (execve's
// ENOENT; a shell also exits 127).
var ErrMissingInterpreter = errors.New("required file not found (its #! interpreter or ELF loader is missing)")

// ErrNotFound and ErrNotExecutable classify an *ExecError: the command
// does not exist (a shell's exit status 127) or cannot be executed (126).
var (
	ErrNotFound      = errors.New("command not found")
	ErrNotExecutable = errors.New("cannot execute")
)

// ExecError is a command that could not be started.
type ExecError struct {
	Path string
	Kind error // ErrNotFound or ErrNotExecutable
	Err  error // the cause (an errno)
}

func (e *ExecError) Error() string {
	path := e.Path
	if path == "" {
		path = `""`
	}
	if errors.Is(e.Err, ErrMissingInterpreter) {
		return fmt.Sprintf("%s: cannot execute: %v", path, e.Err)
	}
	if e.Err == nil || e.Kind == ErrNotFound && errors.Is(e.Err, syscall.ENOENT) {
		return fmt.Sprintf("%s: %v", path, e.Kind)
	}
	return fmt.Sprintf("%s: %v: %v", path, e.Kind, e.Err)
}

// Is makes errors.Is(err, ErrNotFound) (or ErrNotExecutable) work.
func (e *ExecError) Is(target error) bool { return target == e.Kind }

func (e *ExecError) Unwrap() error { return e.Err }

// ExitCode is the status a shell gives such a failure: 127 or 126.
func (e *ExecError) ExitCode() int {
	if e.Kind == ErrNotFound {
		return 127
	}
	return 126
}

// LookPath resolves a command name as a shell would: a name with a slash
// is a path (relative to dir, if given), any other is searched in the
// PATH of env (nil: this process's environment). Failures are classified
// before anything is started: missing (127) or not executable (126).
func LookPath(name string, env []string, dir string) (string, error) {
	if name == "" {
		return "", &ExecError{Path: name, Kind: ErrNotFound} // as a shell says of ''
	}
	check := func(path string) error {
		full := path
		if !filepath.IsAbs(full) && dir != "" {
			full = filepath.Join(dir, full)
		}
		st, err := os.Stat(full)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return &ExecError{Path: name, Kind: ErrNotFound, Err: unix.ENOENT}
			}
			return &ExecError{Path: name, Kind: ErrNotExecutable, Err: err}
		}
		if st.IsDir() {
			return &ExecError{Path: name, Kind: ErrNotExecutable, Err: unix.EISDIR}
		}
		if err := unix.Access(full, unix.X_OK); err != nil || st.Mode()&0o111 == 0 {
			return &ExecError{Path: name, Kind: ErrNotExecutable, Err: unix.EACCES}
		}
		return nil
	}
	if strings.Contains(name, "/") {
		return name, check(name)
	}
	if env == nil {
		env = os.Environ()
	}
	pathVar := execdeps.DefaultPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathVar = v
		}
	}
	var firstErr error
	for _, d := range strings.Split(pathVar, ":") { // an empty entry is the current directory, as for execvp
		if d == "" {
			d = "."
		}
		cand := filepath.Join(d, name)
		err := check(cand)
		if err == nil {
			return cand, nil
		}
		if firstErr == nil && errors.Is(err, ErrNotExecutable) {
			firstErr = &ExecError{Path: name, Kind: ErrNotExecutable, Err: unix.EACCES}
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return "", &ExecError{Path: name, Kind: ErrNotFound}
}

// DescribeStatus says how a process ended or stopped, for messages.
func DescribeStatus(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return "killed by " + unix.SignalName(ws.Signal())
	case ws.Stopped():
		return "stopped by " + unix.SignalName(ws.StopSignal())
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
}
