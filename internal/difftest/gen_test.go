package difftest

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sysfence/sysfence/policy"
)

// The generator only makes profiles runc accepts, so FromOCI must accept
// them all, and the inputs must reach every ABI of the filter.
func TestRandomProfilesAreValid(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	for k := range 300 {
		r := rand.New(rand.NewPCG(seed, uint64(k)))
		prof := RandomProfile(r, RandomShape(r))
		p, _, err := policy.FromOCI(prof.OCI, prof.Native, policy.Options{ENOSYS: true})
		if err != nil {
			t.Fatalf("profile %d: %v\n%s", k, err, JSON(prof.OCI))
		}
		ins := Inputs(r, p, 100)
		seen := map[uint32]bool{}
		for _, in := range ins {
			seen[in.Arch] = true
			args := in.Args
			_ = p.Decide(in.Arch, in.Nr, &args)
		}
		for _, ap := range p.Arches {
			if !seen[ap.Arch.AuditArch] {
				t.Errorf("profile %d: no input for %s", k, ap.Arch.Name)
			}
		}
	}
}
