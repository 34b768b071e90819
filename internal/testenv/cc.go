package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// BuildC compiles the C program src into out with the system's cc (-O2,
// -pthread; -static when static), skipping (failing in CI) when cc or,
// for a static build, glibc's libc.a is not installed.
func BuildC(t testing.TB, src, out string, static bool) {
	t.Helper()
	cc := LookPath(t, "cc", "gcc")
	args := []string{"-O2", "-pthread", "-o", out, src}
	if static {
		if _, err := os.Stat("/usr/lib/x86_64-linux-gnu/libc.a"); err != nil {
			Skip(t, "static glibc (libc.a, Debian package libc6-dev) is not installed")
		}
		args = append([]string{"-static"}, args...)
	}
	if b, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("cc %s: %v\n%s", src, err, b)
	}
}
