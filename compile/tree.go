package compile

import (
	"math/bits"
	"slices"

	"github.com/sysfence/sysfence/bpf"
)

// seg is a range of 32-bit words [lo, hi] that all lead to out.
type seg struct {
	lo, hi uint32
	out    label
}

// segBuilder collects segments in ascending order. Gaps and dc segments
// cannot occur where the search runs, so they are merged into a neighbour;
// adjacent segments with the same outcome are merged, so that the result
// is the smallest list of ranges that a search must tell apart.
type segBuilder struct{ segs []seg }

func (b *segBuilder) add(lo, hi uint64, out label) {
	if lo > hi || out == dc {
		return
	}
	if n := len(b.segs); n > 0 {
		last := &b.segs[n-1]
		if last.out == out {
			last.hi = uint32(hi)
			return
		}
		last.hi = uint32(lo - 1) // a gap before lo belongs to the last range
	} else {
		lo = 0
	}
	b.segs = append(b.segs, seg{uint32(lo), uint32(hi), out})
}

// done closes the list at 2^32-1. fallback is used when nothing was added.
func (b *segBuilder) done(fallback label) []seg {
	if len(b.segs) == 0 {
		return append(b.segs, seg{0, ^uint32(0), fallback})
	}
	b.segs[len(b.segs)-1].hi = ^uint32(0)
	return b.segs
}

// ceilLog2 returns the depth of a balanced tree with n leaves.
func ceilLog2(n int) int {
	if n <= 1 {
		return 0
	}
	return bits.Len(uint(n - 1))
}

// tree emits a search of the word in A (already loaded) over segs, which
// cover [0, 2^32-1] in order with adjacent outcomes different, jumping to
// the outcome of the segment that holds A (segs is modified). R segments cost R-1 comparisons
// as a balanced tree of jge; a single value between two ranges with the
// same outcome costs one jeq instead of two comparisons, which is used
// where it does not make the tree deeper.
func (e *emitter) tree(segs []seg) {
	for {
		n := len(segs)
		switch n {
		case 1:
			e.ja(segs[0].out)
			return
		case 2:
			switch {
			case segs[0].lo == segs[0].hi:
				e.jump(bpf.JmpJEQ, segs[0].lo, segs[0].out, segs[1].out)
			case segs[1].lo == segs[1].hi:
				e.jump(bpf.JmpJEQ, segs[1].lo, segs[1].out, segs[0].out)
			default:
				e.jump(bpf.JmpJGE, segs[1].lo, segs[1].out, segs[0].out)
			}
			return
		}
		if i := removable(segs); i > 0 {
			// jeq v, out, <the rest, v's neighbours merged in place>
			v, out := segs[i].lo, segs[i].out
			segs[i-1].hi = segs[i+1].hi
			segs = append(segs[:i], segs[i+2:]...)
			next := e.subtree(segs)
			e.jump(bpf.JmpJEQ, v, out, next)
			if len(segs) == 1 {
				return
			}
			e.bind(next)
			continue
		}
		mid := n / 2
		left, right := e.subtree(segs[:mid]), e.subtree(segs[mid:])
		e.jump(bpf.JmpJGE, segs[mid].lo, right, left)
		if mid > 1 {
			e.bind(left)
			e.tree(segs[:mid])
		}
		e.bind(right)
		segs = segs[mid:]
	}
}

// subtree returns where a search over segs starts: the outcome itself for
// a single segment, else a new label.
func (e *emitter) subtree(segs []seg) label {
	if len(segs) == 1 {
		return segs[0].out
	}
	return e.newLabel()
}

// removable returns the index of a single-value segment whose neighbours
// share an outcome, when testing it first with a jeq keeps the tree as
// shallow as a balanced split would be (then it also saves one
// instruction); 0 if there is none.
func removable(segs []seg) int {
	n := len(segs)
	first, m := 0, 0
	for i := 1; i < n-1; i++ {
		if segs[i].lo == segs[i].hi && segs[i-1].out == segs[i+1].out {
			if m == 0 {
				first = i
			}
			m++
			i++ // neighbours merge: the next one cannot also be removed as counted
		}
	}
	if m == 0 {
		return 0
	}
	// Removing k values first (a jeq chain) and then splitting the rest:
	// depth k + ceilLog2(n-2k). Worth it if some k >= 1 is no deeper than
	// the balanced split.
	bal := ceilLog2(n)
	for k := 1; k <= m && k <= bal; k++ {
		if k+ceilLog2(n-2*k) <= bal {
			return first
		}
	}
	return 0
}

