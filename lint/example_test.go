package lint_test

import (
	"fmt"

	"github.com/sysfence/sysfence/internal/build"
	"github.com/sysfence/sysfence/lint"
	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// A profile that filters open by its flags but lets openat through.
func Example() {
	p, err := profile.Parse("app.json", []byte(`{
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 38,
  "syscalls": [
    {"names": ["read", "write", "openat"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["open"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 1, "value": 3, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}
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
	findings, err := lint.Check(lint.Input{Profile: res.Profile, Resolved: res.Resolved, Policy: res.Policy})
	if err != nil {
		panic(err)
	}
	for _, f := range findings {
		fmt.Printf("%s: %s[%s]: %s\n", f.Where(), f.Severity, f.Rule, f.Message)
	}
	// Output:
	// app.json:6:16: warning[sibling-escape]: open is filtered (open(NULL, O_WRONLY) on x86_64 is ERRNO(38)), but the same is done by openat, allowed without argument rules on x86_64 (by syscalls[0] (app.json:5:5))
}
