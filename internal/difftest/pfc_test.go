package difftest

import (
	"testing"

	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// PFC text as libseccomp 2.5.4 prints it for: default ERRNO(1); swapoff
// TRAP if a0 >= 0x1ffffffff or a0 <= 5.
const samplePFC = `#
# pseudo filter code start
#
# filter for arch x86_64 (3221225534)
if ($arch == 3221225534)
  # filter for syscall "swapoff" (168) [priority: 65529]
  if ($syscall == 168)
    if ($a0.hi32 > 0)
    else
      if ($a0.hi32 == 0)
        if ($a0.lo32 > 5)
        else
          action TRAP;
      else
        action TRAP;
    if ($a0.hi32 > 1)
      action TRAP;
    else
      if ($a0.hi32 == 1)
        if ($a0.lo32 >= 4294967295)
          action TRAP;
  # filter for syscall "read" (0) [priority: 65535]
  if ($syscall == 0)
    if ($a1 & 0x000000ff == 3)
      action 0x7fc00000;
  # default action
  action ERRNO(1);
# invalid architecture action
action KILL;
#
# pseudo filter code end
#
`

func TestPFC(t *testing.T) {
	p, err := ParsePFC(samplePFC)
	if err != nil {
		t.Fatal(err)
	}
	x86_64, _ := syscalls.ArchByName("x86_64")
	for _, c := range []struct {
		nr   uint32
		a0   uint64
		a1   uint64
		want policy.Action
	}{
		{168, 7, 0, policy.Errno(1)},
		{168, 5, 0, policy.ActTrap},
		{168, 0, 0, policy.ActTrap},
		{168, 0x1fffffffe, 0, policy.Errno(1)},
		{168, 0x1ffffffff, 0, policy.ActTrap},
		{168, 1 << 40, 0, policy.ActTrap},
		{0, 0, 0x103, policy.ActUserNotif},
		{0, 0, 0x104, policy.Errno(1)},
		{1, 0, 0, policy.Errno(1)},
	} {
		args := [6]uint64{c.a0, c.a1}
		got, ok := p.Decide(x86_64, c.nr, &args)
		if !ok || policy.Action(got) != c.want {
			t.Errorf("nr=%d a0=%#x a1=%#x: %v, want %v", c.nr, c.a0, c.a1, policy.Action(got), c.want)
		}
	}
	x86, _ := syscalls.ArchByName("x86")
	if _, ok := p.Decide(x86, 0, &[6]uint64{}); ok {
		t.Error("an ABI without a filter in the PFC must not be answered")
	}
}
