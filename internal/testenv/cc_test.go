package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A library that is not installed is named from the compiler's own
// output, whether the linker misses it or the preprocessor its header;
// other failures are not taken for a missing library.
func TestMissingLibNamesIt(t *testing.T) {
	cc := LookPath(t, "cc", "gcc")
	dir := t.TempDir()
	const lib = "sysfencenosuch"
	const want = "lib" + lib + " is not installed (Debian package lib" + lib + "-dev)"
	for _, tc := range []struct {
		name, src, want string
	}{
		{"link", "int main(void) { return 0; }\n", want},
		{"header", "#include <" + lib + ".h>\nint main(void) { return 0; }\n", want},
		{"syntax", "int main(void) { return }\n", ""},
	} {
		t.Run("missing="+tc.name, func(t *testing.T) {
			src := filepath.Join(dir, tc.name+".c")
			if err := os.WriteFile(src, []byte(tc.src), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(cc, "-o", filepath.Join(dir, tc.name), src, "-l"+lib).CombinedOutput()
			if err == nil {
				t.Fatalf("cc built a program linking -l%s", lib)
			}
			if got := missingLib(out, false, []string{lib}); got != tc.want {
				t.Errorf("missingLib = %q, want %q; cc said:\n%s", got, tc.want, out)
			}
		})
	}
}
