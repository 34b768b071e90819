package runctest

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/profile"
)

// DefaultBusybox is where Debian's busybox-static installs busybox.
const DefaultBusybox = "/bin/busybox"

// ErrUnavailable is wrapped by Check's errors: runc cannot run here.
var ErrUnavailable = errors.New("runc containers unavailable")

// Config describes a bundle.
type Config struct {
	// Busybox is a statically linked busybox to copy into the rootfs;
	// empty means DefaultBusybox.
	Busybox string
	// HostNetwork leaves the network namespace out: the container shares
	// the host's network (127.0.0.1 included).
	HostNetwork bool
	// Caps is the container's capability set (bounding, effective,
	// permitted) as CAP_* names; nil means Docker's default set.
	Caps []string
}

// Check reports whether runc containers can run here: runc installed, root,
// and a statically linked busybox. Its error wraps ErrUnavailable and says
// what is missing.
func Check(busybox string) error {
	if busybox == "" {
		busybox = DefaultBusybox
	}
	if _, err := exec.LookPath("runc"); err != nil {
		return fmt.Errorf("%w: runc is not installed (Debian package runc)", ErrUnavailable)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: runc needs root", ErrUnavailable)
	}
	f, err := elf.Open(busybox)
	if err != nil {
		return fmt.Errorf("%w: %v (Debian package busybox-static)", ErrUnavailable, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%w: %s is dynamically linked; a rootfs of one file needs busybox-static", ErrUnavailable, busybox)
		}
	}
	return nil
}

// Require skips the test unless runc containers can run (and fails it in
// CI, where they must).
func Require(t testing.TB) {
	t.Helper()
	if err := Check(""); err != nil {
		testenv.Skip(t, err.Error())
	}
}

// Bundle is an OCI bundle: Dir/config.json and Dir/rootfs.
type Bundle struct {
	Dir    string
	Rootfs string
	// Spec is the configuration every Run starts from (a Run changes a
	// copy). Tests may edit it between runs.
	Spec *specs.Spec

	runc  string
	state string // runc --root
	ids   []string
}

