package compile

import (
	"cmp"
	"slices"

	"github.com/sysfence/sysfence/policy"
)

// iv is a closed interval of argument values.
type iv struct{ lo, hi uint64 }

// ivset is a set of argument values as sorted, disjoint, non-adjacent
// closed intervals. The empty slice is the empty set.
type ivset []iv

// full reports whether s is the whole domain [0, max].
func (s ivset) full(max uint64) bool { return len(s) == 1 && s[0].lo == 0 && s[0].hi == max }

// condSet appends to dst (which has room for two intervals) the values an
// interval-shaped condition accepts, in the domain [0, max] (max is 2^32-1
// on 32-bit ABIs, where Value is truncated as policy.Cond.Match truncates
// it). MASKED_EQ and unknown operators give the empty set.
func condSet(c policy.Cond, max uint64, dst ivset) ivset {
	v := c.Value & max
	switch c.Op {
	case policy.OpEq:
		return append(dst, iv{v, v})
	case policy.OpNe:
		switch {
		case v == 0:
			return append(dst, iv{1, max})
		case v == max:
			return append(dst, iv{0, max - 1})
		}
		return append(dst, iv{0, v - 1}, iv{v + 1, max})
	case policy.OpLt:
		if v == 0 {
			return dst
		}
		return append(dst, iv{0, v - 1})
	case policy.OpLe:
		return append(dst, iv{0, v})
	case policy.OpGt:
		if v == max {
			return dst
		}
		return append(dst, iv{v + 1, max})
	case policy.OpGe:
		return append(dst, iv{v, max})
	}
	return dst
}

// intersect appends a ∩ b to out.
func intersect(a, b, out ivset) ivset {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo, hi := max(a[i].lo, b[j].lo), min(a[i].hi, b[j].hi)
		if lo <= hi {
			out = append(out, iv{lo, hi})
		}
		if a[i].hi < b[j].hi {
			i++
		} else {
			j++
		}
	}
	return out
}

// normalize sorts and merges overlapping or adjacent intervals, in place.
func normalize(s ivset) ivset {
	slices.SortFunc(s, func(x, y iv) int { return cmp.Compare(x.lo, y.lo) })
	out := s[:0]
	for _, x := range s {
		if n := len(out); n > 0 && (out[n-1].hi == ^uint64(0) || x.lo <= out[n-1].hi+1) {
			out[n-1].hi = max(out[n-1].hi, x.hi)
			continue
		}
		out = append(out, x)
	}
	return out
}

func (s ivset) equal(t ivset) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}
