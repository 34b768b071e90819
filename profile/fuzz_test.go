package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
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

// FuzzScanJSON: the scanner's first pass (which sizes every container's
// block of nodes) agrees with the parse: the parse never runs out of a
// block, it accepts what encoding/json accepts (as UTF-8, within its
// nesting limit), and the tree it builds holds every value once.
func FuzzScanJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `[1,[2,{"a":[]}],"x,]\"}"]`, `{"a":1,}`, `[1 } , 3]`, `["\\\\"`, `[[[`, "\xef\xbb\xbf[1]"} {
		f.Add([]byte(s))
	}
	for _, tc := range errorCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, perr := scanJSON("f", string(data))
		if perr != nil {
			if strings.Contains(perr.Msg, "internal error") {
				t.Fatalf("%q: %v", data, perr)
			}
			if json.Valid(data) && utf8.Valid(data) && !strings.HasPrefix(perr.Msg, "nesting too deep") && !bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
				t.Fatalf("%q is valid JSON: %v", data, perr)
			}
			return
		}
		// Every node but the root is the child of exactly one container.
		seen := make([]int, len(tr.nodes))
		for i := range tr.nodes {
			n := &tr.nodes[i]
			if n.kind != kObj && n.kind != kArr {
				continue
			}
			if n.a < 0 || int(n.a)+n.len() > len(tr.nodes)-1 {
				t.Fatalf("%q: node %d has children %d+%d of %d nodes", data, i, n.a, n.b, len(tr.nodes))
			}
			for k := int(n.a); k < int(n.a)+n.len(); k++ {
				seen[k]++
			}
		}
		for i, c := range seen[:len(seen)-1] {
			if c != 1 {
				t.Fatalf("%q: node %d is the child of %d containers", data, i, c)
			}
		}
	})
}
