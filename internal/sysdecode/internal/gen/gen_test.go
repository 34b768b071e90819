package gen

import (
	"strings"
	"testing"
)

func TestGenerateRefuses(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"wrong-name", "x86_64,309,getcwd,3\n", `x86_64 309 is "getcpu" in package syscalls, not "getcwd"`},
		{"too-many", "x86_64,309,getcpu,7\n", "argument count \"7\" is not 0 to 6"},
		{"fields", "x86_64,309,getcpu\n", "want abi,nr,name,args"},
		{"twice", "x86_64,309,getcpu,3\nx86_64,309,getcpu,3\n", "x86_64 309 listed twice"},
		{"missing", "x86_64,309,getcpu,3\n", "x86_64: no argument count for read (0)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Generate(strings.NewReader("# comment\n" + tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Generate: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
