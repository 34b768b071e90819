package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNoUnified is returned when the machine has no unified (v2) cgroup
// hierarchy, which selection needs.
var ErrNoUnified = errors.New("no cgroup v2 (unified) hierarchy is mounted")

// Cgroup is a cgroup of the unified hierarchy.
type Cgroup struct {
	// Path is the cgroup's path in the hierarchy, as /proc/PID/cgroup
	// shows it: "/system.slice/app.service", "/" for the root.
	Path string
	// Dir is its directory.
	Dir string
	// ID is the kernel's cgroup id: the inode number of Dir.
	ID uint64
	// Level is its depth: 0 for the root, 1 for /system.slice.
	Level int
}

var unified = sync.OnceValues(func() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// ... mount-point ... - fstype source options
		fields := strings.Fields(sc.Text())
		for i, fld := range fields {
			if fld == "-" && i+1 < len(fields) && fields[i+1] == "cgroup2" && len(fields) > 4 {
				return unescapeMount(fields[4]), nil
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", ErrNoUnified
})

// UnifiedMount returns where the unified hierarchy is mounted.
func UnifiedMount() (string, error) { return unified() }

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Resolve finds the cgroup that --cgroup names: a directory of the
// unified hierarchy ("/sys/fs/cgroup/unified/system.slice/app.service")
// or a path in it as /proc/PID/cgroup shows it ("/system.slice/app.service").
func Resolve(arg string) (*Cgroup, error) {
	mnt, err := UnifiedMount()
	if err != nil {
		return nil, err
	}
	clean := filepath.Clean("/" + arg)
	rel := clean
	if strings.HasPrefix(arg, "/") && (clean == mnt || strings.HasPrefix(clean, mnt+"/")) {
		rel = strings.TrimPrefix(clean, mnt)
	} else if strings.HasPrefix(clean, "/sys/fs/cgroup/") {
		return nil, fmt.Errorf("cgroup %s: not in the unified (v2) hierarchy at %s; give its path there (selection needs cgroup v2)", arg, mnt)
	}
	if rel == "" {
		rel = "/"
	}
	return stat(mnt, rel, arg)
}

func stat(mnt, rel, arg string) (*Cgroup, error) {
	dir := filepath.Join(mnt, rel)
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return nil, fmt.Errorf("cgroup %s: no such cgroup (%s does not exist)", arg, dir)
		}
		return nil, fmt.Errorf("cgroup %s: %w", arg, err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		return nil, fmt.Errorf("cgroup %s: %s is not a cgroup directory", arg, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "cgroup.procs")); err != nil {
		return nil, fmt.Errorf("cgroup %s: %s is not a cgroup directory", arg, dir)
	}
	level := 0
	if rel != "/" {
		level = strings.Count(rel, "/")
	}
	return &Cgroup{Path: rel, Dir: dir, ID: st.Ino, Level: level}, nil
}

// FindContainer finds the cgroup of a running container by its ID (or a
// prefix of at least 4 hex digits of a 64-hex ID): a cgroup named after
// it or a runtime's scope around it (see ContainerID). Exactly one
// cgroup must match; one nested in another match (a container's own
// sub-cgroups) counts as the outer one.
func FindContainer(id string) (*Cgroup, error) {
	if id == "" || strings.ContainsAny(id, "/\x00") {
		return nil, fmt.Errorf("container %q: not a container ID", id)
	}
	mnt, err := UnifiedMount()
	if err != nil {
		return nil, err
	}
	var found []string
	err = filepath.WalkDir(mnt, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == mnt {
				return err
			}
			return nil // a cgroup removed while we walk
		}
		if !d.IsDir() || p == mnt {
			return nil
		}
		if matchesContainer(d.Name(), id) {
			found = append(found, strings.TrimPrefix(p, mnt))
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", id, err)
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("container %s: no cgroup of that container under %s (is it running?)", id, mnt)
	case 1:
		return stat(mnt, found[0], id)
	}
	sort.Strings(found)
	return nil, fmt.Errorf("container %s: the ID matches %d cgroups (%s): give more of it", id, len(found), strings.Join(found, ", "))
}

// ProcessCgroup returns the unified-hierarchy path of a process's cgroup
// ("0::/path" in /proc/PID/cgroup).
func ProcessCgroup(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return p, nil
		}
	}
	return "", ErrNoUnified
}

// Pids lists the processes in c and in the cgroups below it.
func Pids(c *Cgroup) ([]int, error) {
	var pids []int
	err := filepath.WalkDir(c.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == c.Dir {
				return err
			}
			return nil
		}
		if !d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		if err != nil {
			return nil // removed meanwhile
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				pids = append(pids, n)
			}
		}
		return nil
	})
	return pids, err
}

// Populated reports whether any process is left in c or below it. The
// cgroup itself being gone counts as empty.
func Populated(c *Cgroup) (bool, error) {
	b, err := os.ReadFile(filepath.Join(c.Dir, "cgroup.events"))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "populated "); ok {
				return v == "1", nil
			}
		}
	}
	// The root cgroup has no cgroup.events: count its processes.
	pids, err := Pids(c)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return len(pids) > 0, err
}

// Names maps cgroup ids to paths, walking the unified hierarchy again
// when it meets an id it does not know (at most once a second). It is
// safe for concurrent use.
type Names struct {
	mu    sync.Mutex
	paths map[uint64]string
	last  time.Time
}

// Path returns the path of the cgroup with the given id, or "" if no
// cgroup has it (any more).
func (n *Names) Path(id uint64) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if p, ok := n.paths[id]; ok {
		return p
	}
	if time.Since(n.last) < time.Second && n.paths != nil {
		return ""
	}
	n.last = time.Now()
	n.paths = map[uint64]string{}
	mnt, err := UnifiedMount()
	if err != nil {
		return ""
	}
	filepath.WalkDir(mnt, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			rel := strings.TrimPrefix(p, mnt)
			if rel == "" {
				rel = "/"
			}
			n.paths[st.Ino] = rel
		}
		return nil
	})
	return n.paths[id]
}
