package sandbox

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/seccomp"
	"github.com/sysfence/sysfence/syscalls"
)

var (
	binDir  string
	binMu   sync.Mutex
	binDone = map[string]string{}
)

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		runChild(name)
		return
	}
	dir, err := os.MkdirTemp("", "sandbox-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireSandbox skips (fails in CI) where the filter cannot be injected.
func requireSandbox(t testing.TB) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		testenv.Skip(t, "injection is implemented for x86_64 only")
	}
	if err := seccomp.CheckFilter(); err != nil {
		testenv.Skip(t, err.Error())
	}
}

// cprog compiles testdata/NAME.c once per test binary run, statically
// when static is set.
func cprog(t testing.TB, name string, static bool) string {
	t.Helper()
	key := fmt.Sprintf("%s-%v", name, static)
	binMu.Lock()
	defer binMu.Unlock()
	if p, ok := binDone[key]; ok {
		return p
	}
	out := filepath.Join(binDir, key)
	testenv.BuildC(t, filepath.Join("testdata", name+".c"), out, static)
	binDone[key] = out
	return out
}

// rule is one entry of a hand-built test filter: the syscall gets action,
// or, with arg0 set, action when arg0 equals *arg0 and otherwise else.
type rule struct {
	name   string
	action policy.Action
	arg0   *uint64
	other  policy.Action
}

func allow(names ...string) []rule {
	var rs []rule
	for _, n := range names {
		rs = append(rs, rule{name: n, action: policy.ActAllow})
	}
	return rs
}

func u64(v uint64) *uint64 { return &v }

// filter builds an x86_64 filter by hand (not a compiler: a straight list
// of tests) and the policy it implements, for PolicyExplainer.
func filter(t testing.TB, def policy.Action, rules ...rule) (bpf.Program, *policy.Policy) {
	t.Helper()
	x86, err := syscalls.ArchByName("x86_64")
	if err != nil {
		t.Fatal(err)
	}
	p := bpf.Program{
		bpf.LoadAbs(bpf.OffArch),
		bpf.Jump(bpf.JmpJEQ, x86.AuditArch, 1, 0),
		bpf.Ret(uint32(policy.ActKillProcess)),
		bpf.LoadAbs(bpf.OffNr),
	}
	pol := &policy.Policy{Arches: []*policy.ArchPolicy{{Arch: x86}}, DefaultAction: def, BadArch: policy.ActKillProcess}
	ap := pol.Arches[0]
	for i, r := range rules {
		nr, err := x86.Lookup(r.name)
		if err != nil {
			t.Fatal(err)
		}
		origin := policy.Origin{Entry: i, Name: r.name}
		if r.arg0 == nil {
			p = append(p, bpf.Jump(bpf.JmpJEQ, nr, 0, 1), bpf.Ret(uint32(r.action)))
			ap.Rules = append(ap.Rules, policy.Rule{Nr: nr, Action: r.action, Origin: origin})
			continue
		}
		v := *r.arg0
		p = append(p,
			bpf.Jump(bpf.JmpJEQ, nr, 0, 6),
			bpf.LoadAbs(bpf.ArgLow(0, false)),
			bpf.Jump(bpf.JmpJEQ, uint32(v), 0, 3),
			bpf.LoadAbs(bpf.ArgHigh(0, false)),
			bpf.Jump(bpf.JmpJEQ, uint32(v>>32), 0, 1),
			bpf.Ret(uint32(r.action)),
			bpf.Ret(uint32(r.other)))
		ap.Rules = append(ap.Rules,
			policy.Rule{Nr: nr, Action: r.action, Conds: []policy.Cond{{Arg: 0, Op: policy.OpEq, Value: v}}, Origin: origin},
			policy.Rule{Nr: nr, Action: r.other, Conds: []policy.Cond{{Arg: 0, Op: policy.OpNe, Value: v}}, Origin: origin})
	}
	return append(p, bpf.Ret(uint32(def))), pol
}

// outcome is what a test run produced.
type outcome struct {
	res    *Result
	stdout string
	stderr string
	events []string
}

// runCmd runs argv under opts with captured stdout and stderr; with
// report, events are collected (otherwise quiet mode).
func runCmd(t testing.TB, opts Options, report bool, argv ...string) outcome {
	t.Helper()
	stdout, stderr := tempFile(t), tempFile(t)
	var events []string
	if report {
		opts.Report = func(e Event) { events = append(events, e.String()) }
	}
	res, err := Run(&Command{Path: argv[0], Args: argv, Stdout: stdout, Stderr: stderr}, &opts)
	if err != nil {
		t.Fatalf("Run(%v): %v", argv, err)
	}
	return outcome{res: res, stdout: readBack(t, stdout), stderr: readBack(t, stderr), events: events}
}

func tempFile(t testing.TB) *os.File {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readBack(t testing.TB, f *os.File) string {
	t.Helper()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantExit checks how the command ended: code, or killed by sig.
func (o outcome) wantExit(t *testing.T, code int, sig syscall.Signal) {
	t.Helper()
	if o.res.ExitCode != code || o.res.Signal != sig {
		t.Errorf("ended with exit code %d signal %v, want %d %v\nstdout: %s\nstderr: %s\nevents: %s",
			o.res.ExitCode, o.res.Signal, code, sig, o.stdout, o.stderr, strings.Join(o.events, "\n"))
	}
}

func (o outcome) wantEvents(t *testing.T, want ...string) {
	t.Helper()
	if strings.Join(o.events, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(o.events, "\n"), strings.Join(want, "\n"))
	}
}

func nativeOrder() binary.ByteOrder { return binary.NativeEndian }
