package analyze

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

func names(r *Result) map[string]Syscall {
	m := map[string]Syscall{}
	for _, s := range r.Syscalls {
		if s.ABI == "x86_64" && s.Name != "" {
			m[s.Name] = s
		}
	}
	return m
}

func analyzeT(t *testing.T, c *Cache, progs ...string) *Result {
	t.Helper()
	r, err := Analyze(progs, Options{Cache: c})
	if err != nil {
		t.Fatalf("Analyze(%v): %v", progs, err)
	}
	return r
}

// buildWrappers compiles testdata/wrappers.c with cc (gcc, musl-gcc),
// static or not.
func buildWrappers(t *testing.T, cc string, static bool) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "wrappers")
	src, _ := filepath.Abs("testdata/wrappers.c")
	if cc == "" {
		testenv.BuildC(t, src, out, static)
		return out
	}
	args := []string{"-O2", "-o", out, src}
	if static {
		args = append([]string{"-static"}, args...)
	}
	if b, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cc, err, b)
	}
	return out
}

// checkWrappers asserts what every build of wrappers.c must give: the
// numbers passed to syscall(), to a raw syscall instruction and to a
// wrapper taking it on the stack, and the cancellation point's call.
func checkWrappers(t *testing.T, prog string, r *Result) {
	t.Helper()
	got := names(r)
	for _, want := range []string{"kcmp", "vhangup", "get_mempolicy", "accept4", "exit_group", "execve"} {
		if _, ok := got[want]; !ok {
			t.Errorf("%s: %s missing from the result", prog, want)
		}
	}
	if s, ok := got["kcmp"]; ok && !strings.Contains(strings.Join(s.Why, " "), "syscall") {
		t.Errorf("kcmp's explanation does not name the syscall() wrapper: %s", s.Explain())
	}
	// syscall(atol(argv[2])) cannot be known: it is reported at its site.
	found := false
	for _, f := range r.Findings {
		if f.Kind == "unresolved" && f.Object == r.Programs[0] && strings.Contains(f.Detail, "not found") && f.At != 0 {
			found = true
		}
	}
	if !found {
		t.Errorf("%s: the call of syscall() with a number from argv is not reported; findings: %v", prog, r.Findings)
	}
}

func TestGlibcDynamic(t *testing.T) {
	prog := buildWrappers(t, "", false)
	r := analyzeT(t, nil, prog)
	checkWrappers(t, prog, r)
	// A control: a program without those calls does not get them.
	plain := filepath.Join(t.TempDir(), "plain")
	src := filepath.Join(t.TempDir(), "plain.c")
	os.WriteFile(src, []byte("int main(void) { return 0; }\n"), 0o644)
	testenv.BuildC(t, src, plain, false)
	got := names(analyzeT(t, nil, plain))
	for _, no := range []string{"kcmp", "vhangup", "get_mempolicy"} {
		if _, ok := got[no]; ok {
			t.Errorf("a program that never calls %s has it in its result: %s", no, got[no].Explain())
		}
	}
}

func TestGlibcStatic(t *testing.T) {
	prog := buildWrappers(t, "", true)
	checkWrappers(t, prog, analyzeT(t, nil, prog))
}

func TestMusl(t *testing.T) {
	cc := testenv.LookPath(t, "musl-gcc", "musl-tools")
	for _, static := range []bool{true, false} {
		prog := buildWrappers(t, cc, static)
		r := analyzeT(t, nil, prog)
		got := names(r)
		for _, want := range []string{"kcmp", "vhangup", "get_mempolicy", "accept4", "exit_group"} {
			if _, ok := got[want]; !ok {
				t.Errorf("musl static=%v: %s missing", static, want)
			}
		}
	}
}

