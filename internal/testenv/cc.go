package testenv

import (
	"bytes"
	"os/exec"
	"testing"
)

// BuildC compiles the C program src into out with the system's cc (-O2,
// -pthread; -static when static), linking the libraries libs (names as
// for -l: "seccomp"). A static glibc or a library that is not installed
// skips the test (fails it in CI), naming its Debian package.
func BuildC(t testing.TB, src, out string, static bool, libs ...string) {
	t.Helper()
	cc := LookPath(t, "cc", "gcc")
	args := []string{"-O2", "-pthread", "-o", out, src}
	if static {
		args = append([]string{"-static"}, args...)
	}
	for _, l := range libs {
		args = append(args, "-l"+l)
	}
	b, err := exec.Command(cc, args...).CombinedOutput()
	if err == nil {
		return
	}
	if why := missingLib(b, static, libs); why != "" {
		Skip(t, why)
	}
	t.Fatalf("cc %s: %v\n%s", src, err, b)
}

// missingLib says which library the compiler's output out shows to be
// missing ("" if none): the compiler knows where this machine keeps
// them, a test need not.
func missingLib(out []byte, static bool, libs []string) string {
	notFound := func(l string) bool {
		return bytes.Contains(out, []byte("cannot find -l"+l+":")) || bytes.Contains(out, []byte("cannot find -l"+l+"\n"))
	}
	if static && notFound("c") {
		return "static glibc (libc.a, Debian package libc6-dev) is not installed"
	}
	for _, l := range libs {
		if notFound(l) || bytes.Contains(out, []byte(l+".h: No such file")) {
			return "lib" + l + " is not installed (Debian package lib" + l + "-dev)"
		}
	}
	return ""
}