// NewT makes a bundle in a test's temporary directory, removed with it;
// it calls Require first.
func NewT(t testing.TB, cfg Config) *Bundle {
	t.Helper()
	Require(t)
	b, err := NewBundle(t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

// NewBundle makes a bundle in dir (an existing, empty directory): the
// busybox rootfs and the base configuration from `runc spec`.
func NewBundle(dir string, cfg Config) (*Bundle, error) {
	if cfg.Busybox == "" {
		cfg.Busybox = DefaultBusybox
	}
	if err := Check(cfg.Busybox); err != nil {
		return nil, err
	}
	runc, _ := exec.LookPath("runc")
	b := &Bundle{Dir: dir, Rootfs: filepath.Join(dir, "rootfs"), runc: runc, state: filepath.Join(dir, "state")}
	if err := b.makeRootfs(cfg.Busybox); err != nil {
		return nil, err
	}
	// `runc spec` writes the runtime's default config.json into the
	// current directory of the command.
	cmd := exec.Command(runc, "spec")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("runctest: runc spec: %v: %s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("runctest: %w", err)
	}
	b.Spec = new(specs.Spec)
	if err := json.Unmarshal(data, b.Spec); err != nil {
		return nil, fmt.Errorf("runctest: runc spec wrote an unreadable config.json: %w", err)
	}
	if b.Spec.Process == nil || b.Spec.Linux == nil || b.Spec.Root == nil {
		return nil, fmt.Errorf("runctest: runc spec's config.json has no process, root or linux section")
	}
	b.Spec.Root.Path = "rootfs"
	b.Spec.Process.Terminal = false
	b.Spec.Process.NoNewPrivileges = false // Docker's default
	b.Spec.Hostname = "runctest"
	caps := cfg.Caps
	if caps == nil {
		caps = profile.DockerDefaultCaps()
	}
	b.Spec.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
	if cfg.HostNetwork {
		var ns []specs.LinuxNamespace
		for _, n := range b.Spec.Linux.Namespaces {
			if n.Type != specs.NetworkNamespace {
				ns = append(ns, n)
			}
		}
		b.Spec.Linux.Namespaces = ns
	}
	if err := os.MkdirAll(b.state, 0o700); err != nil {
		return nil, fmt.Errorf("runctest: %w", err)
	}
	return b, nil
}

// makeRootfs copies busybox into rootfs/bin and links every applet to it.
func (b *Bundle) makeRootfs(busybox string) error {
	bin := filepath.Join(b.Rootfs, "bin")
	for _, d := range []string{bin, filepath.Join(b.Rootfs, "tmp"), filepath.Join(b.Rootfs, "etc")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("runctest: %w", err)
		}
	}
	data, err := os.ReadFile(busybox)
	if err != nil {
		return fmt.Errorf("runctest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(bin, "busybox"), data, 0o755); err != nil {
		return fmt.Errorf("runctest: %w", err)
	}
	out, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return fmt.Errorf("runctest: %s --list: %w", busybox, err)
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "busybox" || strings.Contains(applet, "/") {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(bin, applet)); err != nil {
			return fmt.Errorf("runctest: %w", err)
		}
	}
	// Enough of /etc for id, whoami and friends.
	return os.WriteFile(filepath.Join(b.Rootfs, "etc", "passwd"), []byte("root:x:0:0:root:/:/bin/sh\n"), 0o644)
}

// Run is one container run.
type Run struct {
	// Args is the container's command, e.g. {"sh", "-c", "echo hi"}
	// (looked up in the container's PATH, /bin).
	Args []string
	// Env is added to the configuration's environment.
	Env []string
	// Seccomp goes into linux.seccomp; nil runs without a filter.
	Seccomp *specs.LinuxSeccomp
	// NoNewPrivileges sets process.noNewPrivileges (runc then loads the
	// filter as late as it can).
	NoNewPrivileges bool
	// Stdin feeds the container; nil is /dev/null.
	Stdin io.Reader
	// Stdout and Stderr, when set, also receive the container's output as
	// it is written (Result has it all at the end either way).
	Stdout, Stderr io.Writer
	// Timeout bounds the run (30s if zero); the container is killed then.
	Timeout time.Duration
	// Edit, when set, changes the configuration of this run last.
	Edit func(*specs.Spec)
	// ID names the container; empty means runctest-PID-N.
	ID string
}

// Result is how a run ended.
type Result struct {
	ID       string
	Stdout   string
	Stderr   string
	ExitCode int
	// TimedOut is set when the run was killed for its timeout or context.
	TimedOut bool
	// RuncLog is what runc itself logged (errors such as "exec: operation
	// not permitted" when the container could not start).
	RuncLog string
}

func (r *Result) String() string {
	return fmt.Sprintf("container %s: exit %d (timed out %v)\nstdout: %q\nstderr: %q\nrunc: %s", r.ID, r.ExitCode, r.TimedOut, r.Stdout, r.Stderr, strings.TrimSpace(r.RuncLog))
}

var seq atomic.Int64

// Run runs a container in the foreground and waits for it. The error is
// for what kept the run from happening at all; a container that fails
// (including runc refusing to start it) is a Result with its exit code
// and RuncLog.
func (b *Bundle) Run(ctx context.Context, r Run) (*Result, error) {
	if len(r.Args) == 0 {
		return nil, errors.New("runctest: Run without Args")
	}
	spec, err := cloneSpec(b.Spec)
	if err != nil {
		return nil, err
	}
	spec.Process.Args = r.Args
	spec.Process.Env = append(spec.Process.Env, r.Env...)
	spec.Process.NoNewPrivileges = r.NoNewPrivileges
	spec.Linux.Seccomp = r.Seccomp
	if r.Edit != nil {
		r.Edit(spec)
	}
	data, err := json.MarshalIndent(spec, "", "\t")
	if err != nil {
		return nil, fmt.Errorf("runctest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(b.Dir, "config.json"), data, 0o644); err != nil {
		return nil, fmt.Errorf("runctest: %w", err)
	}
	id := r.ID
	if id == "" {
		id = fmt.Sprintf("runctest-%d-%d", os.Getpid(), seq.Add(1))
	}
	b.ids = append(b.ids, id)
	logFile := filepath.Join(b.Dir, id+".log")
	timeout := r.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var stdout, stderr bytes.Buffer
	cmd := exec.Command(b.runc, "--root", b.state, "--log", logFile, "run", "--bundle", b.Dir, id)
	cmd.Stdin = r.Stdin
	cmd.Stdout, cmd.Stderr = tee(&stdout, r.Stdout), tee(&stderr, r.Stderr)
	// runc forwards signals to the container; its own process group keeps
	// a terminal's ^C for the test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("runctest: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	res := &Result{ID: id}
	var werr error
	select {
	case werr = <-done:
	case <-ctx.Done():
		res.TimedOut = true
		b.runcQuiet("kill", id, "KILL")
		select {
		case werr = <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill() // runc itself is stuck
			werr = <-done
		}
	}
	res.Stdout, res.Stderr = stdout.String(), stderr.String()
	if log, err := os.ReadFile(logFile); err == nil {
		res.RuncLog = string(log)
	}
	var ee *exec.ExitError
	switch {
	case werr == nil:
	case errors.As(werr, &ee):
		res.ExitCode = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.ExitCode = 128 + int(ws.Signal())
		}
	default:
		return res, fmt.Errorf("runctest: runc run: %w", werr)
	}
	b.runcQuiet("delete", "--force", id)
	return res, nil
}

func tee(buf *bytes.Buffer, w io.Writer) io.Writer {
	if w == nil {
		return buf
	}
	return io.MultiWriter(buf, w)
}

func (b *Bundle) runcQuiet(args ...string) {
	exec.Command(b.runc, append([]string{"--root", b.state}, args...)...).Run()
}

func cloneSpec(s *specs.Spec) (*specs.Spec, error) {
	data, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("runctest: %w", err)
	}
	out := new(specs.Spec)
	if err := json.Unmarshal(data, out); err != nil {
		return nil, fmt.Errorf("runctest: %w", err)
	}
	return out, nil
}

// Close kills and deletes any container of the bundle still known to
// runc. The bundle's files are the caller's (NewT's are removed with the
// test's temporary directory).
func (b *Bundle) Close() error {
	var errs []error
	for _, id := range b.ids {
		if _, err := os.Stat(filepath.Join(b.state, id)); err != nil {
			continue // deleted already
		}
		b.runcQuiet("kill", id, "KILL")
		if out, err := exec.Command(b.runc, "--root", b.state, "delete", "--force", id).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("runctest: runc delete %s: %v: %s", id, err, out))
		}
	}
	b.ids = nil
	return errors.Join(errs...)
}

// ResolvedOCI reads a profile file and resolves it for this machine with
// Docker's default capabilities: the linux.seccomp that Docker would put
// into a container's config.json for runc.
func ResolvedOCI(t testing.TB, path string) *specs.LinuxSeccomp {
	t.Helper()
	p, err := profile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	target, err := profile.DefaultTarget()
	if err != nil {
		t.Fatal(err)
	}
	r, err := profile.Resolve(p, target)
	if err != nil {
		t.Fatal(err)
	}
	return r.OCI
}
