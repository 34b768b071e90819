package record

import (
	"slices"
	"strings"
	"testing"

	"github.com/sysfence/sysfence/profile"
	"github.com/sysfence/sysfence/syscalls"
)

// Heal adds what was denied, takes it out of the entries that denied it
// explicitly, and says what the written profile does with each name.
func TestHeal(t *testing.T) {
	base, err := profile.Parse("base.json", []byte(`{"defaultAction": "SCMP_ACT_ERRNO",
"syscalls": [
 {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
 {"names": ["mkdir", "rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}
]}`))
	if err != nil {
		t.Fatal(err)
	}
	x86_64, _ := syscalls.ArchByName("x86_64")
	obs := New()
	for _, name := range []string{"mkdir", "getppid"} {
		nr, _ := x86_64.Number(name)
		obs.Add(x86_64, nr, 1, 0)
	}
	healed, rep, err := Heal(base, obs, "healed")
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Removed; len(got) != 1 || got[0] != "mkdir (SCMP_ACT_ERRNO entry)" {
		t.Errorf("removed %v", got)
	}
	as := map[string]string{}
	for _, w := range rep.Written {
		as[w.Name] = w.As
	}
	if as["mkdir"] != "allowed" || as["getppid"] != "allowed" {
		t.Errorf("written %v", rep.Written)
	}
	if s := rep.Summary(); !strings.Contains(s, "syscalls allowed (getppid, mkdir") {
		t.Errorf("summary %q", s)
	}
	var denied []string
	for _, sc := range healed.Seccomp.Syscalls {
		if sc.Action == "SCMP_ACT_ERRNO" {
			denied = append(denied, profile.EntryNames(sc)...)
		}
	}
	if !slices.Contains(denied, "rmdir") || slices.Contains(denied, "mkdir") {
		t.Errorf("denying entries name %v", denied)
	}
	if len(base.Seccomp.Syscalls[1].Names) != 2 {
		t.Error("the base profile was changed")
	}
	if p, _, err := Heal(base, New(), "x"); p != nil || err != nil {
		t.Errorf("nothing to heal: %v %v", p, err)
	}
}
