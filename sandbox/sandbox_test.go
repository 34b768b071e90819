package sandbox

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

func TestEventString(t *testing.T) {
	x86, _ := syscalls.ArchByName("x86_64")
	killed := Event{Kind: Killed, Command: "./hello", Call: `openat(AT_FDCWD, "/etc/shadow", O_RDONLY)`,
		Action: policy.ActKillProcess, Why: "default action KILL_PROCESS", Syscall: Syscall{Arch: x86, Nr: 257}}
	if got, want := killed.String(), `./hello was killed: openat(AT_FDCWD, "/etc/shadow", O_RDONLY) is not allowed (default action KILL_PROCESS)`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	denied := Event{Kind: Denied, Command: "./wr", Call: `write(2, "err\n", 4)`, Action: policy.Errno(1), Why: "rule"}
	if got, want := denied.String(), `./wr: write(2, "err\n", 4) was denied: EPERM (rule)`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	thread := Event{Kind: Killed, Thread: true, Pid: 1235, Command: "./prog", Call: "getppid()", Action: policy.ActKillThread, Why: "rule"}
	if got, want := thread.String(), `./prog: thread 1235 was killed (the process goes on): getppid() is not allowed (rule)`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := killed.Syscall.Name(); got != "openat" {
		t.Errorf("Name() = %s", got)
	}
}

func TestExecError(t *testing.T) {
	nf := &ExecError{Path: "nosuch", Kind: ErrNotFound, Err: syscall.ENOENT}
	if !errors.Is(nf, ErrNotFound) || nf.ExitCode() != 127 || nf.Error() != "nosuch: command not found" {
		t.Errorf("not found: %v %d", nf, nf.ExitCode())
	}
	ne := &ExecError{Path: "/etc/passwd", Kind: ErrNotExecutable, Err: syscall.EACCES}
	if !errors.Is(ne, ErrNotExecutable) || !errors.Is(ne, syscall.EACCES) || ne.ExitCode() != 126 {
		t.Errorf("not executable: %v %d", ne, ne.ExitCode())
	}
}

func TestPolicyExplainer(t *testing.T) {
	x86, _ := syscalls.ArchByName("x86_64")
	write, _ := x86.Lookup("write")
	p := &policy.Policy{
		Arches: []*policy.ArchPolicy{{Arch: x86, Rules: []policy.Rule{
			{Nr: write, Action: policy.ActAllow, Conds: []policy.Cond{{Arg: 0, Op: policy.OpEq, Value: 1}},
				Origin: policy.Origin{Entry: 2, Name: "write"}},
			{Nr: write, Action: policy.Errno(1), Conds: []policy.Cond{{Arg: 0, Op: policy.OpNe, Value: 1}},
				Origin: policy.Origin{Entry: 3, Name: "write"}},
		}}},
		DefaultAction: policy.ActKillProcess,
		BadArch:       policy.ActKillProcess,
	}
	e := PolicyExplainer(p)
	for _, tc := range []struct {
		name   string
		call   Syscall
		action policy.Action
		want   string
	}{
		{"rule", Syscall{Arch: x86, Nr: write, Args: [6]uint64{2}}, policy.Errno(1), "syscalls[3]: write: ERRNO(1) if args[0] != 0x1"},
		{"default", Syscall{Arch: x86, Nr: 257}, policy.ActKillProcess, "default action KILL_PROCESS"},
		{"disagree", Syscall{Arch: x86, Nr: 257}, policy.ActAllow, "default action KILL_PROCESS; but the filter returned ALLOW"},
		{"badarch", Syscall{Nr: 5}, policy.ActKillProcess, "architecture not in the filter (bad-arch action KILL_PROCESS)"},
	} {
		t.Run("why="+tc.name, func(t *testing.T) {
			if got := e.Explain(tc.call, tc.action); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if !strings.Contains(FilterExplainer.Explain(Syscall{}, policy.ActTrap), "TRAP") {
		t.Error("FilterExplainer does not name the action")
	}
}
