package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	sf "github.com/sysfence/sysfence"
	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/seccomp"
)

var (
	workDir string // binaries built by the tests

	binOnce sync.Once
	binPath string
	binErr  error

	cMu   sync.Mutex
	cDone = map[string]string{}
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeKernelEnv); mode != "" {
		fakeKernel(mode, os.Args[slices.Index(os.Args, "--")+1:])
	}
	var err error
	if workDir, err = os.MkdirTemp("", "sysfence-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(workDir)
	os.Exit(code)
}

// fakeKernelEnv makes the test binary play a kernel without seccomp
// ("einval": CONFIG_SECCOMP_FILTER missing, strict mode missing too;
// "enosys": no seccomp(2) at all, before Linux 3.17; "nonotify": filters
// but no user notification, before Linux 5.0; "nolandlock": no Landlock,
// before Linux 5.13) for a command it then
// execs: under a filter of its own (loaded with the Go API), seccomp(2)
// and prctl(PR_GET_SECCOMP/PR_SET_SECCOMP) fail as they would there.
const fakeKernelEnv = "SYSFENCE_E2E_FAKE_KERNEL"

func fakeKernel(mode string, argv []string) {
	f := sf.NewFilter(sf.Allow)
	var err error
	if mode == "nolandlock" {
		// A kernel without Landlock (before 5.13, or not in lsm=).
		for _, name := range []string{"landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"} {
			if err == nil {
				err = f.Add(sf.Errno(syscall.ENOSYS), name)
			}
		}
	} else if mode == "nonotify" {
		// A kernel before 5.0: seccomp filters, no user notification.
		const getNotifSizes = 3 // SECCOMP_GET_NOTIF_SIZES
		err = f.Add(sf.Errno(syscall.EINVAL), "seccomp", sf.Arg(0).Eq(getNotifSizes))
	} else {
		errno := syscall.EINVAL
		if mode == "enosys" {
			errno = syscall.ENOSYS
		}
		err = f.Add(sf.Errno(errno), "seccomp")
		for _, opt := range []uint64{syscall.PR_GET_SECCOMP, syscall.PR_SET_SECCOMP} {
			if err == nil {
				err = f.Add(sf.Errno(syscall.EINVAL), "prctl", sf.Arg(0).Eq(opt))
			}
		}
	}
	if err == nil {
		err = f.Load()
	}
	if err == nil {
		err = syscall.Exec(argv[0], argv, os.Environ())
	}
	fmt.Fprintln(os.Stderr, "fake kernel:", err)
	os.Exit(3)
}

// requireRun skips (fails in CI) where `sysfence run` cannot work.
func requireRun(t testing.TB) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		testenv.Skip(t, "sysfence run injects filters on x86_64 only")
	}
	if err := seccomp.CheckFilter(); err != nil {
		testenv.Skip(t, err.Error())
	}
}

