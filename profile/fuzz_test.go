package profile

import (
	"errors"
	"testing"
)

// FuzzParse: Parse never panics, and every error is a *ParseError whose
// position lies inside the input.
func FuzzParse(f *testing.F) {
	f.Add([]byte(conditional))
	f.Add([]byte(plainArchitectures))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ERRNO","defaultErrno":"ENOSYS","architectures":["SCMP_ARCH_NATIVE"],"x-sysfence":{"allowRead":["/etc"],"allowBind":[80]}}`))
	f.Add([]byte(`{"ociVersion":"1","linux":{"seccomp":{"defaultAction":"SCMP_ACT_LOG","syscalls":[{"names":["r\u00e9ad\ud83d\ude00"],"action":"SCMP_ACT_ALLOW"}]}}}`))
	f.Add([]byte("apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n  - {names: [read], action: SCMP_ACT_ALLOW, args: [{index: 0, value: 0x10, op: SCMP_CMP_EQ}]}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	for _, tc := range errorCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("f", data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			checkErrorPos(t, string(data), pe)
			return
		}
		// A profile that parsed can be written and read back.
		if _, err := Marshal(p, WriteOptions{}); err != nil {
			t.Fatalf("Marshal of a parsed profile: %v", err)
		}
		for _, w := range p.Warnings {
			checkErrorPos(t, string(data), w)
		}
	})
}