// maxDP bounds the segment count for which valueTree searches the best
// tree (dynamic programming over all ranges of segments, O(n^2) with
// Knuth's bounds); larger sets get a weight-balanced tree.
const maxDP = 32

// valueTree emits a search over an argument word like tree, but shaped
// for the values programs pass: segments leading anywhere but cold (the
// "no match" outcome) are assumed likely, the more so the fewer
// significant bits their values have, counting from 0 up or from
// all-ones down (flags, enums and small numbers; -1 as "query" or "any").
// It minimises the weighted path length, then the size, over split trees
// with jeq chains at the leaves.
func (e *emitter) valueTree(segs []seg, cold label) {
	n := len(segs)
	if n <= 2 {
		e.tree(segs)
		return
	}
	w := make([]int64, n)
	for i, s := range segs {
		w[i] = 1
		if s.out != cold {
			// Likelier the fewer significant bits the value has, counted
			// from 0 upwards or from all-ones downwards.
			w[i] = 2 + 1<<32>>min(bits.Len32(s.lo), bits.Len32(^s.hi))
		}
	}
	if n > maxDP {
		e.balancedTree(segs, w)
		return
	}
	// The same sets recur (one syscall's values on x86_64, x32 and x86):
	// solve each shape once.
	key := make([]segKey, n)
	classes := make([]label, 0, 4)
	for i, s := range segs {
		key[i] = segKey{lo: s.lo, hi: s.hi}
		if s.out != cold {
			k := slices.Index(classes, s.out)
			if k < 0 {
				k = len(classes)
				classes = append(classes, s.out)
			}
			key[i].class = int32(k + 1)
		}
	}
	for _, m := range e.memo {
		if slices.Equal(m.key, key) {
			e.emitDP(m.choice, m.w, segs, 0, n-1)
			return
		}
	}
	e.dp.solve(segs, w)
	choice := slices.Clone(e.dp.choice[:n*n])
	e.memo = append(e.memo, dpMemo{key: key, choice: choice, w: w})
	e.emitDP(choice, w, segs, 0, n-1)
}

// segKey is a segment as valueTree's solution depends on it: its values
// and which outcome it has (0: the cold one).
type segKey struct {
	lo, hi uint32
	class  int32
}

// dpMemo is a solved tree shape.
type dpMemo struct {
	key    []segKey
	choice []int32
	w      []int64
}

// dpTable holds, for every range of segments [i, j], the cheapest tree:
// cost = sum of weight x depth, then instruction count.
type dpTable struct {
	n      int
	w      []int64
	cost   []int64 // [i*n+j]
	size   []int32
	choice []int32 // split after segment k (k >= 0), or -1: jeq chain
	root   []int32 // best split, for Knuth's bounds
	ends   []int32 // chainEnd
	prefix []int64
}

func (d *dpTable) at(i, j int) int { return i*d.n + j }

// chainEnd returns, for each i, the largest j such that segs[i..j]
// alternates X, v1, X, v2, ..., X with single values vk (a chain of jeq
// tests them all); i when there is none.
func chainEnd(segs []seg, ends []int32) []int32 {
	n := len(segs)
	ends = ends[:0]
	for i := 0; i < n; i++ {
		j := i
		for j+2 < n && segs[j+1].lo == segs[j+1].hi && segs[j+2].out == segs[i].out {
			j += 2
		}
		ends = append(ends, int32(j))
	}
	return ends
}

// chainOrder returns the single values of a chain, heaviest first.
func chainOrder(segs []seg, w []int64, i, j int) []int {
	var ks []int
	for k := i + 1; k < j; k += 2 {
		ks = append(ks, k)
	}
	for a := 1; a < len(ks); a++ { // insertion sort: stable, short lists
		for b := a; b > 0 && w[ks[b]] > w[ks[b-1]]; b-- {
			ks[b], ks[b-1] = ks[b-1], ks[b]
		}
	}
	return ks
}

