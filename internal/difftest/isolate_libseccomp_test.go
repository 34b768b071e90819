//go:build libseccomp

package difftest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sysfence/sysfence/bpf"
	ref "github.com/sysfence/sysfence/internal/reference/libseccomp"
	"github.com/sysfence/sysfence/syscalls"
)

// libseccomp 2.5.4 sometimes never returns from seccomp_rule_add for a
// random profile (its rule-tree merge loops; about one profile in tens of
// thousands). A cgo call cannot be interrupted, so the reference builds run
// in a worker process (this test binary, re-executed) that is killed when a
// build takes longer than buildTimeout; such a profile counts as hung.

// ErrHung is returned when libseccomp did not finish building a profile.
var ErrHung = errors.New("libseccomp did not return (its rule-tree merge loops on this profile)")

const workerEnv = "SYSFENCE_LIBSECCOMP_WORKER"

// buildTimeout bounds one build; a normal build takes milliseconds.
var buildTimeout = 10 * time.Second

func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "1" {
		serveBuilds(os.Stdin, os.Stdout)
		os.Exit(0)
	}
	code := m.Run()
	worker.stop()
	os.Exit(code)
}

type buildRequest struct {
	OCI    *specs.LinuxSeccomp
	Native string
	Opts   ref.Options
	// Stall makes the worker wait before building (to test the timeout).
	Stall time.Duration
}

type buildReply struct {
	Prog     bpf.Program
	Err      string
	Rejected bool
	Refused  bool
}

// serveBuilds is the worker: one JSON request per line, one reply each.
func serveBuilds(in io.Reader, out io.Writer) {
	dec := json.NewDecoder(bufio.NewReader(in))
	enc := json.NewEncoder(out)
	for {
		var req buildRequest
		if err := dec.Decode(&req); err != nil {
			return
		}
		time.Sleep(req.Stall)
		var rep buildReply
		native, err := syscalls.ArchByName(req.Native)
		if err == nil {
			rep.Prog, err = ref.Build(req.OCI, native, req.Opts)
		}
		if err != nil {
			rep.Err = err.Error()
			rep.Rejected = errors.Is(err, ref.ErrRejected)
			rep.Refused = errors.Is(err, ref.ErrRefused)
		}
		if enc.Encode(&rep) != nil {
			return
		}
	}
}

// isolatedWorker owns the worker process.
type isolatedWorker struct {
	mu  sync.Mutex
	cmd *exec.Cmd
	in  io.WriteCloser
	out *json.Decoder
}

var worker isolatedWorker

func (w *isolatedWorker) start() error {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	w.cmd, w.in, w.out = cmd, in, json.NewDecoder(bufio.NewReader(out))
	return nil
}

func (w *isolatedWorker) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cmd != nil {
		w.in.Close()
		w.cmd.Process.Kill()
		w.cmd.Wait()
		w.cmd = nil
	}
}

// buildIsolated is ref.Build in the worker, with a timeout.
func buildIsolated(oci *specs.LinuxSeccomp, native *syscalls.Arch, opts ref.Options) (bpf.Program, error) {
	return buildInWorker(buildRequest{OCI: oci, Native: native.Name, Opts: opts})
}

func buildInWorker(req buildRequest) (bpf.Program, error) {
	w := &worker
	w.mu.Lock()
	if w.cmd == nil {
		if err := w.start(); err != nil {
			w.mu.Unlock()
			return nil, fmt.Errorf("starting the libseccomp worker: %w", err)
		}
	}
	if err := json.NewEncoder(w.in).Encode(req); err != nil {
		w.mu.Unlock()
		w.stop()
		return nil, fmt.Errorf("libseccomp worker: %w", err)
	}
	done := make(chan error, 1)
	var rep buildReply
	go func() { done <- w.out.Decode(&rep) }()
	select {
	case err := <-done:
		w.mu.Unlock()
		if err != nil {
			w.stop()
			return nil, fmt.Errorf("libseccomp worker: %w", err)
		}
	case <-time.After(buildTimeout):
		w.mu.Unlock()
		w.stop() // the next build starts a fresh worker
		return nil, ErrHung
	}
	if rep.Err == "" {
		return rep.Prog, nil
	}
	switch {
	case rep.Rejected:
		return nil, fmt.Errorf("%w: %s", ref.ErrRejected, rep.Err)
	case rep.Refused:
		return nil, fmt.Errorf("%w: %s", ref.ErrRefused, rep.Err)
	}
	return nil, errors.New(rep.Err)
}

func TestIsolatedBuildSurvivesAHang(t *testing.T) {
	oci := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}}}
	defer func(d time.Duration) { buildTimeout = d }(buildTimeout)
	buildTimeout = 300 * time.Millisecond
	if _, err := buildInWorker(buildRequest{OCI: oci, Native: "x86_64", Stall: 5 * time.Second}); !errors.Is(err, ErrHung) {
		t.Fatalf("a build that never returns gave %v, want ErrHung", err)
	}
	buildTimeout = 10 * time.Second
	prog, err := buildInWorker(buildRequest{OCI: oci, Native: "x86_64"})
	if err != nil || len(prog) == 0 {
		t.Fatalf("after a hang, the next build gave %v (%d instructions)", err, len(prog))
	}
}
