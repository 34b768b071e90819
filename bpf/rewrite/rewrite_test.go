package rewrite

import (
	"errors"
	"testing"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/syscalls"
)

const archX86_64 = 0xc000003e

func run(t *testing.T, p bpf.Program, d bpf.Data) bpf.Action {
	t.Helper()
	res, err := bpf.Run(p, &d, false, false)
	if err != nil {
		t.Fatal(err)
	}
	return bpf.Action(res.Ret)
}

func TestErrnoToNotify(t *testing.T) {
	prog := bpf.Program{
		bpf.LoadAbs(bpf.OffNr),
		bpf.Jump(bpf.JmpJEQ, 1, 0, 1),
		bpf.Ret(uint32(bpf.Errno(1))),
		bpf.Jump(bpf.JmpJEQ, 2, 0, 1),
		bpf.Ret(uint32(bpf.ActKillProcess)),
		bpf.Ret(uint32(bpf.ActAllow)),
	}
	out, ok := ErrnoToNotify(prog)
	if !ok {
		t.Fatal("nothing rewritten")
	}
	for _, tc := range []struct {
		nr   uint32
		want bpf.Action
	}{{1, bpf.ActUserNotif}, {2, bpf.ActKillProcess}, {3, bpf.ActAllow}} {
		if got := run(t, out, bpf.Data{Nr: tc.nr}); got != tc.want {
			t.Errorf("nr=%d: %v, want %v", tc.nr, got, tc.want)
		}
	}
	if got := run(t, prog, bpf.Data{Nr: 1}); got != bpf.Errno(1) {
		t.Errorf("the original was modified: %v", got)
	}
	if _, ok := ErrnoToNotify(bpf.Program{bpf.Ret(uint32(bpf.ActAllow))}); ok {
		t.Error("a program without ERRNO was rewritten")
	}
	retA := bpf.Program{bpf.LoadAbs(bpf.OffNr), bpf.Jump(bpf.JmpJEQ, 1, 0, 1), bpf.Ret(uint32(bpf.Errno(1))),
		{Op: bpf.ClassRET | bpf.RetA}}
	if _, ok := ErrnoToNotify(retA); ok {
		t.Error("a program returning A was rewritten")
	}
}

func TestCloseGuard(t *testing.T) {
	prog := bpf.Program{bpf.LoadAbs(bpf.OffNr), bpf.Jump(bpf.JmpJEQ, 3, 0, 1),
		bpf.Ret(uint32(bpf.ActKillProcess)), bpf.Ret(uint32(bpf.Errno(9)))}
	magic := [2]uint64{0x1122334455667788, 0x99aabbccddeeff00}
	g, err := CloseGuard(prog, archX86_64, 3, false, magic)
	if err != nil {
		t.Fatal(err)
	}
	if len(g) != len(prog)+CloseGuardLen {
		t.Fatalf("guard of %d instructions", len(g)-len(prog))
	}
	ok := bpf.Data{Nr: 3, Arch: archX86_64, Args: [6]uint64{7, magic[0], magic[1]}}
	for _, tc := range []struct {
		name string
		edit func(d *bpf.Data)
		want bpf.Action
	}{
		{"magic", func(d *bpf.Data) {}, bpf.ActAllow},
		{"any-fd", func(d *bpf.Data) { d.Args[0] = 0 }, bpf.ActAllow},
		{"arch=i386", func(d *bpf.Data) { d.Arch = 0x40000003 }, bpf.ActKillProcess},
		{"nr=other", func(d *bpf.Data) { d.Nr = 4 }, bpf.Errno(9)},
		{"arg1-low", func(d *bpf.Data) { d.Args[1] ^= 1 }, bpf.ActKillProcess},
		{"arg1-high", func(d *bpf.Data) { d.Args[1] ^= 1 << 40 }, bpf.ActKillProcess},
		{"arg2-low", func(d *bpf.Data) { d.Args[2] ^= 1 }, bpf.ActKillProcess},
		{"arg2-high", func(d *bpf.Data) { d.Args[2] ^= 1 << 40 }, bpf.ActKillProcess},
	} {
		t.Run("call="+tc.name, func(t *testing.T) {
			d := ok
			tc.edit(&d)
			if got := run(t, g, d); got != tc.want {
				t.Errorf("%v, want %v", got, tc.want)
			}
		})
	}
	long := make(bpf.Program, bpf.MaxInstructions-CloseGuardLen+1)
	if _, err := CloseGuard(long, archX86_64, 3, false, magic); !errors.Is(err, bpf.ErrTooLong) {
		t.Errorf("overlong: %v", err)
	}
}

