package watch

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

const auditX86_64 = 0xc000003e

func TestMayProceed(t *testing.T) {
	ldNr, ldArg0 := bpf.LoadAbs(bpf.OffNr), bpf.LoadAbs(bpf.ArgLow(0, false))
	allow, log, errno := bpf.Ret(uint32(policy.ActAllow)), bpf.Ret(uint32(policy.ActLog)), bpf.Ret(uint32(policy.Errno(1)))
	for _, tc := range []struct {
		name string
		prog bpf.Program
		nr   uint32
		want bool
	}{
		{"allow-all", bpf.Program{allow}, 1, false},
		{"log-all", bpf.Program{log}, 1, true},
		{"log-other-syscall", bpf.Program{ldNr, bpf.Jump(bpf.JmpJEQ, 2, 0, 1), log, allow}, 1, false},
		{"log-this-syscall", bpf.Program{ldNr, bpf.Jump(bpf.JmpJEQ, 1, 0, 1), log, allow}, 1, true},
		{"log-on-argument", bpf.Program{ldArg0, bpf.Jump(bpf.JmpJEQ, 3, 0, 1), log, allow}, 1, true},
		{"errno-on-argument", bpf.Program{ldArg0, bpf.Jump(bpf.JmpJEQ, 3, 0, 1), errno, allow}, 1, false},
		{"trace", bpf.Program{bpf.Ret(uint32(policy.Trace(5)))}, 1, true},
		{"notify", bpf.Program{bpf.Ret(uint32(policy.ActUserNotif))}, 1, true},
		{"ret-a-unknown", bpf.Program{ldArg0, bpf.Instruction{Op: bpf.ClassRET | bpf.RetA}}, 1, true},
		{"ret-a-known-allow", bpf.Program{bpf.Instruction{Op: bpf.ClassLD | bpf.ModeIMM, K: uint32(policy.ActAllow)}, bpf.Instruction{Op: bpf.ClassRET | bpf.RetA}}, 1, false},
		// Scratch memory keeps what is known: nr stored, reloaded, compared.
		{"through-memory", bpf.Program{ldNr, bpf.Instruction{Op: bpf.ClassST, K: 3}, bpf.LoadAbs(bpf.ArgLow(1, false)),
			bpf.Instruction{Op: bpf.ClassLD | bpf.ModeMEM, K: 3}, bpf.Jump(bpf.JmpJEQ, 9, 0, 1), log, allow}, 1, false},
	} {
		t.Run("filter="+tc.name, func(t *testing.T) {
			if got := MayProceed(tc.prog, auditX86_64, tc.nr); got != tc.want {
				t.Errorf("MayProceed = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestRunChainPrecedence: the lowest action wins whatever the order;
// among equal actions, the newest filter's data.
func TestRunChainPrecedence(t *testing.T) {
	ret := func(a policy.Action) Filter { return Filter{Prog: bpf.Program{bpf.Ret(uint32(a))}} }
	for _, tc := range []struct {
		chain []Filter
		want  Verdict
	}{
		{[]Filter{ret(policy.ActLog), ret(policy.Errno(2))}, Verdict{policy.Errno(2), 2, 0}},
		{[]Filter{ret(policy.Errno(2)), ret(policy.ActLog)}, Verdict{policy.Errno(2), 1, 0}},
		{[]Filter{ret(policy.Errno(2)), ret(policy.Errno(3))}, Verdict{policy.Errno(3), 2, 0}},
		{[]Filter{ret(policy.ActKillProcess), ret(policy.ActKillThread)}, Verdict{policy.ActKillProcess, 1, 0}},
		{[]Filter{ret(policy.ActAllow), ret(policy.ActAllow)}, Verdict{policy.ActAllow, 0, 0}},
	} {
		got, err := RunChain(tc.chain, &bpf.Data{Arch: auditX86_64})
		if err != nil || got != tc.want {
			t.Errorf("RunChain = %+v, %v; want %+v", got, err, tc.want)
		}
	}
}

func TestConsistent(t *testing.T) {
	for _, tc := range []struct {
		a    policy.Action
		ret  int64
		nr   uint32
		want bool
	}{
		{policy.Errno(1), -1, 83, true},
		{policy.Errno(1), -13, 83, false},
		{policy.Errno(5000), -4095, 83, true}, // clamped to MAX_ERRNO
		{policy.ActTrap, 83, 83, true},
		{policy.ActTrap, -1, 83, false},
		{policy.ActUserNotif, 7, 83, true},
		{policy.ActAllow, 0, 83, false},
		{policy.ActLog, 0, 83, false},
	} {
		if got := consistent(tc.a, tc.ret, tc.nr); got != tc.want {
			t.Errorf("consistent(%v, %d) = %v, want %v", tc.a, tc.ret, got, tc.want)
		}
	}
}

func TestCallArgs(t *testing.T) {
	for call, want := range map[string][]string{
		`getpid()`:                                        {},
		`openat(AT_FDCWD, "/a, b", O_RDONLY)`:             {"AT_FDCWD", `"/a, b"`, "O_RDONLY"},
		`execve("/bin/sh", ["sh", "-c"], 0x7ffd)`:         {`"/bin/sh"`, `["sh", "-c"]`, "0x7ffd"},
		`write(1, "a\"b,", 4)`:                            {"1", `"a\"b,"`, "4"},
		`x32 mkdirat(AT_FDCWD, "/nonexistent/x", 0750)`:   {"AT_FDCWD", `"/nonexistent/x"`, "0750"},
		`clone(CLONE_VM|CLONE_FS, 0, NULL, NULL, 0x1234)`: {"CLONE_VM|CLONE_FS", "0", "NULL", "NULL", "0x1234"},
	} {
		if got := callArgs(call); !reflect.DeepEqual(got, want) {
			t.Errorf("callArgs(%q) = %q, want %q", call, got, want)
		}
	}
}

func TestReportJSON(t *testing.T) {
	x86_64, _ := syscalls.ArchByName("x86_64")
	d := Decision{
		Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Pid: 42, Tid: 43, Comm: "mkdir", Cmdline: []string{"mkdir", "/x"},
		Cgroup: "/runctest-1", Container: "runctest-1", Arch: x86_64, Nr: 258,
		Call: `mkdirat(AT_FDCWD, "/x", 0777)`, Action: policy.Errno(1), Known: true, Outcome: Skipped, Ret: -1,
		Filter: 1, Filters: 1, PC: 12, Why: "syscalls[0] (p.json:3:5)",
	}
	g := &Group{Decision: d, Count: 5}
	b, err := Report{Group: g, Calls: 3}.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{"pid": 42.0, "comm": "mkdir", "container": "runctest-1", "abi": "x86_64", "syscall": "mkdirat",
		"action": "ERRNO(1)", "errno": "EPERM", "count": 3.0, "total": 5.0, "verdict": "was denied: EPERM", "pc": 12.0, "outcome": "skipped"} {
		if m[k] != v {
			t.Errorf("%s = %v, want %v (%s)", k, m[k], v, b)
		}
	}
	if args, _ := m["args"].([]any); len(args) != 3 || args[1] != `"/x"` {
		t.Errorf("args = %v", m["args"])
	}
	if got := (Report{Group: g, Calls: 3}).Text(); got != `03:04:05.000 mkdir[42] in container runctest-1 (mkdir /x): mkdirat(AT_FDCWD, "/x", 0777) was denied: EPERM (syscalls[0] (p.json:3:5)) ×3` {
		t.Errorf("Text = %s", got)
	}
	s := summarize([]*Group{g}, time.Second)
	b, _ = s.JSON()
	if err := json.Unmarshal(b, &m); err != nil || m["summary"] != true || m["calls"] != 5.0 {
		t.Errorf("summary JSON %s", b)
	}
}
