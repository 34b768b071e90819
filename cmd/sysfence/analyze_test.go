package main

import (
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/profile"
)

// withCache runs cmd with its own cache directory.
func withCache(cmd *exec.Cmd, dir string) *exec.Cmd {
	cmd.Env = append(cmd.Env, "XDG_CACHE_HOME="+dir)
	return cmd
}

func TestAnalyzeCommand(t *testing.T) {
	dir := t.TempDir()
	cache := t.TempDir()
	text := filepath.Join(dir, "text")
	os.WriteFile(text, []byte("hello\n"), 0o755)
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no-binary", []string{"analyze"}, "sysfence: sysfence analyze needs at least 1 argument(s)"},
		{"missing", []string{"analyze", filepath.Join(dir, "nope")}, "sysfence: " + filepath.Join(dir, "nope") + ": command not found"},
		{"not-elf", []string{"analyze", text}, "sysfence: " + text + ": unknown executable format"},
		{"other-arch", []string{"analyze", "--arch", "aarch64", "/bin/true"}, "sysfence: --arch: aarch64 binaries are not analysed yet (only x86_64)"},
		{"bad-arch", []string{"analyze", "--arch", "vax", "/bin/true"}, "sysfence: --arch: "},
		{"unwritable", []string{"analyze", "-o", "/proc/version", "/bin/true"}, "sysfence: -o: cannot write /proc/version"},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			r := runIt(t, withCache(sysfence(tc.args...), cache))
			if r.code != 2 || !strings.HasPrefix(r.stderr, tc.stderr) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 2 and one line starting %q", r.code, r.stderr, tc.stderr)
			}
		})
	}

	out := filepath.Join(dir, "mkdir.json")
	r := runIt(t, withCache(sysfence("analyze", "-o", out, "/bin/mkdir"), cache))
	if r.code != 0 || !strings.Contains(r.stderr, "mkdir (") || !strings.Contains(r.stderr, "0 from the cache") {
		t.Fatalf("analyze: exit %d, stderr %q", r.code, r.stderr)
	}
	p, err := profile.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]string{}
	for _, s := range p.Seccomp.Syscalls {
		for _, n := range s.Names {
			allowed[n] = s.Comment
		}
	}
	if c := allowed["mkdir"]; !strings.HasPrefix(c, "not seen; static: libc.so.6:mkdir <- ") {
		t.Errorf("mkdir's comment %q", c)
	}
	if _, ok := allowed["kexec_load"]; ok || len(allowed) < 30 || len(allowed) > 200 {
		t.Errorf("%d syscalls allowed (kexec_load among them: %v)", len(allowed), allowed["kexec_load"] != "")
	}

	// The second run reads every file from the cache.
	r = runIt(t, withCache(sysfence("analyze", "--explain", "/bin/mkdir"), cache))
	if r.code != 0 || strings.Contains(r.stderr, " 0 from the cache") {
		t.Errorf("second analyze: exit %d, stderr %q", r.code, r.stderr)
	}
	if !regexp.MustCompile(`(?m)^mkdir <- libc\.so\.6:mkdir <- \S*/mkdir imports mkdir$`).MatchString(r.stdout) {
		t.Errorf("--explain does not say why mkdir is there:\n%s", r.stdout)
	}
	entries, _ := filepath.Glob(filepath.Join(cache, "sysfence", "analyze", "v*", "*.bin"))
	if len(entries) < 3 {
		t.Errorf("the cache under XDG_CACHE_HOME holds %d entries", len(entries))
	}

	r = runIt(t, withCache(sysfence("analyze", "--json", "/bin/mkdir"), cache))
	var res struct {
		Programs []string
		Syscalls []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Syscalls) != len(allowed) {
		t.Errorf("--json: %v, %d syscalls (profile %d)", err, len(res.Syscalls), len(allowed))
	}

	// The profile works: mkdir runs under it.
	requireRun(t)
	r = runIt(t, sysfence("run", "-p", out, "--", "/bin/mkdir", filepath.Join(dir, "made")))
	if r.code != 0 {
		t.Errorf("mkdir under its analysed profile: exit %d, %s", r.code, r.stderr)
	}
}

