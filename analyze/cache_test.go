package analyze

import (
	"os"
	"path/filepath"
	"testing"
)

// A home that does not exist is not created for the cache.
func TestDefaultCacheMissingHome(t *testing.T) {
	home := filepath.Join(t.TempDir(), "nonexistent")
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", home)
	if c, err := DefaultCache(); err == nil {
		t.Errorf("DefaultCache = %+v for a missing home", c)
	}
	if _, err := os.Stat(home); err == nil {
		t.Error("the missing home was created")
	}
}
