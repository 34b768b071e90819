package sysfence_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/internal/testenv"
)

// The lowest layers import no project package above them: bpf (the BPF
// model, with the kernel's return values) and seccomp (the kernel calls)
// know nothing of policy, profiles or the compiler, as gVisor's pkg/bpf
// knows nothing of pkg/seccomp.
func TestLayers(t *testing.T) {
	above := []string{"policy", "profile", "compile", "internal/build", "sandbox", "record", "landlock"}
	for _, pkg := range []string{"bpf", "seccomp", "syscalls"} {
		out, err := exec.Command("go", "list", "-deps", "./"+pkg).Output()
		if err != nil {
			testenv.Skip(t, "go list: "+err.Error())
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, a := range above {
				if dep == "github.com/sysfence/sysfence/"+a {
					t.Errorf("%s imports %s", pkg, a)
				}
			}
		}
	}
}