// TestRecordStatic is the issue's case: a profile recorded from `cp f1
// f2` breaks `cp -a dir1 dir2` (mkdirat), and the --static one does not;
// a library the command loads with dlopen is analysed too.
func TestRecordStatic(t *testing.T) {
	requireRun(t)
	dir := t.TempDir()
	cache := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f1"), []byte("x\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "dir1", "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "dir1", "sub", "a"), []byte("a\n"), 0o644)
	recorded := filepath.Join(dir, "rec.json")
	static := filepath.Join(dir, "static.json")
	in := func(cmd *exec.Cmd) *exec.Cmd { cmd.Dir = dir; return withCache(cmd, cache) }
	if r := runIt(t, in(sysfence("record", "-q", "-o", recorded, "--", "/bin/cp", "f1", "f2"))); r.code != 0 {
		t.Fatalf("record: %d %s", r.code, r.stderr)
	}
	r := runIt(t, in(sysfence("record", "--static", "-o", static, "--", "/bin/cp", "f1", "f3")))
	if r.code != 0 || !strings.Contains(r.stderr, "--static: ") {
		t.Fatalf("record --static: %d %s", r.code, r.stderr)
	}
	r = runIt(t, in(sysfence("run", "-p", recorded, "--", "/bin/cp", "-a", "dir1", "dir2")))
	if r.code == 0 || !strings.Contains(r.stderr, "mkdir") {
		t.Errorf("cp -a under the recorded profile: exit %d, %s (the recording never saw mkdirat)", r.code, r.stderr)
	}
	r = runIt(t, in(sysfence("run", "-p", static, "--", "/bin/cp", "-a", "dir1", "dir3")))
	if r.code != 0 {
		t.Errorf("cp -a under the --static profile: exit %d, %s", r.code, r.stderr)
	}
	p, err := profile.Load(static)
	if err != nil {
		t.Fatal(err)
	}
	comments := map[string]string{}
	for _, s := range p.Seccomp.Syscalls {
		for _, n := range s.Names {
			comments[n] = s.Comment
		}
	}
	if c := comments["mkdir"]; !strings.HasPrefix(c, "not seen; static: libc.so.6:mkdir <- ") || !strings.HasSuffix(c, "/cp imports mkdir") {
		t.Errorf("mkdir's comment: %q", c)
	}
	if c := comments["openat"]; !strings.Contains(c, "calls") || strings.Contains(c, "static") {
		t.Errorf("a recorded call keeps its count: %q", c)
	}

	// eBPF cannot see the files: refused by name, and auto picks ptrace.
	r = runIt(t, in(sysfence("record", "--static", "--backend", "ebpf", "-o", static, "--", "/bin/true")))
	if r.code != 2 || !strings.Contains(r.stderr, "use the ptrace backend for --static") {
		t.Errorf("--static --backend ebpf: exit %d, %s", r.code, r.stderr)
	}

	// A library loaded with dlopen by a name only known at run time.
	lib := filepath.Join(dir, "libplug.so")
	src := filepath.Join(dir, "plug.c")
	os.WriteFile(src, []byte("#include <unistd.h>\n#include <sys/syscall.h>\nlong plug(void) { return syscall(SYS_kcmp, 0, 0, 0, 0, 0); }\n"), 0o644)
	cc := testenv.LookPath(t, "cc", "gcc")
	if b, err := exec.Command(cc, "-shared", "-fPIC", "-O2", "-o", lib, src).CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, b)
	}
	mainSrc := filepath.Join(dir, "loader.c")
	os.WriteFile(mainSrc, []byte("#include <dlfcn.h>\nint main(int c, char **v) { return dlopen(v[1], RTLD_NOW) == 0; }\n"), 0o644)
	loader := filepath.Join(dir, "loader")
	if b, err := exec.Command(cc, "-O2", "-o", loader, mainSrc, "-ldl").CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, b)
	}
	withLib := filepath.Join(dir, "lib.json")
	r = runIt(t, in(sysfence("record", "--static", "-o", withLib, "--", loader, lib)))
	if r.code != 0 {
		t.Fatalf("record --static loader: %d %s", r.code, r.stderr)
	}
	p, err = profile.Load(withLib)
	if err != nil {
		t.Fatal(err)
	}
	found := ""
	for _, s := range p.Seccomp.Syscalls {
		for _, n := range s.Names {
			if n == "kcmp" {
				found = s.Comment
			}
		}
	}
	if !strings.Contains(found, "libplug.so exports plug (loaded at run time)") {
		t.Errorf("kcmp from the dlopen'ed library: comment %q", found)
	}
	if !strings.Contains(r.stderr, "dlopen: loader:main") {
		t.Errorf("the dlopen with a name from argv is not reported:\n%s", r.stderr)
	}
}

// A damaged program (any file may be given to analyze) is analysed as
// far as it can be, and never crashes sysfence: an FDE of its .eh_frame
// whose CIE pointer points before the section, a code segment whose
// size in the program header is far beyond the file's.
func TestAnalyzeDamagedFile(t *testing.T) {
	orig, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, data []byte)
		want   string // a syscall the profile still allows
	}{
		{"eh_frame-cie-pointer", func(t *testing.T, data []byte) {
			s := f.Section(".eh_frame")
			if s == nil {
				t.Fatal("/bin/true has no .eh_frame")
			}
			sec := data[s.Offset : s.Offset+s.Size]
			fde := 4 + binary.LittleEndian.Uint32(sec) // the record after the first CIE
			if binary.LittleEndian.Uint32(sec[fde+4:]) == 0 {
				t.Fatal("the second record of /bin/true's .eh_frame is no FDE")
			}
			binary.LittleEndian.PutUint32(sec[fde+4:], fde+4+3)
		}, "exit_group"},
		{"segment-size", func(t *testing.T, data []byte) {
			for i, p := range f.Progs {
				if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 {
					ph := binary.LittleEndian.Uint64(data[0x20:]) + uint64(i)*56 // Elf64_Phdr
					binary.LittleEndian.PutUint64(data[ph+32:], 1<<62)           // p_filesz
					return
				}
			}
			t.Fatal("/bin/true has no code segment")
		}, "execve"}, // the code is unreadable: the kernel's part is left
	} {
		t.Run("damage="+tc.name, func(t *testing.T) {
			data := slices.Clone(orig)
			tc.damage(t, data)
			prog := filepath.Join(t.TempDir(), "true")
			if err := os.WriteFile(prog, data, 0o755); err != nil {
				t.Fatal(err)
			}
			r := runIt(t, withCache(sysfence("analyze", "-q", prog), t.TempDir()))
			if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, `"`+tc.want+`"`) {
				t.Errorf("exit %d, stderr %.300q, stdout %.200q", r.code, r.stderr, r.stdout)
			}
		})
	}
}
