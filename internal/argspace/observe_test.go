package argspace

// Values, Intervals and next list a set's members for the tests; lint
// and explain only ask whether values are in a set.

// Values returns the set's values in increasing order if it has at most
// limit of them, and ok=false otherwise.
func (s Set) Values(limit int) (vals []uint64, ok bool) {
	var walk func(id int32, level int32, prefix uint64) bool
	walk = func(id int32, level int32, prefix uint64) bool {
		if id == 0 {
			return true
		}
		if level == int32(s.sp.width) {
			if len(vals) >= limit {
				return false
			}
			vals = append(vals, prefix)
			return true
		}
		lo, hi := id, id
		if n := s.sp.nodes[id]; id > 1 && n.level == level {
			lo, hi = n.lo, n.hi
		}
		bit := uint64(1) << uint(int32(s.sp.width)-1-level)
		return walk(lo, level+1, prefix) && walk(hi, level+1, prefix|bit)
	}
	if !walk(s.id, 0, 0) {
		return nil, false
	}
	return vals, true
}

// Intervals returns the set as its maximal runs of consecutive values
// [lo, hi], in order, if there are at most limit of them.
func (s Set) Intervals(limit int) (runs [][2]uint64, ok bool) {
	// Walk the runs from the smallest value: the next run starts at the
	// smallest member above the previous run's end, and ends just below
	// the smallest non-member after its start.
	m := s.sp.mask()
	start, found := s.next(0)
	for found {
		if len(runs) >= limit {
			return nil, false
		}
		end := m
		if gap, ok := s.Not().next(start); ok {
			end = gap - 1
		}
		runs = append(runs, [2]uint64{start, end})
		if end == m {
			break
		}
		start, found = s.next(end + 1)
	}
	return runs, true
}

// next returns the smallest member of s that is >= v.
func (s Set) next(v uint64) (uint64, bool) {
	t := s.And(s.sp.AtLeast(v))
	if t.IsEmpty() {
		return 0, false
	}
	return t.Min(), true
}
