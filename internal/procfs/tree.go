package procfs

import (
	"os"
	"strconv"
	"strings"
)

// Descendants lists pid and every process below it (children, their
// children, ...), parents before children, from the parent ids in
// /proc/PID/stat. Processes that exit while /proc is read are left out;
// the list is a snapshot, and callers that must not miss a new child
// follow forks themselves.
func Descendants(pid int) []int {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parent(p); ok {
			children[ppid] = append(children[ppid], p)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// parent reads the parent id of process p from /proc/p/stat.
func parent(p int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/stat")
	if err != nil {
		return 0, false
	}
	return parseStatPPid(string(b))
}

// parseStatPPid takes the fourth field of a stat line, "pid (comm) state
// ppid ...": comm may hold spaces and parentheses, so fields are counted
// after its last ')'.
func parseStatPPid(s string) (int, bool) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}
