package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile atomically replaces path with data. perm applies to a new
// file; an existing file keeps its permission bits. A symbolic link is
// followed: the file it points to is replaced and the link stays (a
// profile kept in one place and linked from another stays shared). On
// any error the target is untouched and no temporary file is left behind.
func WriteFile(path string, data []byte, perm fs.FileMode) (err error) {
	name := path // for messages
	if path, err = followLinks(path); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if fi, err := os.Stat(path); err == nil {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("writing %s: not a regular file", name)
		}
		perm = fi.Mode().Perm()
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
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
// recording a profile) rather than after.
func CheckWritable(path string) error {
	name := path
	path, err := followLinks(path)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", name, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("cannot write %s: not a regular file", name)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot write %s: %w", name, err)
	}
	f, err := os.CreateTemp(dir, "."+base+".probe-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", name, err)
	}
	probe := f.Name()
	f.Close()
	return os.Remove(probe)
}

// syncDir flushes a directory entry change. Errors are ignored: some file
// systems cannot sync directories, and the data itself is already safe.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
