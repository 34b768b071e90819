package sandbox

import (
	"errors"
	"os"
	"testing"

	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"

	"github.com/sysfence/sysfence/internal/testenv"
)

// allowsInPlace decides whether Exec may load the filter on its own
// thread: only if nothing sysfence's thread could call before the execve
// is refused.
func TestAllowsInPlace(t *testing.T) {
	x86, err := syscalls.ArchByName("x86_64")
	if err != nil {
		t.Fatal(err)
	}
	allowAll, _ := filter(t, policy.ActAllow)
	noExec, _ := filter(t, policy.ActAllow, rule{name: "execve", action: policy.Errno(1)})
	noFutex, _ := filter(t, policy.ActAllow, rule{name: "futex", action: policy.ActKillProcess})
	traceRlimit, _ := filter(t, policy.ActAllow, rule{name: "prlimit64", action: policy.Trace(1)})
	execOnlyNull, _ := filter(t, policy.ActAllow, rule{name: "execve", arg0: u64(0), action: policy.ActAllow, other: policy.Errno(1)})
	minimal, _ := filter(t, policy.Errno(1), allow(inPlaceCalls...)...)
	missingOne, _ := filter(t, policy.Errno(1), allow(inPlaceCalls[1:]...)...)
	cases := []struct {
		name string
		ok   bool
		prog func() bool
	}{
		{"allow-all", true, func() bool { return allowsInPlace(allowAll, x86) }},
		{"denies-execve", false, func() bool { return allowsInPlace(noExec, x86) }},
		{"kills-futex", false, func() bool { return allowsInPlace(noFutex, x86) }},
		{"traces-prlimit64", false, func() bool { return allowsInPlace(traceRlimit, x86) }},
		{"execve-only-for-a-null-path", false, func() bool { return allowsInPlace(execOnlyNull, x86) }},
		{"exactly-the-calls", true, func() bool { return allowsInPlace(minimal, x86) }},
		{"all-but-execve", false, func() bool { return allowsInPlace(missingOne, x86) }},
	}
	for _, c := range cases {
		if got := c.prog(); got != c.ok {
			t.Errorf("%s: allowsInPlace = %v, want %v", c.name, got, c.ok)
		}
	}
}

// Docker's default allows everything Exec's thread may call: quiet runs
// under it exec in place.
func TestDockerDefaultAllowsInPlace(t *testing.T) {
	native, err := syscalls.Native()
	if err != nil {
		testenv.Skip(t, err.Error())
	}
	res, err := build.Build(build.Request{Ref: "docker-default"})
	if err != nil {
		t.Fatal(err)
	}
	if !allowsInPlace(res.Program.Filter, native) {
		t.Error("docker-default refuses a call of inPlaceCalls")
	}
}

// Exec refuses, before changing anything, what needs sysfence to stay or
// a child to be started.
func TestExecNeedsChild(t *testing.T) {
	allowAll, _ := filter(t, policy.ActAllow)
	other, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	cmd := &Command{Path: "/bin/true"}
	for name, tc := range map[string]struct {
		cmd  *Command
		opts *Options
	}{
		"strict":    {cmd, &Options{Strict: true}},
		"reporting": {cmd, &Options{Filter: allowAll, Report: func(Event) {}}},
		"audit":     {cmd, &Options{Filter: allowAll, Audit: true}},
		"dir":       {&Command{Path: "/bin/true", Dir: "/"}, &Options{Filter: allowAll}},
		"stdout":    {&Command{Path: "/bin/true", Stdout: other}, &Options{Filter: allowAll}},
	} {
		if err := Exec(tc.cmd, tc.opts); !errors.Is(err, ErrNeedsChild) {
			t.Errorf("%s: Exec = %v, want ErrNeedsChild", name, err)
		}
	}
}
