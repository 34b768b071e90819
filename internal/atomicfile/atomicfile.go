package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// WriteFile atomically replaces path with data. perm applies to a new
// file; an existing file keeps its permission bits. A symbolic link is
// followed: the file it points to is replaced and the link stays (a
// profile kept in one place and linked from another stays shared). On
// any error the target is untouched and no temporary file is left behind.
//
// An existing character device or FIFO (/dev/null, /dev/stdout, a named
// pipe) is written directly: there is no file to replace, and a rename
// would put a regular file in its place.
func WriteFile(path string, data []byte, perm fs.FileMode) (err error) {
	name := path // for messages
	if direct, err := writesDirectly(path); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	} else if direct {
		return writeDirect(path, data)
	}
	if path, err = followLinks(path); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	dir := filepath.Dir(path)
	if err := onKernelFS(dir); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if fi, err := os.Stat(path); err == nil {
		perm = fi.Mode().Perm()
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, dirError(dir, err))
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("writing %s: %w", name, err)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// writesDirectly looks at what path names now, through any links (the
// kernel's resolution, so /dev/stdout's /proc/self/fd/1 works): a
// character device or FIFO is written directly, a regular file or nothing
// atomically; a directory or other kind of file is an error.
func writesDirectly(path string) (bool, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return false, nil // nothing there yet (or a dangling link): created
	}
	switch m := fi.Mode(); {
	case m.IsRegular():
		return false, nil
	case m&fs.ModeCharDevice != 0, m&fs.ModeNamedPipe != 0:
		return true, nil
	case m.IsDir():
		return false, errors.New("it is a directory")
	default:
		return false, errors.New("not a regular file, character device or FIFO")
	}
}

func writeDirect(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	return nil
}

// followLinks resolves path through symbolic links, also a dangling last
// one (the file it names is created), up to the kernel's limit of 40.
func followLinks(path string) (string, error) {
	for range 40 {
		target, err := os.Readlink(path)
		if err != nil {
			return path, nil // not a link (or nothing there yet)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return "", errors.New("too many levels of symbolic links")
}

// CheckWritable reports whether WriteFile could create or replace path,
// without touching it: a command can fail before doing long work (e.g.
// recording a profile) rather than after. A device or FIFO is only
// checked for write permission: opening a FIFO would wait for a reader.
func CheckWritable(path string) error {
	name := path
	if direct, err := writesDirectly(path); err != nil {
		return fmt.Errorf("cannot write %s: %w", name, err)
	} else if direct {
		if err := canWrite(path); err != nil {
			return fmt.Errorf("cannot write %s: %w", name, err)
		}
		return nil
	}
	path, err := followLinks(path)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", name, err)
	}
	if _, err := os.Stat(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot write %s: %w", name, dirError(filepath.Dir(path), err))
	}
	dir := filepath.Dir(path)
	if err := onKernelFS(dir); err != nil {
		return fmt.Errorf("cannot write %s: %w", name, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".probe-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", name, dirError(dir, err))
	}
	probe := f.Name()
	f.Close()
	return os.Remove(probe)
}

// pathError is an error about the directory a file goes into, worded for
// the user's path (not the temporary file's name, which means nothing to
// them); it still matches the underlying errno with errors.Is.
type pathError struct {
	msg string
	err error
}

func (e *pathError) Error() string { return e.msg }
func (e *pathError) Unwrap() error { return e.err }

// ErrKernelFS is the error for a file on a file system whose files the
// kernel makes up (/proc, /sys, ...): none can be created or replaced.
var ErrKernelFS = errors.New("files cannot be created or replaced there")

// onKernelFS refuses a directory on such a file system, whose answer to a
// file creation (ENOENT from procfs) would otherwise read as a missing
// directory.
func onKernelFS(dir string) error {
	if name := kernelFS(dir); name != "" {
		return &pathError{fmt.Sprintf("directory %s is on the kernel's %s file system, where files cannot be created or replaced", dir, name), ErrKernelFS}
	}
	return nil
}

// dirError explains why a file could not be created in dir.
func dirError(dir string, err error) error {
	err = unwrapPath(err)
	_, serr := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) && errors.Is(serr, fs.ErrNotExist):
		return &pathError{fmt.Sprintf("directory %s does not exist", dir), err}
	case errors.Is(err, syscall.ENOTDIR):
		return &pathError{fmt.Sprintf("%s is not a directory", dir), err}
	case errors.Is(err, fs.ErrPermission):
		return &pathError{fmt.Sprintf("directory %s is not writable (%v)", dir, err), err}
	case errors.Is(err, syscall.EROFS):
		return &pathError{fmt.Sprintf("directory %s is on a read-only file system", dir), err}
	}
	return &pathError{fmt.Sprintf("cannot create a file in directory %s: %v", dir, err), err}
}

// unwrapPath drops an *fs.PathError's operation and path, which name a
// file the caller did not mention.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// syncDir flushes a directory entry change. Errors are ignored: some file
// systems cannot sync directories, and the data itself is already safe.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
