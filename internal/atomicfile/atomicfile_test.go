package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.json")
	if err := WriteFile(p, []byte("one"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "two" {
		t.Fatalf("content %q, %v", b, err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the existing file's 0640", fi.Mode().Perm())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}

func TestWriteFileFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	// The target is a directory: the rename fails after the temp file was
	// written, and the temp file must be gone.
	target := filepath.Join(dir, "sub")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(target, []byte("x"), 0o644); err == nil {
		t.Fatal("writing over a directory succeeded")
	}
	if err := WriteFile(filepath.Join(dir, "missing", "f"), []byte("x"), 0o644); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := CheckWritable(filepath.Join(dir, "new.json")); err != nil {
		t.Errorf("new file in a writable dir: %v", err)
	}
	if err := CheckWritable(filepath.Join(dir, "nope", "x.json")); err == nil {
		t.Error("missing directory accepted")
	}
	if err := CheckWritable(dir); err == nil {
		t.Error("a directory accepted as the output file")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}

// A symbolic link is written through: its target is replaced, the link
// stays; a dangling link creates its target; a loop is an error.
func TestWriteFileFollowsLinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	os.WriteFile(real, []byte("old"), 0o600)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	if err := CheckWritable(link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced (%v, %v)", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Errorf("target holds %q, want new", b)
	}
	dangling := filepath.Join(dir, "dangling.json")
	os.Symlink(filepath.Join(dir, "created.json"), dangling)
	if err := WriteFile(dangling, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "created.json")); string(b) != "x" {
		t.Errorf("dangling link's target holds %q", b)
	}
	loop := filepath.Join(dir, "loop")
	os.Symlink("loop", loop)
	if err := WriteFile(loop, []byte("x"), 0o644); err == nil {
		t.Error("writing through a link loop succeeded")
	}
}

// Errors name the caller's path and what is wrong with its directory,
// never the temporary or probe file's name.
func TestMissingDirectoryError(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		name, path, want string
		is               error
	}{
		{"missing-dir", filepath.Join(dir, "nope", "x.bpf"), "directory " + filepath.Join(dir, "nope") + " does not exist", fs.ErrNotExist},
		{"parent-is-file", filepath.Join(file, "x.bpf"), file + " is not a directory", syscall.ENOTDIR},
		{"target-is-dir", dir, "it is a directory", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for op, err := range map[string]error{
				"cannot write": CheckWritable(tc.path),
				"writing":      WriteFile(tc.path, []byte("x"), 0o644),
			} {
				want := op + " " + tc.path + ": " + tc.want
				if err == nil || err.Error() != want {
					t.Errorf("got %v, want %q", err, want)
					continue
				}
				if tc.is != nil && !errors.Is(err, tc.is) {
					t.Errorf("%v: not errors.Is %v", err, tc.is)
				}
			}
		})
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}

// A character device is written directly, not replaced by a regular file.
func TestWriteFileDevice(t *testing.T) {
	if _, err := os.Stat(os.DevNull); err != nil {
		testenv.Skip(t, err.Error())
	}
	if err := CheckWritable(os.DevNull); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(os.DevNull, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a device: %v %v", os.DevNull, fi.Mode(), err)
	}
}
