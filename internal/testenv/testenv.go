package testenv

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// InCI reports whether the tests run in CI, where nothing may be skipped.
func InCI() bool { return os.Getenv("CI") == "true" }

// Skip skips the test outside CI and fails it in CI.
func Skip(t testing.TB, reason string) {
	t.Helper()
	if InCI() {
		t.Fatalf("required in CI but unavailable: %s", reason)
	}
	t.Skip(reason)
}

// LookPath returns the path of a program, skipping (or failing in CI) when
// it is not installed; pkg names the Debian package that provides it.
func LookPath(t testing.TB, prog, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	if err != nil {
		Skip(t, prog+" not installed (Debian package "+pkg+")")
	}
	return p
}

// RequireRoot skips (or fails in CI) unless the test runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Skip(t, "needs root")
	}
}

// Seed returns the seed of a random test: the time, or SYSFENCE_SEED
// (decimal or 0x-hex) to reproduce a run. It logs it either way.
func Seed(t testing.TB) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SYSFENCE_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			t.Fatalf("SYSFENCE_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("seed %d (SYSFENCE_SEED=%d reproduces this run)", seed, seed)
	return seed
}