func (d *dpTable) solve(segs []seg, w []int64) {
	n := len(segs)
	d.n, d.w = n, w
	if cap(d.cost) < n*n {
		d.cost = make([]int64, n*n)
		d.size = make([]int32, n*n)
		d.choice = make([]int32, n*n)
		d.root = make([]int32, n*n)
		d.prefix = make([]int64, n+1)
	}
	prefix := d.prefix[:n+1]
	d.ends = chainEnd(segs, d.ends)
	for i := 0; i < n; i++ {
		d.cost[d.at(i, i)], d.size[d.at(i, i)] = 0, 0
	}
	for i := range w {
		prefix[i+1] = prefix[i] + w[i]
	}
	for length := 2; length <= n; length++ {
		for i := 0; i+length-1 < n; i++ {
			j := i + length - 1
			total := prefix[j+1] - prefix[i]
			best, bestSize, bestChoice := int64(-1), int32(0), int32(0)
			// Knuth's bounds: the best root of [i, j] lies between those
			// of [i, j-1] and [i+1, j].
			kLo, kHi := i, j-1
			if length > 2 {
				kLo, kHi = int(d.root[d.at(i, j-1)]), int(d.root[d.at(i+1, j)])
			}
			for k := kLo; k <= kHi; k++ {
				c := total + d.cost[d.at(i, k)] + d.cost[d.at(k+1, j)]
				s := 1 + d.size[d.at(i, k)] + d.size[d.at(k+1, j)]
				if best < 0 || c < best || (c == best && s < bestSize) {
					best, bestSize, bestChoice = c, s, int32(k)
				}
			}
			d.root[d.at(i, j)] = bestChoice
			if (j-i)%2 == 0 && j <= int(d.ends[i]) {
				var c int64
				ks := chainOrder(segs, w, i, j)
				for r, k := range ks {
					c += int64(r+1) * w[k]
				}
				for k := i; k <= j; k += 2 {
					c += int64(len(ks)) * w[k]
				}
				if s := int32(len(ks)); c < best || (c == best && s < bestSize) {
					best, bestSize, bestChoice = c, s, -1
				}
			}
			d.cost[d.at(i, j)], d.size[d.at(i, j)], d.choice[d.at(i, j)] = best, bestSize, bestChoice
		}
	}
}

func (e *emitter) emitDP(choice []int32, w []int64, segs []seg, i, j int) {
	n := len(segs)
	if i == j {
		e.ja(segs[i].out)
		return
	}
	k := int(choice[i*n+j])
	if k < 0 {
		ks := chainOrder(segs, w, i, j)
		for r, v := range ks {
			next := segs[i].out
			if r < len(ks)-1 {
				next = e.newLabel()
			}
			e.jump(bpf.JmpJEQ, segs[v].lo, segs[v].out, next)
			if r < len(ks)-1 {
				e.bind(next)
			}
		}
		return
	}
	left, right := e.subtree(segs[i:k+1]), e.subtree(segs[k+1:j+1])
	if k == i && segs[i].lo == segs[i].hi {
		e.jump(bpf.JmpJEQ, segs[i].lo, left, right)
	} else if k+1 == j && segs[j].lo == segs[j].hi {
		e.jump(bpf.JmpJEQ, segs[j].lo, right, left)
	} else {
		e.jump(bpf.JmpJGE, segs[k+1].lo, right, left)
	}
	if k > i {
		e.bind(left)
		e.emitDP(choice, w, segs, i, k)
	}
	if j > k+1 {
		e.bind(right)
		e.emitDP(choice, w, segs, k+1, j)
	}
}

// balancedTree splits where the weights on both sides are closest.
func (e *emitter) balancedTree(segs []seg, w []int64) {
	n := len(segs)
	if n <= 2 {
		e.tree(segs)
		return
	}
	var total int64
	for _, x := range w {
		total += x
	}
	k, acc, bestDiff := 1, int64(0), int64(-1)
	for i := 0; i < n-1; i++ {
		acc += w[i]
		diff := acc - (total - acc)
		if diff < 0 {
			diff = -diff
		}
		if bestDiff < 0 || diff < bestDiff {
			k, bestDiff = i+1, diff
		}
	}
	left, right := e.subtree(segs[:k]), e.subtree(segs[k:])
	e.jump(bpf.JmpJGE, segs[k].lo, right, left)
	if k > 1 {
		e.bind(left)
		e.balancedTree(segs[:k], w[:k])
	}
	if n-k > 1 {
		e.bind(right)
		e.balancedTree(segs[k:], w[k:])
	}
}
