package sandbox_test

import (
	"fmt"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/sandbox"
	"github.com/sysfence/sysfence/syscalls"
)

// Options.Report receives Events; their String is the report line, and
// an Explainer says what decided. FilterExplainer is the one for a bare
// filter, which knows no profile.
func ExampleEvent_String() {
	x86_64, _ := syscalls.ArchByName("x86_64")
	openat, _ := x86_64.Number("openat")
	call := sandbox.Syscall{Arch: x86_64, Nr: openat}
	action := bpf.Errno(13)
	e := sandbox.Event{
		Kind:    sandbox.Denied,
		Command: "cat",
		Syscall: call,
		Call:    `openat(AT_FDCWD, "/etc/shadow", O_RDONLY)`,
		Action:  action,
		Why:     sandbox.FilterExplainer.Explain(call, action),
	}
	fmt.Println(e)
	e.Kind, e.Action = sandbox.Killed, bpf.ActKillProcess
	e.Why = sandbox.FilterExplainer.Explain(call, e.Action)
	fmt.Println(e)
	// Output:
	// cat: openat(AT_FDCWD, "/etc/shadow", O_RDONLY) was denied: EACCES (the filter returns ERRNO(13))
	// cat was killed: openat(AT_FDCWD, "/etc/shadow", O_RDONLY) is not allowed (the filter returns KILL_PROCESS)
}
