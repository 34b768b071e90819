package sysdecode

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/syscalls"
)

// TestIoctlNames checks the written-out ioctl numbers against x/sys/unix
// (this build's amd64 numbers, which are asm-generic's), and how requests
// print: by name on an ABI that numbers them so, in hex where bits above
// the low 32 are set or the ABI numbers its ioctls otherwise.
func TestIoctlNames(t *testing.T) {
	byName := func(name string) *syscalls.Arch {
		for _, a := range syscalls.Arches() {
			if a.Name == name {
				return a
			}
		}
		t.Fatalf("no ABI %s", name)
		return nil
	}
	for name, v := range map[string]uint32{
		"TCGETS": unix.TCGETS, "TCSETS": unix.TCSETS, "TCSETSW": unix.TCSETSW, "TCSETSF": unix.TCSETSF,
		"TCGETA": unix.TCGETA, "TCSETA": unix.TCSETA, "TCSETAW": unix.TCSETAW, "TCSETAF": unix.TCSETAF,
		"TCSBRK": unix.TCSBRK, "TCXONC": unix.TCXONC, "TCFLSH": unix.TCFLSH, "TIOCEXCL": unix.TIOCEXCL,
		"TIOCNXCL": unix.TIOCNXCL, "TIOCSCTTY": unix.TIOCSCTTY, "TIOCGPGRP": unix.TIOCGPGRP,
		"TIOCSPGRP": unix.TIOCSPGRP, "TIOCOUTQ": unix.TIOCOUTQ, "TIOCSTI": unix.TIOCSTI,
		"TIOCGWINSZ": unix.TIOCGWINSZ, "TIOCSWINSZ": unix.TIOCSWINSZ, "TIOCMGET": unix.TIOCMGET,
		"TIOCMBIS": unix.TIOCMBIS, "TIOCMBIC": unix.TIOCMBIC, "TIOCMSET": unix.TIOCMSET,
		"TIOCGSOFTCAR": unix.TIOCGSOFTCAR, "TIOCSSOFTCAR": unix.TIOCSSOFTCAR, "FIONREAD": unix.TIOCINQ,
		"TIOCLINUX": unix.TIOCLINUX, "TIOCCONS": unix.TIOCCONS, "TIOCGSERIAL": unix.TIOCGSERIAL,
		"TIOCSSERIAL": unix.TIOCSSERIAL, "TIOCPKT": unix.TIOCPKT, "TIOCNOTTY": unix.TIOCNOTTY,
		"TIOCSETD": unix.TIOCSETD, "TIOCGETD": unix.TIOCGETD, "TCSBRKP": unix.TCSBRKP, "TIOCSBRK": unix.TIOCSBRK,
		"TIOCCBRK": unix.TIOCCBRK, "TIOCGSID": unix.TIOCGSID, "TIOCVHANGUP": unix.TIOCVHANGUP,
		"TIOCGPTPEER": unix.TIOCGPTPEER,
	} {
		if got := IoctlRequest(byName("x86_64"), uint64(v)); got != name {
			t.Errorf("%#x: %q, x/sys/unix says %s", v, got, name)
		}
	}
	for _, c := range []struct {
		abi  string
		v    uint64
		want string
	}{
		{"x86_64", unix.TIOCSTI, "TIOCSTI"}, {"x86", unix.TIOCGWINSZ, "TIOCGWINSZ"}, {"aarch64", 0x541b, "FIONREAD"},
		{"x86_64", 1<<32 | unix.TIOCSTI, "0x100005412"}, {"x86_64", 0xc0045401, "0xc0045401"},
		{"mips", 0x5412, "0x5412"}, {"ppc64le", 0x5412, "0x5412"},
	} {
		if got := IoctlRequest(byName(c.abi), c.v); got != c.want {
			t.Errorf("%s %#x: %q, want %q", c.abi, c.v, got, c.want)
		}
	}
}
