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

// SameKindProfile's profiles are valid, and their inputs exercise rule 5
// (tighter comparisons beating profile order) and, less often, what it does
// not rank.
func TestSameKindProfiles(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	var inputs, sameKind, ranked, order, conflict int
	for k := range 300 {
		r := rand.New(rand.NewPCG(seed, uint64(k)))
		prof := SameKindProfile(r)
		p, _, err := policy.FromOCI(prof.OCI, prof.Native, policy.Options{ENOSYS: true})
		if err != nil {
			t.Fatalf("profile %d: %v\n%s", k, err, JSON(prof.OCI))
		}
		// Outside rule 5's profile-order fallback, Decide's answer does
		// not depend on the order of the rules.
		var reordered []*policy.Policy
		for _, oci := range TighterFirst(prof.OCI, func(string) bool { return true }) {
			q, _, err := policy.FromOCI(oci, prof.Native, policy.Options{ENOSYS: true})
			if err != nil {
				t.Fatalf("profile %d reordered: %v", k, err)
			}
			reordered = append(reordered, q)
		}
		for _, in := range Inputs(r, p, 120) {
			inputs++
			for o, q := range reordered {
				a, b := in.Args, in.Args
				if x, y := p.Decide(in.Arch, in.Nr, &a), q.Decide(in.Arch, in.Nr, &b); x.Action != y.Action && !ProfileOrder(p, &in) {
					t.Errorf("profile %d, %s: Decide says %v, and %v with the rules in order %d\n%s", k, in.String(), x.Action, y.Action, o, JSON(prof.OCI))
				}
			}
			switch {
			case Conflict(p, &in):
				conflict++
			case ProfileOrder(p, &in):
				order++
			case SameKind(p, &in):
				sameKind++
				if rankedAgainstOrder(p, &in) {
					ranked++
				}
			}
		}
	}
	t.Logf("%d inputs: %d decided by rule 5 (%d of them against profile order), %d by profile order, %d by rule 4", inputs, sameKind, ranked, order, conflict)
	if ranked < inputs/50 || order == 0 || conflict == 0 {
		t.Errorf("the generator no longer exercises rule 5 enough")
	}
}

// rankedAgainstOrder reports whether the deciding rule is not the first
// matching rule of its kind.
func rankedAgainstOrder(p *policy.Policy, in *Input) bool {
	d, matching, _ := decided(p, in)
	for _, r := range matching {
		if r.Action.Kind() == d.Action.Kind() {
			return r.Action != d.Action
		}
	}
	return false
}
