package compile

import (
	"math/rand/v2"
	"testing"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/difftest"
	"github.com/sysfence/sysfence/internal/testenv"
	"github.com/sysfence/sysfence/policy"
)

// TestRandomProfiles holds the compiler to Decide on random OCI profiles
// (difftest's generator: every target ABI set, action, operator and edge
// value, same-index ORs, socket/IPC names routed through socketcall and
// ipc, profiles large enough for long jumps) resolved by policy.FromOCI,
// on difftest's boundary inputs, with and without runc's ENOSYS rule.
// Unlike the libseccomp comparison nothing is left out: inputs on which
// rules with different actions match are decided too. Every program is
// also run on golang.org/x/net/bpf's VM, an independent interpreter.
func TestRandomProfiles(t *testing.T) {
	seed := testenv.Seed(t)
	r := rand.New(rand.NewPCG(seed, 0x9f0f11e5))
	profiles, decisions, xnet := 0, 0, 0
	for i := 0; i < 1000; i++ {
		prof := difftest.RandomProfile(r, difftest.RandomShape(r))
		enosys := r.IntN(4) > 0
		p, _, err := policy.FromOCI(prof.OCI, prof.Native, policy.Options{ENOSYS: enosys})
		if err != nil {
			continue // a profile runc would refuse
		}
		prog, err := Compile(p, Options{})
		if err != nil {
			t.Fatalf("profile %d (seed %d): %v\n%s", i, seed, err, difftest.JSON(prof.OCI))
		}
		if err := bpf.Validate(prog.Filter); err != nil {
			t.Fatalf("profile %d (seed %d): the kernel would refuse the program: %v", i, seed, err)
		}
		profiles++
		answer := difftest.ProgramAnswer(prog.Filter)
		var other difftest.Answer
		if i%10 == 0 {
			if other, err = difftest.XNetAnswer(prog.Filter); err != nil {
				t.Fatal(err)
			}
		}
		for _, in := range difftest.Inputs(r, p, 200) {
			args := in.Args
			want := uint32(p.Decide(in.Arch, in.Nr, &args).Action)
			got, err := answer(&in)
			decisions++
			if err != nil || got != want {
				t.Fatalf("profile %d (seed %d, %s, enosys %v): %s: filter %v (%#x, err %v), Decide %v\n%s",
					i, seed, prof.Native.Name, enosys, in, policy.Action(got), got, err, policy.Action(want), difftest.JSON(prof.OCI))
			}
			if other != nil {
				xnet++
				if got2, err := other(&in); err != nil || got2 != got {
					t.Fatalf("profile %d: %s: emulator %#x, x/net/bpf %#x (%v)", i, in, got, got2, err)
				}
			}
		}
	}
	t.Logf("%d profiles, %d decisions agree with Decide (%d also on x/net/bpf)", profiles, decisions, xnet)
	if profiles < 500 || decisions < 100000 {
		t.Fatalf("too little coverage: %d profiles, %d decisions", profiles, decisions)
	}
}
