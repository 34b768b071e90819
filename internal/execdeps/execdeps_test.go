package execdeps

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

// lddDeps runs ldd on an ELF executable and returns the real paths of
// what it lists (interpreter and libraries) and the names it cannot find.
func lddDeps(t *testing.T, path string, env []string) (found, missing []string) {
	t.Helper()
	ldd := testenv.LookPath(t, "ldd", "libc-bin")
	cmd := exec.Command(ldd, path)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil && len(out) == 0 {
		t.Fatalf("ldd %s: %v", path, err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if name, ok := strings.CutSuffix(line, " => not found"); ok {
			missing = append(missing, name)
			continue
		}
		if _, after, ok := strings.Cut(line, "=> "); ok {
			line = after
		}
		p, _, _ := strings.Cut(line, " (")
		if !strings.HasPrefix(p, "/") {
			continue // linux-vdso.so.1: in the kernel, not a file
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			t.Fatalf("ldd listed %s: %v", p, err)
		}
		found = append(found, real)
	}
	slices.Sort(found)
	slices.Sort(missing)
	return found, missing
}

// ourELFDeps is Resolve's answer for an ELF executable in ldd's terms: the
// interpreter and the libraries, without the program and the files the
// loader reads for itself.
func ourELFDeps(r *Result) (found, missing []string) {
	self, _ := filepath.EvalSymlinks(r.Command)
	for _, d := range r.Deps {
		if d.Path == self || d.Path == ldSoCache || d.Path == ldSoPreload {
			continue
		}
		found = append(found, d.Path)
	}
	for _, m := range r.Missing {
		missing = append(missing, m.Name)
	}
	slices.Sort(found)
	slices.Sort(missing)
	return found, missing
}

func requireLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("compares with the system's ELF loader")
	}
}

func TestAgainstLdd(t *testing.T) {
	requireLinux(t)
	progs := []string{"cat", "ls"}
	if _, err := exec.LookPath("python3"); err == nil {
		progs = append(progs, "python3")
	}
	for _, name := range progs {
		t.Run("cmd="+name, func(t *testing.T) {
			res, err := Resolve(name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			// python3 may be a script (pyenv's shim): compare every ELF
			// program in the chain with ldd.
			checked := 0
			for _, d := range res.Deps {
				if !d.Exec || !isDynamicELF(d.Path) {
					continue
				}
				sub, err := Resolve(d.Path, Options{})
				if err != nil {
					t.Fatal(err)
				}
				gotF, gotM := ourELFDeps(sub)
				wantF, wantM := lddDeps(t, d.Path, os.Environ())
				if !slices.Equal(gotF, wantF) || !slices.Equal(gotM, wantM) {
					t.Errorf("%s:\n ours %q missing %q\n ldd  %q missing %q", d.Path, gotF, gotM, wantF, wantM)
				}
				// Everything the sub-resolution found is in the whole answer.
				for _, p := range gotF {
					if !slices.ContainsFunc(res.Deps, func(d Dep) bool { return d.Path == p }) {
						t.Errorf("%s needs %s, missing from the answer for %s", d.Path, p, name)
					}
				}
				checked++
			}
			if checked == 0 {
				t.Fatalf("no dynamic ELF program in %+v", res.Deps)
			}
			for _, d := range res.Deps {
				t.Logf("%-5v %s: %s", d.Exec, d.Path, d.Reason)
			}
		})
	}
}

func isDynamicELF(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4)
	if _, err := f.Read(head); err != nil || string(head) != "\x7fELF" {
		return false
	}
	r := &resolver{env: map[string]string{}, res: &Result{}, index: map[string]int{}, programs: map[string]bool{}}
	if err := r.elfProgram(p); err != nil {
		return false
	}
	return len(r.res.Deps) > 0
}