// buildGo builds testdata/gosys.go.txt (stripped or not).
func buildGo(t *testing.T, strip bool) string {
	t.Helper()
	goBin := testenv.LookPath(t, "go", "golang-go")
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/gosys.go.txt")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module gosys\n\ngo 1.21\n"), 0o644)
	out := filepath.Join(dir, "gosys")
	args := []string{"build", "-o", out}
	if strip {
		args = append(args, "-ldflags=-s -w")
	}
	cmd := exec.Command(goBin, append(args, ".")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

func TestGoBinary(t *testing.T) {
	for _, strip := range []bool{false, true} {
		prog := buildGo(t, strip)
		got := names(analyzeT(t, nil, prog))
		// syscall.Syscall6 and RawSyscall take the number in rax
		// (ABIInternal) and spill it across entersyscall.
		for _, want := range []string{"kcmp", "vhangup", "write", "exit_group", "mmap", "clone"} {
			if _, ok := got[want]; !ok {
				t.Errorf("Go binary (stripped=%v): %s missing", strip, want)
			}
		}
	}
}

var straceCall = regexp.MustCompile(`^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)(?:\(| resumed>)`)

// straceNames runs argv under strace -f and returns the syscalls made.
func straceNames(t *testing.T, dir string, argv ...string) []string {
	t.Helper()
	st := testenv.LookPath(t, "strace", "strace")
	out := filepath.Join(t.TempDir(), "trace")
	cmd := exec.Command(st, append([]string{"-f", "-qq", "-o", out}, argv...)...)
	cmd.Dir = dir
	cmd.Run() // the status is the command's; the trace is what counts
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := straceCall.FindStringSubmatch(sc.Text()); m != nil {
			seen[m[1]] = true
		}
	}
	var s []string
	for n := range seen {
		s = append(s, n)
	}
	sort.Strings(s)
	return s
}

// TestSoundAgainstStrace: everything a real run makes (strace -f) is in
// the result for the program, on real programs of the distribution and on
// the test's own builds.
func TestSoundAgainstStrace(t *testing.T) {
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, "f"), []byte("a\nb\n"), 0o644)
	os.MkdirAll(filepath.Join(work, "d/e"), 0o755)
	goProg := buildGo(t, false)
	static := buildWrappers(t, "", true)
	cases := [][]string{
		{"/bin/ls", "-la", "/"},
		{"/bin/cp", "-a", "d", "d2"},
		{"/bin/sed", "-i", "s/a/b/", "f"},
		{"/usr/bin/find", ".", "-name", "e", "-delete"},
		{"/bin/tar", "czf", "x.tgz", "d"},
		{goProg, "kcmp"},
		{static, "s"},
	}
	py := testenv.LookPath(t, "python3", "python3-minimal")
	cases = append(cases, []string{py, "-c", "import json, os; print(json.dumps(os.listdir('.')))"})
	c := &Cache{Dir: t.TempDir()}
	for _, argv := range cases {
		seen := straceNames(t, work, argv...)
		r := analyzeT(t, c, argv[0])
		got := names(r)
		var missing []string
		for _, n := range seen {
			if _, ok := got[n]; !ok {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			t.Errorf("%v made %v, which analyze of %s does not have (of %d)", argv, missing, argv[0], len(got))
		}
	}
}

func TestCache(t *testing.T) {
	prog := buildWrappers(t, "", false)
	c := &Cache{Dir: t.TempDir()}
	first := analyzeT(t, c, prog)
	for _, o := range first.Objects {
		if o.Cached {
			t.Errorf("%s came from an empty cache", o.Path)
		}
	}
	entries, _ := filepath.Glob(filepath.Join(c.Dir, "v*", "*.bin"))
	if len(entries) < 3 { // program, libc, ld.so
		t.Fatalf("cache holds %d entries after the first run: %v", len(entries), entries)
	}
	second := analyzeT(t, c, prog)
	for _, o := range second.Objects {
		if !o.Cached {
			t.Errorf("%s analysed again with a warm cache", o.Path)
		}
	}
	if !slices.EqualFunc(first.Syscalls, second.Syscalls, func(a, b Syscall) bool { return a.Explain() == b.Explain() }) {
		t.Errorf("a warm cache changed the result")
	}
	// A damaged entry is analysed again.
	for _, e := range entries {
		os.WriteFile(e, []byte("junk"), 0o644)
	}
	third := analyzeT(t, c, prog)
	if len(third.Syscalls) != len(first.Syscalls) {
		t.Errorf("after damaging the cache: %d syscalls, want %d", len(third.Syscalls), len(first.Syscalls))
	}
	// Concurrent users of one cold cache.
	c2 := &Cache{Dir: t.TempDir()}
	var wg sync.WaitGroup
	results := make([]*Result, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i], errs[i] = Analyze([]string{prog}, Options{Cache: c2})
		}(i)
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil {
			t.Fatalf("concurrent Analyze %d: %v", i, errs[i])
		}
		if len(results[i].Syscalls) != len(first.Syscalls) {
			t.Errorf("concurrent Analyze %d: %d syscalls, want %d", i, len(results[i].Syscalls), len(first.Syscalls))
		}
	}
	left, _ := filepath.Glob(filepath.Join(c2.Dir, "v*", ".tmp-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left in the cache: %v", left)
	}
}

