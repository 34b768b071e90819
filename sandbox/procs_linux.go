package sandbox

import (
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/internal/procfs"
)

// procCache keeps what reports and the supervisor ask /proc about the
// command's threads, because generating /proc/TID/status costs the
// kernel more than the rest of a notified call.
//
//   - The thread group of a thread: a cached answer is checked with one
//     stat of /proc/TGID/task/TID, which exists exactly when TID is a
//     thread of TGID (a thread id reused by another process fails it).
//   - The name of a process (argv[0]): valid until the process execs,
//     which the observer sees (PTRACE_EVENT_EXEC) while the process is
//     stopped, before the new program runs, and forgets it then. Names
//     are only cached while the observer runs (audit mode, supervised
//     paths, reporting mode).
type procCache struct {
	mu    sync.Mutex
	tgids map[int]int
	names map[int]string
}

// tgid returns the thread group (process) id of thread tid.
func (c *procCache) tgid(tid int) int {
	c.mu.Lock()
	g, ok := c.tgids[tid]
	c.mu.Unlock()
	if ok {
		var st unix.Stat_t
		if unix.Stat("/proc/"+strconv.Itoa(g)+"/task/"+strconv.Itoa(tid), &st) == nil {
			return g
		}
	}
	g, ok = procfs.StatusInt(tid, "Tgid")
	if !ok || g == 0 {
		return tid
	}
	c.mu.Lock()
	if c.tgids == nil {
		c.tgids = map[int]int{}
	}
	c.tgids[tid] = g
	c.mu.Unlock()
	return g
}

// name returns argv[0] of process tgid ("process N" if it cannot be read).
func (c *procCache) name(tgid int) string {
	c.mu.Lock()
	n, ok := c.names[tgid]
	c.mu.Unlock()
	if ok {
		return n
	}
	n = "process " + strconv.Itoa(tgid)
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tgid) + "/cmdline")
	if err != nil {
		return n // gone: nothing to cache
	}
	if i := strings.IndexByte(string(b), 0); i > 0 {
		n = string(b[:i])
	}
	c.mu.Lock()
	if c.names == nil {
		c.names = map[int]string{}
	}
	c.names[tgid] = n
	c.mu.Unlock()
	return n
}

// execed forgets the name of a process that has just executed a program.
func (c *procCache) execed(tgid int) {
	c.mu.Lock()
	delete(c.names, tgid)
	c.mu.Unlock()
}
