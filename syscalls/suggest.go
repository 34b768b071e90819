package syscalls

import "strings"

// Suggest returns the known syscall name closest to name (see Closest), or
// "" if none is close.
func Suggest(name string) string {
	return Closest(name, names[:])
}

// Closest returns the candidate s most plausibly meant, or "" if none is.
// Comparison ignores ASCII case.
//
//   - A candidate equal to s but for case wins.
//   - When every candidate starts with the same "WORD_" prefix (SCMP_ACT_,
//     SCMP_CMP_, CAP_) and s does not, s is also read with that prefix:
//     "ERRNO" finds SCMP_ACT_ERRNO, "EQ" SCMP_CMP_EQ, "EROR" SCMP_ACT_ERRNO.
//   - Otherwise the candidate at the smallest edit distance wins, if that
//     distance is at most a third of what was typed beyond the shared
//     prefix (at least 2). On a
//     tie, the candidate sharing the longest prefix with s wins (the end
//     of a word is where typos are); if that ties too there is no
//     suggestion rather than one picked by list order.
func Closest(s string, candidates []string) string {
	ls := lower(s)
	for _, c := range candidates {
		if lower(c) == ls {
			return c
		}
	}
	forms := []string{ls}
	core := len(ls) // what was typed beyond the shared prefix
	if p := commonPrefix(candidates); p != "" {
		if strings.HasPrefix(ls, p) {
			core -= len(p)
		} else {
			full := p + ls
			for _, c := range candidates {
				if lower(c) == full {
					return c
				}
			}
			forms = append(forms, full)
		}
	}
	limit := max(core/3, 2)
	best, bestD, bestP, tied := "", limit, -1, false
	for _, c := range candidates {
		lc := lower(c)
		for _, f := range forms {
			d := distance(f, lc)
			if d > limit || d > bestD {
				continue
			}
			p := prefixLen(f, lc)
			switch {
			case d < bestD || p > bestP:
				best, bestD, bestP, tied = c, d, p, false
			case p == bestP && c != best:
				tied = true
			}
		}
	}
	if tied {
		return ""
	}
	return best
}

// commonPrefix returns the lower-case prefix, up to and including an
// underscore, that all candidates share ("scmp_act_"), or "".
func commonPrefix(candidates []string) string {
	if len(candidates) < 2 {
		return ""
	}
	p := lower(candidates[0])
	for _, c := range candidates[1:] {
		p = p[:prefixLen(p, lower(c))]
	}
	if i := strings.LastIndexByte(p, '_'); i > 0 {
		return p[:i+1]
	}
	return ""
}

func prefixLen(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// distance is the Damerau-Levenshtein edit distance: insertions,
// deletions, substitutions and transpositions of adjacent characters (the
// commonest typo), edits between transposed characters allowed ("EROR" is
// two edits from "ERRNO": swap "OR", insert "N"). Lowrance and Wagner's
// algorithm.
func distance(a, b string) int {
	if a == b {
		return 0
	}
	inf := len(a) + len(b)
	w := len(b) + 2
	d := make([]int, (len(a)+2)*w) // d[(i+1)*w+(j+1)]: distance of a[:i], b[:j]
	d[0] = inf
	for i := 0; i <= len(a); i++ {
		d[(i+1)*w] = inf
		d[(i+1)*w+1] = i
	}
	for j := 0; j <= len(b); j++ {
		d[j+1] = inf
		d[w+j+1] = j
	}
	var last [256]int // last row where each byte occurred in a
	for i := 1; i <= len(a); i++ {
		lastCol := 0 // last column in this row where b matched a[i-1]
		for j := 1; j <= len(b); j++ {
			i1, j1 := last[b[j-1]], lastCol
			cost := 1
			if a[i-1] == b[j-1] {
				cost, lastCol = 0, j
			}
			d[(i+1)*w+j+1] = min(
				d[i*w+j]+cost,  // substitute (or keep)
				d[(i+1)*w+j]+1, // insert
				d[i*w+j+1]+1,   // delete
				d[i1*w+j1]+(i-i1-1)+1+(j-j1-1), // transpose, with edits between
			)
		}
		last[a[i-1]] = i
	}
	return d[(len(a)+1)*w+len(b)+1]
}
