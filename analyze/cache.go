package analyze

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// CacheVersion is part of every cache key: it changes whenever the
// analysis or the Object format changes, so that a newer sysfence never
// reads what an older one wrote (the old entries are simply not found).
const CacheVersion = 7

// Cache stores the analysis of each ELF file by build ID (or, for a file
// without one, by path, size, modification time and inode). It is safe
// for concurrent use, by goroutines and by processes: entries are
// written to a temporary file and renamed into place.
type Cache struct {
	Dir string
}

// DefaultCache is the cache in the user's cache directory
// ($XDG_CACHE_HOME/sysfence/analyze, or ~/.cache/sysfence/analyze).
// A home directory that does not exist (nobody's /nonexistent, a
// service's) is not created for it: there is then no default cache.
func DefaultCache() (*Cache, error) {
	if os.Getenv("XDG_CACHE_HOME") == "" {
		home := os.Getenv("HOME")
		if fi, err := os.Stat(home); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("no cache directory: the home directory %q does not exist (set XDG_CACHE_HOME)", home)
		}
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return nil, err
	}
	return &Cache{Dir: filepath.Join(d, "sysfence", "analyze")}, nil
}

// cacheKey names the cache entry of the file at path, whose build ID is
// id ("" when it has none).
func cacheKey(path, id string) (string, error) {
	if id != "" {
		return "id-" + id, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%d", path, fi.Size(), fi.ModTime().UnixNano())
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		fmt.Fprintf(h, "\x00%d\x00%d", st.Dev, st.Ino)
	}
	return "st-" + hex.EncodeToString(h.Sum(nil)[:16]), nil
}

func (c *Cache) file(key string) string {
	return filepath.Join(c.Dir, fmt.Sprintf("v%d", CacheVersion), key+".bin")
}

// load returns the cached Object of key, or nil.
func (c *Cache) load(key string) *Object {
	if c == nil || c.Dir == "" {
		return nil
	}
	b, err := os.ReadFile(c.file(key))
	if err != nil {
		return nil
	}
	o, err := decodeObject(b)
	if err != nil {
		return nil // a damaged entry is analysed again and rewritten
	}
	return o
}

// store writes o under key; failures only cost a later re-analysis.
func (c *Cache) store(key string, o *Object) error {
	if c == nil || c.Dir == "" {
		return nil
	}
	dst := c.file(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(encodeObject(o))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// objectOf returns the analysis of the file at path, from the cache when
// it is there.
// The file is opened once, for its build ID and, when the cache does not
// have it, for the analysis.
func (c *Cache) objectOf(path string) (o *Object, cached bool, err error) {
	im, err := openImage(path)
	if err != nil {
		return nil, false, err
	}
	defer im.f.Close()
	id := buildID(im.f)
	key, err := cacheKey(path, id)
	if err != nil {
		return nil, false, err
	}
	if o := c.load(key); o != nil {
		o.Path = path
		return o, true, nil
	}
	if o, err = im.analyze(id); err != nil {
		return nil, false, err
	}
	_ = c.store(key, o)
	return o, false, nil
}
