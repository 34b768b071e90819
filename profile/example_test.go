package profile_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// Parse reads any of the formats from JSON or YAML bytes and tells which
// it was: this one uses only fields every runtime reads (a bare OCI
// LinuxSeccomp). The file name is for messages only.
func ExampleParse() {
	data := []byte(`{
	"defaultAction": "SCMP_ACT_ERRNO",
	"architectures": ["SCMP_ARCH_X86_64"],
	"syscalls": [
		{"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
		{"names": ["personality"], "action": "SCMP_ACT_ALLOW",
		 "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}
	]
}`)
	p, err := profile.Parse("app.json", data)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Format, p.Encoding, p.Seccomp.DefaultAction, len(p.Seccomp.Syscalls), "entries")
	fmt.Println("personality's entry is at", p.Where("syscalls[1]"))
	// Output:
	// oci json SCMP_ACT_ERRNO 2 entries
	// personality's entry is at app.json:6:3
}

// A mistake is reported with file, line:column, the field's path and,
// where one is close, a suggestion.
func ExampleParseError() {
	data := []byte(`{
	"defaultAction": "SCMP_ACT_ERRNO",
	"syscalls": [
		{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
		{"names": ["personality"], "action": "SCMP_ACT_ALLOW",
		 "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQUAL"}]}
	]
}`)
	_, err := profile.Parse("app.json", data)
	fmt.Println(err)
	var perr *profile.ParseError
	if errors.As(err, &perr) {
		fmt.Println(perr.Pos(), perr.Path, errors.Is(err, profile.ErrInvalidProfile))
	}
	// Output:
	// app.json:6:44: syscalls[1].args[0].op: unknown operator "SCMP_CMP_EQUAL" (did you mean SCMP_CMP_EQ?)
	// 6:44 syscalls[1].args[0].op true
}

// Resolve applies a Docker profile's conditions (architecture,
// capabilities, kernel) as Docker would on the target machine, giving the
// OCI profile runc receives.
func ExampleResolve() {
	p, err := profile.Builtin("docker-default")
	if err != nil {
		log.Fatal(err)
	}
	x86_64, _ := syscalls.ArchByName("x86_64")
	kernel, _ := profile.ParseKernel("6.8.0-45-generic")
	for _, caps := range []string{"default", "default,sys_admin"} {
		c, err := profile.ParseCaps(caps)
		if err != nil {
			log.Fatal(err)
		}
		r, err := profile.Resolve(p, profile.Target{Arch: x86_64, Caps: c, Kernel: kernel})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: architectures %v, mount allowed: %v\n", caps, r.OCI.Architectures, allows(r, "mount"))
	}
	// Output:
	// default: architectures [SCMP_ARCH_X86_64 SCMP_ARCH_X86 SCMP_ARCH_X32], mount allowed: false
	// default,sys_admin: architectures [SCMP_ARCH_X86_64 SCMP_ARCH_X86 SCMP_ARCH_X32], mount allowed: true
}

func allows(r *profile.Resolved, name string) bool {
	for _, sc := range r.OCI.Syscalls {
		for _, n := range sc.Names {
			if n == name && sc.Action == "SCMP_ACT_ALLOW" && len(sc.Args) == 0 {
				return true
			}
		}
	}
	return false
}

// Marshal writes a profile in another format, here as a Kubernetes
// Security Profiles Operator SeccompProfile.
func ExampleMarshal() {
	p, err := profile.Parse("app.json", []byte(`{"defaultAction": "SCMP_ACT_ERRNO",
		"syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}]}`))
	if err != nil {
		log.Fatal(err)
	}
	out, err := profile.Marshal(p, profile.WriteOptions{Format: profile.FormatSPO, Name: "app", Namespace: "web"})
	if err != nil {
		log.Fatal(err)
	}
	os.Stdout.Write(out)
	// Output:
	// apiVersion: security-profiles-operator.x-k8s.io/v1beta1
	// kind: SeccompProfile
	// metadata:
	//   name: app
	//   namespace: web
	// spec:
	//   defaultAction: SCMP_ACT_ERRNO
	//   syscalls:
	//     - names:
	//         - read
	//         - write
	//       action: SCMP_ACT_ALLOW
}

// Merge unites profiles recorded from several runs.
func ExampleMerge() {
	a, _ := profile.Parse("run1.json", []byte(`{"defaultAction": "SCMP_ACT_ERRNO",
		"syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}]}`))
	b, _ := profile.Parse("run2.json", []byte(`{"defaultAction": "SCMP_ACT_ERRNO",
		"syscalls": [{"names": ["write", "openat"], "action": "SCMP_ACT_ALLOW"}]}`))
	m, err := profile.Merge(a, b)
	if err != nil {
		log.Fatal(err)
	}
	for _, sc := range m.Seccomp.Syscalls {
		fmt.Println(sc.Names, sc.Action)
	}
	c, _ := profile.Parse("run3.json", []byte(`{"defaultAction": "SCMP_ACT_KILL"}`))
	_, err = profile.Merge(a, c)
	fmt.Println(err)
	// Output:
	// [read write openat] SCMP_ACT_ALLOW
	// profiles conflict: run3.json:1:19: defaultAction SCMP_ACT_KILL differs from run1.json's SCMP_ACT_ERRNO
}
