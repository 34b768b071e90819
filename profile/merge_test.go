package profile

import (
	"errors"
	"strings"
	"testing"
)

func TestMergeUnitesEntries(t *testing.T) {
	a := mustParse(t, "a.json", `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],
		"syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW","comment":"io"},
		{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}],
		"x-sysfence":{"allowRead":["/etc/hostname"]}}`)
	b := mustParse(t, "b.json", `{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],
		"syscalls":[{"names":["write","openat"],"action":"SCMP_ACT_ALLOW"},
		{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]},
		{"names":["mount"],"action":"SCMP_ACT_ERRNO","errnoRet":38}],
		"x-sysfence":{"allowRead":["/etc/hostname","/etc/hosts"],"allowBind":[4000]}}`)
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	s := m.Seccomp
	if got := strings.Join(s.Syscalls[0].Names, ","); got != "read,write,openat" || s.Syscalls[0].Comment != "io" {
		t.Errorf("first entry %q (comment %q), want read,write,openat (io)", got, s.Syscalls[0].Comment)
	}
	if len(s.Syscalls) != 4 {
		t.Fatalf("%d entries, want 4 (socket==1, socket==2 and mount kept apart)", len(s.Syscalls))
	}
	if len(s.Architectures) != 2 || s.Architectures[1] != "SCMP_ARCH_X86" {
		t.Errorf("architectures %v", s.Architectures)
	}
	if len(m.Ext.AllowRead) != 2 || len(m.Ext.AllowBind) != 1 {
		t.Errorf("extension %+v", m.Ext)
	}
	if len(a.Seccomp.Syscalls[0].Names) != 2 {
		t.Error("Merge modified its input")
	}
	if _, err := Validate(m); err != nil {
		t.Errorf("merged profile does not validate: %v", err)
	}
}

func TestMergeConflicts(t *testing.T) {
	a := mustParse(t, "a.json", `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}`)
	for _, tc := range []struct{ name, text, want string }{
		{"default", `{"defaultAction":"SCMP_ACT_KILL","syscalls":[]}`, "defaultAction SCMP_ACT_KILL differs"},
		{"action", "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\n\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL\"}]}", "b.json:2:13: read is SCMP_ACT_KILL here but SCMP_ACT_ALLOW in a.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Merge(a, mustParse(t, "b.json", tc.text))
			if !errors.Is(err, ErrMergeConflict) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrMergeConflict containing %q", err, tc.want)
			}
		})
	}
}

// ERRNO without errnoRet is EPERM for runc: the same as ERRNO(1).
func TestMergeErrnoWithoutValueIsEPERM(t *testing.T) {
	a, err := Parse("a.json", []byte(`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("b.json", []byte(`{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Merge(a, b); err != nil {
		t.Errorf("Merge: %v", err)
	}
	c, err := Parse("c.json", []byte(`{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Merge(a, c); !errors.Is(err, ErrMergeConflict) {
		t.Errorf("Merge with ERRNO(38): %v, want a conflict", err)
	}
}