func TestCatReasons(t *testing.T) {
	requireLinux(t)
	res, err := Resolve("cat", Options{})
	if err != nil {
		t.Fatal(err)
	}
	byReason := map[string]Dep{}
	for _, d := range res.Deps {
		byReason[strings.Fields(d.Reason)[0]] = d
	}
	if d := res.Deps[0]; !d.Exec || d.Reason != "the command" {
		t.Errorf("first dep %+v, want the command itself, executable", d)
	}
	if d, ok := byReason["ELF"]; !ok || !d.Exec || !strings.HasPrefix(d.Reason, "ELF interpreter (PT_INTERP) of ") {
		t.Errorf("no executable ELF interpreter in %+v", res.Deps)
	}
	if d, ok := byReason["DT_NEEDED"]; !ok || d.Exec || !strings.Contains(d.Reason, "libc.so.6") {
		t.Errorf("no read-only DT_NEEDED libc.so.6 in %+v", res.Deps)
	}
	for _, d := range res.Deps {
		if real, _ := filepath.EvalSymlinks(d.Path); real != d.Path {
			t.Errorf("%s is not a real path (%s)", d.Path, real)
		}
	}
	line := res.Deps[0].String()
	if !strings.HasSuffix(line, " [exec]: the command") || !strings.HasPrefix(line, "/") {
		t.Errorf("verbose line %q", line)
	}
}

func TestStaticBinary(t *testing.T) {
	requireLinux(t)
	bb := testenv.LookPath(t, "busybox", "busybox-static")
	res, err := Resolve(bb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Deps) != 1 || !res.Deps[0].Exec {
		t.Fatalf("static busybox: %+v, want only itself", res.Deps)
	}
}

// A program and libraries built here with $ORIGIN paths, in every
// combination that tells DT_RPATH from DT_RUNPATH: RPATH is inherited by
// the libraries a program loads, RUNPATH is not, and a library's own
// $ORIGIN is its directory. ldd (the real loader) is the reference,
// including for what it cannot find.
func TestOriginTrees(t *testing.T) {
	requireLinux(t)
	cc := testenv.LookPath(t, "cc", "gcc")
	root := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(root, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bar := write("bar.c", "int bar(void) { return 1; }\n")
	foo := write("foo.c", "int bar(void);\nint foo(void) { return bar() + 1; }\n")
	mainc := write("main.c", "int foo(void);\nint main(void) { return foo() == 2 ? 0 : 1; }\n")
	build := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
			t.Fatalf("cc %q: %v\n%s", args, err, out)
		}
	}
	for _, tree := range []struct {
		name    string
		fooPath []string // how libfoo finds libbar
	}{
		{"libfoo-no-path", nil},
		{"libfoo-runpath-origin", []string{"-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN"}},
	} {
		dir := filepath.Join(root, tree.name)
		lib, bin := filepath.Join(dir, "lib"), filepath.Join(dir, "bin")
		for _, d := range []string{lib, bin} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		build("-shared", "-fPIC", "-o", filepath.Join(lib, "libbar.so"), bar)
		build(append([]string{"-shared", "-fPIC", "-o", filepath.Join(lib, "libfoo.so"), foo, "-L" + lib, "-lbar"}, tree.fooPath...)...)
		for _, m := range []struct {
			name  string
			dtags string
		}{{"main-rpath", "--disable-new-dtags"}, {"main-runpath", "--enable-new-dtags"}} {
			exe := filepath.Join(bin, m.name)
			build("-o", exe, mainc, "-L"+lib, "-lfoo", "-Wl,-rpath-link,"+lib, "-Wl,"+m.dtags, "-Wl,-rpath,$ORIGIN/../lib")
			// Resolve it through a symlink from elsewhere: the executable's
			// $ORIGIN is its real directory (glibc reads /proc/self/exe).
			// ldd runs it as "ld.so FILE", where $ORIGIN is FILE's
			// directory as spelled, so ldd gets the real path, and running
			// the link is the check that the link behaves the same.
			link := filepath.Join(root, tree.name+"-"+m.name)
			if err := os.Symlink(exe, link); err != nil {
				t.Fatal(err)
			}
			t.Run("tree="+tree.name+"/exe="+m.name, func(t *testing.T) {
				res, err := Resolve(link, Options{})
				if err != nil {
					t.Fatal(err)
				}
				gotF, gotM := ourELFDeps(res)
				wantF, wantM := lddDeps(t, exe, os.Environ())
				if !slices.Equal(gotF, wantF) || !slices.Equal(gotM, wantM) {
					t.Fatalf("\n ours %q missing %q\n ldd  %q missing %q", gotF, gotM, wantF, wantM)
				}
				if err := exec.Command(link).Run(); (err == nil) != (len(gotM) == 0) {
					t.Fatalf("running %s: %v, but we found missing %q", link, err, gotM)
				}
				for _, d := range res.Deps {
					t.Logf("%-5v %s: %s", d.Exec, d.Path, d.Reason)
				}
				for _, m := range res.Missing {
					t.Logf("missing %s: %s", m.Name, m.Reason)
				}
			})
		}
	}
}

