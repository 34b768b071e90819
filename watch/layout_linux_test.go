//go:build linux && amd64

package watch

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf/btf"

	"github.com/sysfence/sysfence/internal/testenv"
)

// TestLayoutRefusesMissing: a kernel whose BTF lacks what the programs
// read (here: one member taken out of a copy of this kernel's BTF) is
// refused with ErrNotSupported naming it, never watched in part.
func TestLayoutRefusesMissing(t *testing.T) {
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		testenv.Skip(t, "kernel BTF: "+err.Error())
	}
	if _, err := layoutFromSpec(spec); err != nil {
		t.Fatalf("this kernel: %v", err)
	}
	for _, tc := range []struct{ typ, member, want string }{
		{"seccomp_filter", "cache", "seccomp_filter.cache"},
		{"bpf_prog", "orig_prog", "bpf_prog.orig_prog"},
		{"task_struct", "seccomp", "task_struct.seccomp"},
	} {
		t.Run("missing="+tc.want, func(t *testing.T) {
			c := spec.Copy()
			var s *btf.Struct
			if err := c.TypeByName(tc.typ, &s); err != nil {
				t.Fatal(err)
			}
			s.Members = slices.DeleteFunc(slices.Clone(s.Members), func(m btf.Member) bool { return m.Name == tc.member })
			_, err := layoutFromSpec(c)
			if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "watch needs a kernel whose BTF has "+tc.want) {
				t.Errorf("layout without %s: %v", tc.want, err)
			}
		})
	}
}
