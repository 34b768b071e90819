package explain_test

import (
	"fmt"
	"strings"

	"github.com/sysfence/sysfence/explain"
	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

func Example() {
	p, err := profile.Parse("app.json", []byte(`{
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read", "write", "openat", "close", "exit_group", "connect", "mseal"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}
  ]
}`))
	if err != nil {
		panic(err)
	}
	x86_64, _ := syscalls.ArchByName("x86_64")
	res, err := build.Build(build.Request{Profile: p, Arch: x86_64, Kernel: &profile.KernelVersion{Major: 6, Minor: 8}})
	if err != nil {
		panic(err)
	}
	r, err := explain.Explain(explain.Input{Policy: res.Policy, Profile: res.Profile, Resolved: res.Resolved})
	if err != nil {
		panic(err)
	}
	for _, g := range r.Groups {
		if g.Area == "network" {
			fmt.Printf("%-8s %s\n", g.Status, strings.TrimSpace(g.Title+" "+g.Note))
		}
	}
	for _, ar := range r.Rules {
		fmt.Printf("%s: %s (%s)\n", ar.Syscall, ar.Text, ar.Entries[0])
	}
	// Output:
	// partly   create sockets socket families AF_INET
	// allowed  connect out
	// denied   listen and accept connections
	// denied   send, receive and configure sockets
	// socket: allowed only when family (args[0]) is AF_INET; otherwise refused with EPERM (the default) (syscalls[1] (app.json:5:5))
}
