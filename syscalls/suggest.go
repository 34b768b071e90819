package syscalls

// Suggest returns the known syscall name closest to name (edit distance at
// most a third of its length, minimum 1), or "" if none is close.
func Suggest(name string) string {
	return Closest(name, names[:])
}

// Closest returns the candidate with the smallest edit distance to s, if
// that distance is small enough to be a plausible typo. Comparison ignores
// ASCII case.
func Closest(s string, candidates []string) string {
	best, bestD := "", -1
	limit := len(s) / 3
	if limit < 2 {
		limit = 2
	}
	ls := lower(s)
	for _, c := range candidates {
		d := distance(ls, lower(c))
		if d <= limit && (bestD < 0 || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
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

// distance is the optimal-string-alignment edit distance (Levenshtein plus
// adjacent transpositions, the commonest typo).
func distance(a, b string) int {
	if a == b {
		return 0
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
