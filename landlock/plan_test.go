package landlock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"

	"github.com/sysfence/sysfence/internal/testenv"
)

// These tests only compute plans: nothing here touches the kernel, so they
// run on any OS with any fake ABI.

func TestHandledPerABI(t *testing.T) {
	const (
		v1 = llsys.AccessFSMakeSym<<1 - 1 // execute .. make_sym
	)
	for _, c := range []struct {
		abi int
		fs  AccessFS
		net AccessNet
	}{
		{0, 0, 0},
		{1, v1, 0},
		{2, v1 | llsys.AccessFSRefer, 0},
		{3, v1 | llsys.AccessFSRefer | llsys.AccessFSTruncate, 0},
		{4, v1 | llsys.AccessFSRefer | llsys.AccessFSTruncate, llsys.AccessNetBindTCP | llsys.AccessNetConnectTCP},
		{5, v1 | llsys.AccessFSRefer | llsys.AccessFSTruncate | llsys.AccessFSIoctlDev, llsys.AccessNetBindTCP | llsys.AccessNetConnectTCP},
		{7, v1 | llsys.AccessFSRefer | llsys.AccessFSTruncate | llsys.AccessFSIoctlDev, llsys.AccessNetBindTCP | llsys.AccessNetConnectTCP},
		{9, v1 | llsys.AccessFSRefer | llsys.AccessFSTruncate | llsys.AccessFSIoctlDev | llsys.AccessFSResolveUnix, llsys.AccessNetBindTCP | llsys.AccessNetConnectTCP},
		// UDP (ABI 10) is never handled: the rules name TCP ports.
		{10, v1 | llsys.AccessFSRefer | llsys.AccessFSTruncate | llsys.AccessFSIoctlDev | llsys.AccessFSResolveUnix, llsys.AccessNetBindTCP | llsys.AccessNetConnectTCP},
		{99, v1 | llsys.AccessFSRefer | llsys.AccessFSTruncate | llsys.AccessFSIoctlDev | llsys.AccessFSResolveUnix, llsys.AccessNetBindTCP | llsys.AccessNetConnectTCP},
	} {
		t.Run(fmt.Sprintf("abi=%d", c.abi), func(t *testing.T) {
			if got := HandledFS(c.abi); got != c.fs {
				t.Errorf("HandledFS = %v, want %v", got, c.fs)
			}
			if got := HandledNet(c.abi); got != c.net {
				t.Errorf("HandledNet = %v, want %v", got, c.net)
			}
		})
	}
}

// fixture makes a file and a directory to write rules for.
func fixture(t *testing.T) (file, dir string) {
	root := t.TempDir()
	file = filepath.Join(root, "file")
	dir = filepath.Join(root, "dir")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Resolve the temp dir itself (it may sit behind a symlink, e.g. macOS).
	file, _ = filepath.EvalSymlinks(file)
	dir, _ = filepath.EvalSymlinks(dir)
	return file, dir
}

