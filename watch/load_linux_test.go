//go:build linux && amd64

package watch

import (
	"errors"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/sysfence/sysfence/internal/testenv"
)

func newWatcher(t testing.TB, opts Options) *Watcher {
	t.Helper()
	testenv.RequireRoot(t)
	w, err := New(opts)
	if errors.Is(err, ErrNotSupported) {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			t.Fatalf("%+v", ve)
		}
		testenv.Skip(t, err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func TestLoad(t *testing.T) {
	newWatcher(t, Options{})
}
