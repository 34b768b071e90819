package watch_test

import (
	"errors"
	"testing"

	sf "github.com/sysfence/sysfence"
	"github.com/sysfence/sysfence/watch"
)

// TestErrNotSupportedIsSysfences: watch's refusals are caught by the one
// errors.Is(err, sysfence.ErrNotSupported) that catches every other
// package's.
func TestErrNotSupportedIsSysfences(t *testing.T) {
	if watch.ErrNotSupported != sf.ErrNotSupported {
		t.Error("watch.ErrNotSupported is not sysfence.ErrNotSupported")
	}
	if err := error(&watch.NotSupportedError{Missing: "CAP_BPF"}); !errors.Is(err, sf.ErrNotSupported) {
		t.Errorf("errors.Is(%v, sysfence.ErrNotSupported) is false", err)
	}
}