// LD_LIBRARY_PATH and LD_PRELOAD come from CMD's environment, as the
// loader reads them.
func TestLoaderEnvironment(t *testing.T) {
	requireLinux(t)
	cc := testenv.LookPath(t, "cc", "gcc")
	root := t.TempDir()
	lib := filepath.Join(root, "lib")
	pre := filepath.Join(root, "pre")
	for _, d := range []string{lib, pre} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	src := filepath.Join(root, "x.c")
	os.WriteFile(src, []byte("int x(void) { return 0; }\n"), 0o644)
	mainc := filepath.Join(root, "main.c")
	os.WriteFile(mainc, []byte("int x(void);\nint main(void) { return x(); }\n"), 0o644)
	for _, args := range [][]string{
		{"-shared", "-fPIC", "-o", filepath.Join(lib, "libx.so"), src},
		{"-shared", "-fPIC", "-o", filepath.Join(pre, "libpre.so"), src},
		{"-o", filepath.Join(root, "main"), mainc, "-L" + lib, "-lx"},
	} {
		if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
			t.Fatalf("cc %q: %v\n%s", args, err, out)
		}
	}
	exe := filepath.Join(root, "main")
	for _, c := range []struct {
		name string
		env  []string
	}{
		{"no-env", nil},
		{"ld_library_path", []string{"LD_LIBRARY_PATH=/nonexistent::" + lib}},
		{"ld_preload", []string{"LD_LIBRARY_PATH=" + lib, "LD_PRELOAD=" + filepath.Join(pre, "libpre.so")}},
	} {
		t.Run("env="+c.name, func(t *testing.T) {
			env := append([]string{"PATH=/usr/bin:/bin"}, c.env...)
			res, err := Resolve(exe, Options{Env: env, Dir: "/"})
			if err != nil {
				t.Fatal(err)
			}
			gotF, gotM := ourELFDeps(res)
			wantF, wantM := lddDeps(t, exe, env)
			if !slices.Equal(gotF, wantF) || !slices.Equal(gotM, wantM) {
				t.Fatalf("\n ours %q missing %q\n ldd  %q missing %q", gotF, gotM, wantF, wantM)
			}
		})
	}
}