func TestExplain(t *testing.T) {
	r := analyzeT(t, nil, "/bin/mkdir")
	s, ok := names(r)["mkdir"]
	if !ok {
		t.Fatal("mkdir cannot call mkdir")
	}
	e := s.Explain()
	if !strings.HasPrefix(e, "mkdir <- libc.so.6:mkdir <- ") || !strings.HasSuffix(e, "/mkdir imports mkdir") {
		t.Errorf("explanation %q, want mkdir <- libc.so.6:mkdir <- ... imports mkdir", e)
	}
}

// TestDlopenDlsymExec: names given to dlsym, dlopen and exec as
// constants are followed (V8 finds pkey_alloc with dlsym; tar runs
// /bin/sh); a name known only at run time is reported where it is used.
func TestDlopenDlsymExec(t *testing.T) {
	dir := t.TempDir()
	cc := testenv.LookPath(t, "cc", "gcc")
	build := func(out string, extra []string, src string) {
		t.Helper()
		f := filepath.Join(dir, filepath.Base(out)+".c")
		os.WriteFile(f, []byte(src), 0o644)
		if b, err := exec.Command(cc, append(append([]string{"-O2", "-o", out}, extra...), f, "-ldl")...).CombinedOutput(); err != nil {
			t.Fatalf("cc: %v\n%s", err, b)
		}
	}
	lib := filepath.Join(dir, "libplug.so")
	build(lib, []string{"-shared", "-fPIC"}, "#include <unistd.h>\n#include <sys/syscall.h>\nlong plug(void) { return syscall(SYS_kcmp, 0, 0, 0, 0, 0); }\n")
	prog := filepath.Join(dir, "prog")
	build(prog, nil, `#define _GNU_SOURCE
#include <dlfcn.h>
#include <unistd.h>
int main(int argc, char **argv) {
	if (argc > 1 && argv[1][0] == 'p') {
		int (*f)(unsigned, unsigned) = (int (*)(unsigned, unsigned))dlsym(RTLD_DEFAULT, "pkey_alloc");
		if (f) f(0, 0);
	}
	if (argc > 1 && argv[1][0] == 'l') dlopen("`+lib+`", RTLD_NOW);
	if (argc > 1 && argv[1][0] == 's') execl("/bin/sh", "sh", "-c", "true", (char *)0);
	if (argc > 2 && argv[1][0] == 'x') execvp(argv[2], argv + 2);
	return 0;
}
`)
	r := analyzeT(t, nil, prog)
	got := names(r)
	for _, want := range []string{"pkey_alloc", "kcmp"} {
		if _, ok := got[want]; !ok {
			t.Errorf("%s missing", want)
		}
	}
	if s := got["pkey_alloc"]; !strings.Contains(strings.Join(s.Why, " "), "looks up pkey_alloc with dlsym") {
		t.Errorf("pkey_alloc: %s", s.Explain())
	}
	sh, _ := filepath.EvalSymlinks("/bin/sh")
	if !slices.Contains(r.Programs, sh) {
		t.Errorf("programs %v: /bin/sh (%s), which the program executes, is not analysed", r.Programs, sh)
	}
	reported := false
	for _, f := range r.Findings {
		if f.Kind == "exec" && f.Object == prog && strings.Contains(f.Detail, "execvp") {
			reported = true
		}
	}
	if !reported {
		t.Errorf("execvp of argv[2] is not reported: %v", r.Findings)
	}
}