// audit mode notifies every answer that is not ALLOW or LOG.
func TestNotifyDenials(t *testing.T) {
	prog := bpf.Program{bpf.LoadAbs(bpf.OffNr),
		bpf.Jump(bpf.JmpJEQ, 1, 0, 1), bpf.Ret(uint32(bpf.ActKillProcess)),
		bpf.Jump(bpf.JmpJEQ, 2, 0, 1), bpf.Ret(uint32(bpf.Errno(1))),
		bpf.Jump(bpf.JmpJEQ, 3, 0, 1), bpf.Ret(uint32(bpf.ActLog)),
		bpf.Jump(bpf.JmpJEQ, 4, 0, 1), bpf.Ret(uint32(bpf.ActTrap)),
		bpf.Ret(uint32(bpf.ActAllow))}
	out, err := NotifyDenials(prog)
	if err != nil {
		t.Fatal(err)
	}
	for nr, want := range map[uint32]bpf.Action{1: bpf.ActUserNotif, 2: bpf.ActUserNotif, 3: bpf.ActLog, 4: bpf.ActUserNotif, 5: bpf.ActAllow} {
		if got := run(t, out, bpf.Data{Nr: nr}); got != want {
			t.Errorf("nr %d: %v, want %v", nr, got, want)
		}
	}
	if _, err := NotifyDenials(bpf.Program{bpf.Instruction{Op: bpf.ClassRET | bpf.RetA}}); !errors.Is(err, ErrComputedReturn) {
		t.Errorf("a computed return: %v", err)
	}
}

// Chain gives the stricter answer of the two programs, and keeps a logged
// call logged.
func TestChain(t *testing.T) {
	prog := bpf.Program{bpf.LoadAbs(bpf.OffNr),
		bpf.Jump(bpf.JmpJEQ, 1, 0, 1), bpf.Ret(uint32(bpf.Errno(1))),
		bpf.Jump(bpf.JmpJEQ, 2, 0, 1), bpf.Ret(uint32(bpf.ActLog)),
		bpf.Ret(uint32(bpf.ActAllow))}
	tail := bpf.Program{bpf.LoadAbs(bpf.OffNr),
		bpf.Jump(bpf.JmpJEQ, 2, 2, 0), bpf.Jump(bpf.JmpJEQ, 3, 1, 0),
		bpf.Ret(uint32(bpf.ActAllow)), bpf.Ret(uint32(bpf.Errno(13)))}
	out, err := Chain(prog, tail)
	if err != nil {
		t.Fatal(err)
	}
	if err := bpf.Validate(out); err != nil {
		t.Fatal(err)
	}
	for nr, want := range map[uint32]bpf.Action{1: bpf.Errno(1), 2: bpf.Errno(13), 3: bpf.Errno(13), 4: bpf.ActAllow} {
		if got := run(t, out, bpf.Data{Nr: nr}); got != want {
			t.Errorf("nr %d: %v, want %v", nr, got, want)
		}
	}
	// A call prog logs and the tail allows stays logged.
	logged := bpf.Program{bpf.Ret(uint32(bpf.ActLog))}
	out, _ = Chain(logged, tail)
	if got := run(t, out, bpf.Data{Nr: 4}); got != bpf.ActLog {
		t.Errorf("logged call: %v", got)
	}
	if _, err := Chain(bpf.Program{{Op: bpf.ClassRET | bpf.RetA}}, tail); !errors.Is(err, ErrComputedReturn) {
		t.Errorf("a computed return: %v", err)
	}
}

// CloneForClone3 lets clone (without CLONE_UNTRACED) take clone3's place
// where only clone3 is allowed, on every ABI, and changes nothing else.
func TestCloneForClone3(t *testing.T) {
	x86_64, _ := syscalls.ArchByName("x86_64")
	x86, _ := syscalls.ArchByName("x86")
	nr := func(a *syscalls.Arch, name string) uint32 { n, _ := a.Number(name); return n }
	// Allows clone3 on x86_64 only; clone nowhere; EPERM otherwise.
	prog := bpf.Program{
		bpf.LoadAbs(bpf.OffArch),
		bpf.Jump(bpf.JmpJEQ, x86_64.AuditArch, 0, 3),
		bpf.LoadAbs(bpf.OffNr),
		bpf.Jump(bpf.JmpJEQ, nr(x86_64, "clone3"), 0, 1), bpf.Ret(uint32(bpf.ActAllow)),
		bpf.Ret(uint32(bpf.Errno(1))),
	}
	out, ok := CloneForClone3(prog, x86_64)
	if !ok {
		t.Fatal("not rewritten")
	}
	for _, c := range []struct {
		arch  *syscalls.Arch
		name  string
		flags uint64
		want  bpf.Action
	}{
		{x86_64, "clone", 0x3d0f00, bpf.ActAllow},
		{x86_64, "clone", 0x3d0f00 | CloneUntraced, bpf.Errno(1)},
		{x86_64, "clone3", 0, bpf.ActAllow},
		{x86_64, "getpid", 0, bpf.Errno(1)},
		{x86, "clone", 0x3d0f00, bpf.Errno(1)}, // clone3 is not allowed on x86: nothing changes there
	} {
		d := bpf.Data{Arch: c.arch.AuditArch, Nr: nr(c.arch, c.name), Args: [6]uint64{c.flags}}
		if got := run(t, out, d); got != c.want {
			t.Errorf("%s %s(%#x): %v, want %v", c.arch.Name, c.name, c.flags, got, c.want)
		}
	}
	// A program that allows clone already is left alone.
	both := bpf.Program{bpf.Ret(uint32(bpf.ActAllow))}
	if _, ok := CloneForClone3(both, x86_64); ok {
		t.Error("a program allowing clone was rewritten")
	}
}