// sysfenceBin builds the shipped binary once: pure Go, static
// (CGO_ENABLED=0), from this module.
func sysfenceBin(t testing.TB) string {
	t.Helper()
	requireRun(t)
	goTool := testenv.LookPath(t, "go", "golang-go")
	binOnce.Do(func() {
		binPath = filepath.Join(workDir, "sysfence")
		cmd := exec.Command(goTool, "build", "-o", binPath, "github.com/sysfence/sysfence/cmd/sysfence")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// startSysfence starts sysfence with args, waits for the stderr line that
// contains ready, and returns a function that ends it (with SIGINT first
// when interrupt is set), killing it if it has not ended within timeout,
// and returns how it ended. The function may be called again, and the
// test's cleanup calls it.
func startSysfence(t testing.TB, ready string, interrupt bool, timeout time.Duration, args ...string) func() result {
	t.Helper()
	cmd := exec.Command(sysfenceBin(t), args...)
	var out, errBuf bytes.Buffer
	cmd.Stdout = &out
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := make(chan bool, 1)
	var mu sync.Mutex
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(pr)
		once := false
		for sc.Scan() {
			mu.Lock()
			errBuf.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if !once && strings.Contains(sc.Text(), ready) {
				once = true
				started <- true
			}
		}
		if !once {
			started <- false
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); pw.Close() }()
	select {
	case ok := <-started:
		if !ok {
			<-done
			t.Fatalf("sysfence %q ended before %q: %s", args, ready, errBuf.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("sysfence %q: no %q in 30s", args, ready)
	}
	var once sync.Once
	var res result
	end := func() result {
		once.Do(func() {
			if interrupt {
				cmd.Process.Signal(syscall.SIGINT)
			}
			select {
			case <-done:
			case <-time.After(timeout):
				cmd.Process.Kill()
				<-done
				t.Errorf("sysfence %q did not end within %v", args, timeout)
			}
			<-copied
			mu.Lock()
			defer mu.Unlock()
			res = result{stdout: out.String(), stderr: errBuf.String(), code: cmd.ProcessState.ExitCode()}
		})
		return res
	}
	t.Cleanup(func() { end() })
	return end
}

// cprog compiles testdata/NAME.c once, statically (so that it starts
// without ld.so and its calls are few and known).
func cprog(t testing.TB, name string) string {
	t.Helper()
	cMu.Lock()
	defer cMu.Unlock()
	if p, ok := cDone[name]; ok {
		return p
	}
	out := filepath.Join(workDir, name)
	testenv.BuildC(t, filepath.Join("testdata", name+".c"), out, true)
	cDone[name] = out
	return out
}

// result is how a command ended, as a shell reports it.
type result struct {
	stdout, stderr string
	code           int // 128+N when killed by signal N
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %q\nstderr: %q", r.code, r.stdout, r.stderr)
}

// messages is stderr without sysfence's warnings about the profile (a
// profile derived from Docker's default names syscalls of other
// architectures, which sysfence remarks on for files, not for the
// built-in profile).
func (r result) messages() string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(r.stderr, "\n") {
		if !strings.HasPrefix(l, "sysfence: warning: ") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// run runs a command with a timeout and returns its result.
func run(t testing.TB, stdin string, argv ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.Stdin = strings.NewReader(stdin)
	err := cmd.Run()
	r := result{stdout: o.String(), stderr: e.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.code = 128 + int(ws.Signal())
		}
	default:
		t.Fatalf("%v: %v", argv, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%v: timed out\n%v", argv, r)
	}
	return r
}

// sysfence runs the built binary.
func sysfence(t testing.TB, args ...string) result {
	t.Helper()
	return run(t, "", append([]string{sysfenceBin(t)}, args...)...)
}

// dockerDefault returns a fresh copy of Docker's default profile.
func dockerDefault(t testing.TB) *profile.Profile {
	t.Helper()
	p, err := profile.Builtin("docker-default")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// without removes syscall names from every entry of a profile.
func without(p *profile.Profile, names ...string) *profile.Profile {
	for _, sc := range p.Seccomp.Syscalls {
		sc.Names = slices.DeleteFunc(sc.Names, func(n string) bool { return slices.Contains(names, n) })
		if slices.Contains(names, sc.Name) {
			sc.Name = ""
		}
	}
	p.Seccomp.Syscalls = slices.DeleteFunc(p.Seccomp.Syscalls, func(sc *mobyseccomp.Syscall) bool {
		return len(sc.Names) == 0 && sc.Name == ""
	})
	return p
}

// with adds an entry to a profile.
func with(p *profile.Profile, names []string, action specs.LinuxSeccompAction, args ...specs.LinuxSeccompArg) *profile.Profile {
	p.Seccomp.Syscalls = append(p.Seccomp.Syscalls, &mobyseccomp.Syscall{
		LinuxSyscall: specs.LinuxSyscall{Names: names, Action: action, Args: args}})
	return p
}

// allowList is a profile with a KILL_PROCESS default that allows names.
func allowList(names ...string) *profile.Profile {
	s := &mobyseccomp.Seccomp{}
	s.DefaultAction = specs.ActKillProcess
	s.Syscalls = []*mobyseccomp.Syscall{{LinuxSyscall: specs.LinuxSyscall{Names: names, Action: specs.ActAllow}}}
	return profile.New(s, nil)
}

// writeProfile writes a profile as Docker JSON into a file named name.
func writeProfile(t testing.TB, p *profile.Profile, name string) string {
	t.Helper()
	data, err := profile.Marshal(p, profile.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