func TestAccessMapping(t *testing.T) {
	file, dir := fixture(t)
	const (
		exe   = llsys.AccessFSExecute
		wf    = llsys.AccessFSWriteFile
		rf    = llsys.AccessFSReadFile
		rd    = llsys.AccessFSReadDir
		trunc = llsys.AccessFSTruncate
		ioctl = llsys.AccessFSIoctlDev
		unixs = llsys.AccessFSResolveUnix
		dirW  = llsys.AccessFSRemoveDir | llsys.AccessFSRemoveFile | llsys.AccessFSMakeDir |
			llsys.AccessFSMakeReg | llsys.AccessFSMakeSock | llsys.AccessFSMakeFifo | llsys.AccessFSMakeSym
		refer = llsys.AccessFSRefer
	)
	for _, c := range []struct {
		kind string
		dir  bool
		abi  int
		want AccessFS
	}{
		{"read", false, 7, rf},
		{"read", true, 7, rf | rd},
		{"exec", false, 7, exe | rf},
		{"exec", true, 7, exe | rf},
		{"write", false, 1, wf},
		{"write", false, 3, wf | trunc},
		{"write", false, 7, wf | trunc | ioctl},
		{"write", false, 9, wf | trunc | ioctl | unixs},
		{"write", true, 1, wf | dirW},
		{"write", true, 2, wf | dirW | refer},
		{"write", true, 7, wf | dirW | refer | trunc | ioctl},
		{"write", true, 9, wf | dirW | refer | trunc | ioctl | unixs},
	} {
		name := fmt.Sprintf("kind=%s/dir=%v/abi=%d", c.kind, c.dir, c.abi)
		t.Run(name, func(t *testing.T) {
			p := file
			if c.dir {
				p = dir
			}
			var r Rules
			switch c.kind {
			case "read":
				r.Read = []string{p}
			case "write":
				r.Write = []string{p}
			case "exec":
				r.Exec = []string{p}
			}
			plan, err := NewPlan(r, c.abi, Options{BestEffort: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.Paths) != 1 || plan.Paths[0].Access != c.want || plan.Paths[0].Path != p || plan.Paths[0].Dir != c.dir {
				t.Fatalf("paths %+v, want one rule %v on %s", plan.Paths, c.want, p)
			}
			if plan.Paths[0].Access&^plan.HandledFS != 0 {
				t.Fatalf("rule %v outside handled %v", plan.Paths[0].Access, plan.HandledFS)
			}
			// Device nodes can never be created under path rules.
			if plan.HandledFS&(llsys.AccessFSMakeChar|llsys.AccessFSMakeBlock) == 0 {
				t.Fatalf("make_char/make_block not handled: %v", plan.HandledFS)
			}
			if plan.Paths[0].Access&(llsys.AccessFSMakeChar|llsys.AccessFSMakeBlock) != 0 {
				t.Fatalf("rule grants device creation: %v", plan.Paths[0].Access)
			}
		})
	}
}

func TestPlanMergesAndResolves(t *testing.T) {
	file, dir := fixture(t)
	link := filepath.Join(filepath.Dir(file), "link")
	if err := os.Symlink(file, link); err != nil {
		testenv.Skip(t, "symlinks: "+err.Error())
	}
	plan, err := NewPlan(Rules{Read: []string{link, dir}, Exec: []string{file}, Bind: []uint16{80, 80}, Connect: []uint16{80, 443}}, 7, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []PathRule{
		{Path: file, Access: llsys.AccessFSReadFile | llsys.AccessFSExecute, From: []string{"read " + link, "exec " + file}},
		{Path: dir, Dir: true, Access: llsys.AccessFSReadFile | llsys.AccessFSReadDir, From: []string{"read " + dir}},
	}
	if !reflect.DeepEqual(plan.Paths, want) {
		t.Errorf("paths\n got %+v\nwant %+v", plan.Paths, want)
	}
	wantPorts := []PortRule{
		{Port: 80, Access: llsys.AccessNetBindTCP | llsys.AccessNetConnectTCP},
		{Port: 443, Access: llsys.AccessNetConnectTCP},
	}
	if !reflect.DeepEqual(plan.Ports, wantPorts) {
		t.Errorf("ports %+v, want %+v", plan.Ports, wantPorts)
	}
	if len(plan.Unenforced) != 0 {
		t.Errorf("unenforced at ABI 7: %v", plan.Unenforced)
	}

	// The plan travels to the child as JSON.
	b, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	var back Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, plan) {
		t.Errorf("JSON round trip:\n got %+v\nwant %+v", &back, plan)
	}
}

func TestPlanBadPaths(t *testing.T) {
	for _, c := range []struct {
		name  string
		rules Rules
		is    error
	}{
		{"missing", Rules{Read: []string{"/nonexistent/sysfence"}}, fs.ErrNotExist},
		{"empty", Rules{Write: []string{""}}, ErrPath},
	} {
		t.Run("path="+c.name, func(t *testing.T) {
			_, err := NewPlan(c.rules, 7, Options{BestEffort: true})
			var pe *PathError
			if !errors.As(err, &pe) || !errors.Is(err, ErrPath) || !errors.Is(err, c.is) {
				t.Fatalf("err = %v, want a *PathError matching ErrPath and %v", err, c.is)
			}
			t.Log(err)
		})
	}
}

// What each ABI cannot enforce: an error without best effort, a named gap
// with it. Nothing is dropped silently.
func TestUnenforceable(t *testing.T) {
	file, dir := fixture(t)
	for _, c := range []struct {
		name  string
		rules Rules
		abi   int
		gaps  []string // What of each Unenforced gap
		notSu bool     // also matches ErrNotSupported
	}{
		{"ports/abi=3", Rules{Bind: []uint16{4000}, Connect: []uint16{53}}, 3, []string{"TCP port rules"}, false},
		{"ports/abi=4", Rules{Bind: []uint16{4000}}, 4, nil, false},
		{"truncate/abi=2", Rules{Read: []string{file}}, 2, []string{"truncation"}, false},
		{"truncate/abi=3", Rules{Read: []string{file}}, 3, nil, false},
		{"ioctl/read-dir/abi=4", Rules{Read: []string{dir}}, 4, []string{"device ioctls"}, false},
		{"ioctl/write-dir/abi=4", Rules{Write: []string{dir}}, 4, nil, false}, // write grants device ioctls anyway
		{"ioctl/read-file/abi=4", Rules{Read: []string{file}}, 4, nil, false},
		{"ioctl/read-dir/abi=5", Rules{Read: []string{dir}}, 5, nil, false},
		{"all/abi=1", Rules{Read: []string{dir}, Connect: []uint16{1}}, 1, []string{"truncation", "device ioctls", "TCP port rules"}, false},
		{"none/abi=0", Rules{Read: []string{file}, Bind: []uint16{1}}, 0, []string{"all path rules", "all port rules"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewPlan(c.rules, c.abi, Options{})
			if len(c.gaps) == 0 {
				if err != nil {
					t.Fatalf("NewPlan: %v", err)
				}
				return
			}
			var ue *UnenforceableError
			if !errors.As(err, &ue) || !errors.Is(err, ErrUnenforceable) || errors.Is(err, ErrNotSupported) != c.notSu {
				t.Fatalf("err = %v, want *UnenforceableError (ErrNotSupported: %v)", err, c.notSu)
			}
			if !strings.Contains(err.Error(), "--best-effort") {
				t.Errorf("error %q does not say how to run anyway", err)
			}
			t.Log(err)

			plan, err := NewPlan(c.rules, c.abi, Options{BestEffort: true})
			if err != nil {
				t.Fatalf("best effort: %v", err)
			}
			var got []string
			for _, g := range plan.Unenforced {
				got = append(got, g.What)
			}
			if !reflect.DeepEqual(got, c.gaps) {
				t.Errorf("unenforced %q, want %q", got, c.gaps)
			}
			lines := strings.Join(plan.Lines(), "\n")
			for _, g := range c.gaps {
				if !strings.Contains(lines, "UNENFORCED "+g) {
					t.Errorf("plan lines do not name %q:\n%s", g, lines)
				}
			}
		})
	}
}

// The best-effort plan drops exactly what it reports: port rules at ABI 3
// leave no handled network rights, while the path rules stay.
func TestBestEffortPlanShape(t *testing.T) {
	file, _ := fixture(t)
	plan, err := NewPlan(Rules{Read: []string{file}, Bind: []uint16{4000}}, 3, Options{BestEffort: true})
	if err != nil {
		t.Fatal(err)
	}
	if plan.HandledNet != 0 || plan.Ports != nil {
		t.Errorf("network part kept at ABI 3: %v %v", plan.HandledNet, plan.Ports)
	}
	if plan.HandledFS != HandledFS(3) || len(plan.Paths) != 1 {
		t.Errorf("path part: %v %v", plan.HandledFS, plan.Paths)
	}
	if plan.Empty() {
		t.Error("plan with path rules is empty")
	}
	// Limits are informational and present at every ABI below 9.
	var limits []string
	for _, g := range plan.Limits {
		limits = append(limits, g.What)
	}
	for _, want := range []string{"pathname UNIX sockets", "metadata and open files", "non-TCP sockets"} {
		if !strings.Contains(strings.Join(limits, ","), want) {
			t.Errorf("limits %q lack %q", limits, want)
		}
	}
}

func TestEmptyRules(t *testing.T) {
	plan, err := NewPlan(Rules{}, 0, Options{})
	if err != nil || !plan.Empty() || len(plan.Unenforced) != 0 {
		t.Fatalf("empty rules on no Landlock: %+v, %v; want an empty plan and no error", plan, err)
	}
	rep, err := Apply(plan)
	if err != nil || rep.ABI != 0 {
		t.Fatalf("Apply(empty) = %+v, %v", rep, err)
	}
	if got := rep.String(); got != "landlock: no path or port rules" {
		t.Errorf("report %q", got)
	}
}