func TestScripts(t *testing.T) {
	requireLinux(t)
	sh, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		testenv.Skip(t, "no /bin/sh")
	}
	env, err := exec.LookPath("env")
	if err != nil {
		testenv.Skip(t, "no env")
	}
	dir := t.TempDir()
	script := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	inner := script("inner", "#!/bin/sh\necho inner\n")
	outer := script("outer", "#! "+inner+"  some arg \n")
	viaEnv := script("via-env", "#!"+env+" -S -u FOO sh -e\necho hi\n")
	loop := script("loop", "#!"+env+" loop\n")
	long := script("long", "#!/"+strings.Repeat("x", 300)+"\n")
	text := script("text", "just text\n")
	noExec := filepath.Join(dir, "noexec")
	os.WriteFile(noExec, []byte("#!/bin/sh\n"), 0o644)

	t.Run("nested", func(t *testing.T) {
		res, err := Resolve(outer, Options{})
		if err != nil {
			t.Fatal(err)
		}
		wantReasons := map[string]string{
			outer: "the command",
			inner: "#! interpreter of " + outer,
			sh:    "#! interpreter of " + inner,
		}
		for p, why := range wantReasons {
			i := slices.IndexFunc(res.Deps, func(d Dep) bool { return d.Path == p })
			if i < 0 || !res.Deps[i].Exec || res.Deps[i].Reason != why {
				t.Errorf("%s: want exec dep %q in %+v", p, why, res.Deps)
			}
		}
	})
	t.Run("env-S", func(t *testing.T) {
		res, err := Resolve(viaEnv, Options{Env: []string{"PATH=/usr/bin:/bin"}})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(res.Deps, func(d Dep) bool { return d.Path == sh })
		if i < 0 || !strings.HasPrefix(res.Deps[i].Reason, "program run by "+env) {
			t.Errorf("sh not found as the program env runs: %+v", res.Deps)
		}
	})
	t.Run("env-loop", func(t *testing.T) {
		// "#!/usr/bin/env loop" with the script itself in PATH: followed once.
		if _, err := Resolve(loop, Options{Env: []string{"PATH=" + dir}}); err != nil {
			t.Fatal(err)
		}
	})
	for _, c := range []struct {
		name string
		cmd  string
		is   error
	}{
		{"interp-too-long", long, ErrFormat},
		{"not-script-not-elf", text, ErrFormat},
		{"no-exec-bit", noExec, ErrNotExecutable},
		{"missing", filepath.Join(dir, "absent"), ErrNotFound},
	} {
		t.Run("err="+c.name, func(t *testing.T) {
			_, err := Resolve(c.cmd, Options{})
			var e *Error
			if !errors.Is(err, c.is) || !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error matching %v", err, c.is)
			}
		})
	}
}

func TestLookPath(t *testing.T) {
	requireLinux(t)
	dir := t.TempDir()
	exe := filepath.Join(dir, "tool")
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644)
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	os.WriteFile(filepath.Join(sub, "plain"), []byte("#!/bin/sh\n"), 0o755)

	for _, c := range []struct {
		cmd, path, want string
		is              error
	}{
		{"tool", "/nonexistent:" + dir, exe, nil},
		{"plain", dir + ":" + sub, filepath.Join(sub, "plain"), nil}, // a non-executable match is skipped
		{"plain", dir, "", ErrNotExecutable},
		{"nope", dir, "", ErrNotFound},
		{"sub", dir, "", ErrNotExecutable}, // a directory
		{exe, "", exe, nil},                // a path is not searched
	} {
		t.Run("cmd="+filepath.Base(c.cmd)+"/path="+strings.ReplaceAll(c.path, dir, "D"), func(t *testing.T) {
			got, err := LookPath(c.cmd, c.path)
			if c.is != nil {
				if !errors.Is(err, c.is) {
					t.Fatalf("LookPath = %q, %v; want %v", got, err, c.is)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("LookPath = %q, %v; want %q", got, err, c.want)
			}
		})
	}
	// An empty PATH element is the current directory, kept a path.
	r := &resolver{env: map[string]string{"PATH": ":/nonexistent"}, dir: dir}
	if got, err := r.lookPath("tool"); err != nil || got != "./tool" {
		t.Fatalf("empty PATH element: %q, %v; want ./tool", got, err)
	}
}

func TestShebangParsing(t *testing.T) {
	for _, c := range []struct {
		line, interp, arg string
		bad               bool
	}{
		{"#!/bin/sh\n", "/bin/sh", "", false},
		{"#!  /bin/sh  -e  \n", "/bin/sh", "-e", false},
		{"#!/usr/bin/env -S a b\tc\n", "/usr/bin/env", "-S a b\tc", false},
		{"#!/bin/sh", "/bin/sh", "", false},
		{"#!\n", "", "", true},
	} {
		interp, arg, err := parseShebang([]byte(c.line))
		if (err != nil) != c.bad || interp != c.interp || arg != c.arg {
			t.Errorf("parseShebang(%q) = %q, %q, %v", c.line, interp, arg, err)
		}
	}
}
