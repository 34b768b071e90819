package spotest

import (
	"strings"
	"testing"
)

// TestValidate: the checks can fail: documents the operator's API would
// refuse are refused here, with the field named.
func TestValidate(t *testing.T) {
	const ok = `apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: app
spec:
  defaultAction: SCMP_ACT_ERRNO
  architectures: [SCMP_ARCH_X86_64]
  syscalls:
  - names: [read, write]
    action: SCMP_ACT_ALLOW
  - names: [personality]
    action: SCMP_ACT_ALLOW
    args:
    - index: 0
      value: 4294967295
      op: SCMP_CMP_EQ
`
	if err := Validate([]byte(ok)); err != nil {
		t.Fatalf("a valid profile: %v", err)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"unknown-action", "action: SCMP_ACT_ALLOW\n  - names: [personality]", "action: SCMP_ACT_ALOW\n  - names: [personality]", "/spec/syscalls/0/action"},
		{"unknown-arch", "SCMP_ARCH_X86_64", "SCMP_ARCH_AMD64", "/spec/architectures/0"},
		{"negative-index", "index: 0", "index: -1", "/spec/syscalls/1/args/0/index"},
		{"value-beyond-int64", "value: 4294967295", "value: 18446744073709551615", "/spec/syscalls/1/args/0/value"},
		{"missing-op", "      op: SCMP_CMP_EQ\n", "", "/spec/syscalls/1/args/0"},
		{"missing-action", "    action: SCMP_ACT_ALLOW\n  - names: [personality]", "  - names: [personality]", "/spec/syscalls/0"},
		{"other-version", "v1beta1", "v1alpha9", "apiVersion"},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			doc := strings.Replace(ok, tc.from, tc.to, 1)
			if doc == ok {
				t.Fatal("the case changes nothing")
			}
			err := Validate([]byte(doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v, want an error at %s", err, tc.want)
			}
		})
	}
	// The same document in JSON, and as v1.
	js := `{"apiVersion":"security-profiles-operator.x-k8s.io/v1","kind":"SeccompProfile","metadata":{"name":"x"},"spec":{"defaultAction":"SCMP_ACT_LOG"}}`
	if err := Validate([]byte(js)); err != nil {
		t.Errorf("v1 JSON: %v", err)
	}
}
