package lint

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// ackRE is the definition acks implements by hand.
var ackRE = regexp.MustCompile(`sysfence:ack\s+([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)`)

func acksByRE(comment string) []string {
	var out []string
	for _, m := range ackRE.FindAllStringSubmatch(comment, -1) {
		for _, id := range strings.Split(m[1], ",") {
			out = append(out, strings.TrimSpace(id))
		}
	}
	return out
}

var ackCases = []string{
	"",
	"sysfence:ack dangerous-call",
	"gdb runs here; sysfence:ack dangerous-call",
	"sysfence:ack dangerous-call, sibling-escape",
	"sysfence:ack dangerous-call ,\tsibling-escape\n, abi-escape and more",
	"sysfence:ack dangerous-call, ",
	"sysfence:ack dangerous-call, Sibling",
	"sysfence:ack dangerous-call,,x",
	"sysfence:ackdangerous-call",
	"sysfence:ack",
	"sysfence:ack ",
	"sysfence:ack \v x",
	"sysfence:ack Dangerous",
	"sysfence:ack a, sysfence:ack b",
	"sysfence:ack a,sysfence:ack b",
	"sysfence:ack a; sysfence:ack b, c",
	"sysfence:acksysfence:ack x",
	"sysfence:ack\u00a0x",
	"SYSFENCE:ACK x",
	"sysfence:ack x-1,2-y",
}

func TestAcksIsTheRegexp(t *testing.T) {
	for _, c := range ackCases {
		if got, want := acks(c), acksByRE(c); !slices.Equal(got, want) {
			t.Errorf("acks(%q) = %q, the regexp finds %q", c, got, want)
		}
	}
}

func FuzzAcks(f *testing.F) {
	for _, c := range ackCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c string) {
		if got, want := acks(c), acksByRE(c); !slices.Equal(got, want) {
			t.Errorf("acks(%q) = %q, the regexp finds %q", c, got, want)
		}
	})
}

// The tables lint walks in order are sorted by name: findings of one
// rule at one position come out in that order.
func TestTablesSorted(t *testing.T) {
	for name, tab := range map[string][]struct{ name, why string }{"dangerous": dangerous, "fallbacks": fallbacks} {
		if !slices.IsSortedFunc(tab, func(a, b struct{ name, why string }) int { return strings.Compare(a.name, b.name) }) {
			t.Errorf("%s is not sorted by name", name)
		}
		for i := 1; i < len(tab); i++ {
			if tab[i].name == tab[i-1].name {
				t.Errorf("%s lists %s twice", name, tab[i].name)
			}
		}
	}
}

// One Rules entry per rule ID.
func TestOneRulePerID(t *testing.T) {
	if len(Rules) != numberedRuleIDs {
		t.Errorf("%d rules, %d IDs", len(Rules), numberedRuleIDs)
	}
	seen := map[string]bool{}
	for _, r := range Rules {
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
	}
}
