package sandbox

import (
	"errors"
	"testing"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/policy"
)

const archX86_64 = 0xc000003e

func run(t *testing.T, p bpf.Program, d bpf.Data) policy.Action {
	t.Helper()
	res, err := bpf.Run(p, &d, false, false)
	if err != nil {
		t.Fatal(err)
	}
	return policy.Action(res.Ret)
}

func TestErrnoToNotify(t *testing.T) {
	prog := bpf.Program{
		bpf.LoadAbs(bpf.OffNr),
		bpf.Jump(bpf.JmpJEQ, 1, 0, 1),
		bpf.Ret(uint32(policy.Errno(1))),
		bpf.Jump(bpf.JmpJEQ, 2, 0, 1),
		bpf.Ret(uint32(policy.ActKillProcess)),
		bpf.Ret(uint32(policy.ActAllow)),
	}
	out, ok := errnoToNotify(prog)
	if !ok {
		t.Fatal("nothing rewritten")
	}
	for _, tc := range []struct {
		nr   uint32
		want policy.Action
	}{{1, policy.ActUserNotif}, {2, policy.ActKillProcess}, {3, policy.ActAllow}} {
		if got := run(t, out, bpf.Data{Nr: tc.nr}); got != tc.want {
			t.Errorf("nr=%d: %v, want %v", tc.nr, got, tc.want)
		}
	}
	if got := run(t, prog, bpf.Data{Nr: 1}); got != policy.Errno(1) {
		t.Errorf("the original was modified: %v", got)
	}
	if _, ok := errnoToNotify(bpf.Program{bpf.Ret(uint32(policy.ActAllow))}); ok {
		t.Error("a program without ERRNO was rewritten")
	}
	retA := bpf.Program{bpf.LoadAbs(bpf.OffNr), bpf.Jump(bpf.JmpJEQ, 1, 0, 1), bpf.Ret(uint32(policy.Errno(1))),
		{Op: bpf.ClassRET | bpf.RetA}}
	if _, ok := errnoToNotify(retA); ok {
		t.Error("a program returning A was rewritten")
	}
}

func TestCloseGuard(t *testing.T) {
	prog := bpf.Program{bpf.LoadAbs(bpf.OffNr), bpf.Jump(bpf.JmpJEQ, 3, 0, 1),
		bpf.Ret(uint32(policy.ActKillProcess)), bpf.Ret(uint32(policy.Errno(9)))}
	magic := [2]uint64{0x1122334455667788, 0x99aabbccddeeff00}
	g, err := withCloseGuard(prog, archX86_64, 3, false, magic)
	if err != nil {
		t.Fatal(err)
	}
	if len(g) != len(prog)+closeGuardLen {
		t.Fatalf("guard of %d instructions", len(g)-len(prog))
	}
	ok := bpf.Data{Nr: 3, Arch: archX86_64, Args: [6]uint64{7, magic[0], magic[1]}}
	for _, tc := range []struct {
		name string
		edit func(d *bpf.Data)
		want policy.Action
	}{
		{"magic", func(d *bpf.Data) {}, policy.ActAllow},
		{"any-fd", func(d *bpf.Data) { d.Args[0] = 0 }, policy.ActAllow},
		{"arch=i386", func(d *bpf.Data) { d.Arch = 0x40000003 }, policy.ActKillProcess},
		{"nr=other", func(d *bpf.Data) { d.Nr = 4 }, policy.Errno(9)},
		{"arg1-low", func(d *bpf.Data) { d.Args[1] ^= 1 }, policy.ActKillProcess},
		{"arg1-high", func(d *bpf.Data) { d.Args[1] ^= 1 << 40 }, policy.ActKillProcess},
		{"arg2-low", func(d *bpf.Data) { d.Args[2] ^= 1 }, policy.ActKillProcess},
		{"arg2-high", func(d *bpf.Data) { d.Args[2] ^= 1 << 40 }, policy.ActKillProcess},
	} {
		t.Run("call="+tc.name, func(t *testing.T) {
			d := ok
			tc.edit(&d)
			if got := run(t, g, d); got != tc.want {
				t.Errorf("%v, want %v", got, tc.want)
			}
		})
	}
	long := make(bpf.Program, bpf.MaxInstructions-closeGuardLen+1)
	if _, err := withCloseGuard(long, archX86_64, 3, false, magic); !errors.Is(err, bpf.ErrTooLong) {
		t.Errorf("overlong: %v", err)
	}
}
