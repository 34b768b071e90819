package filterdump

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/seccomp"
)

// Process is what a process runs under.
type Process struct {
	PID     int
	Name    string // comm of the main thread
	Command string // the command line, arguments joined by spaces
	Cgroup  string // the cgroup v2 path, or the systemd v1 one
	Threads []seccomp.ThreadFilters
	// Stacks groups the threads by identical filter stack, the main
	// thread's first; more than one is a finding (see Findings).
	Stacks []*Stack
}

// Stack is a filter stack and the threads under it.
type Stack struct {
	TIDs    []int
	Mode    seccomp.Mode     // the threads' Seccomp: mode
	Filters []seccomp.Filter // in installation order
	// ID identifies the stack's content across processes: the same
	// programs and flags in the same order give the same ID.
	ID string
}

// Read reads the filters of process pid (of the threads tids only when
// given), as seccomp.ReadFilters does, and groups them.
func Read(pid int, tids ...int) (*Process, error) {
	threads, err := seccomp.ReadFilters(pid, tids...)
	if err != nil {
		return nil, err
	}
	p := New(pid, threads)
	p.Command, p.Cgroup = command(pid), cgroup(pid)
	return p, nil
}

// New groups the threads of process pid by filter stack (Read does it
// for a running process).
func New(pid int, threads []seccomp.ThreadFilters) *Process {
	p := &Process{PID: pid, Threads: threads}
	if len(threads) > 0 {
		p.Name = threads[0].Name
	}
	for _, th := range threads {
		if th.TID == pid {
			p.Name = th.Name
		}
	}
	p.group()
	return p
}

func (p *Process) group() {
	byID := map[string]*Stack{}
	for _, th := range p.Threads {
		id := stackID(th.Mode, th.Filters)
		s, ok := byID[id]
		if !ok {
			s = &Stack{Mode: th.Mode, Filters: th.Filters, ID: id}
			byID[id] = s
			p.Stacks = append(p.Stacks, s)
		}
		s.TIDs = append(s.TIDs, th.TID)
	}
	// The main thread's stack first (it is the one a diff of the
	// process compares), then by size.
	slices.SortStableFunc(p.Stacks, func(a, b *Stack) int {
		am, bm := slices.Contains(a.TIDs, p.PID), slices.Contains(b.TIDs, p.PID)
		switch {
		case am && !bm:
			return -1
		case bm && !am:
			return 1
		}
		return len(b.TIDs) - len(a.TIDs)
	})
}

// stackID hashes a stack's content.
func stackID(mode seccomp.Mode, fs []seccomp.Filter) string {
	h := sha256.New()
	fmt.Fprintf(h, "mode %d\n", mode)
	for _, f := range fs {
		binary.Write(h, binary.LittleEndian, uint32(f.Flags))
		binary.Write(h, binary.LittleEndian, uint32(len(f.Program)))
		h.Write(f.Program.Encode(binary.LittleEndian))
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// Main is the stack of the main thread (or of the first thread read).
func (p *Process) Main() *Stack { return p.Stacks[0] }

// Findings says what is odd about the process: threads under different
// filter stacks (a filter installed on one thread without TSYNC, or a
// thread that escaped one).
func (p *Process) Findings() []string {
	if len(p.Stacks) < 2 {
		return nil
	}
	var parts []string
	for _, s := range p.Stacks {
		parts = append(parts, fmt.Sprintf("%s %s", ThreadList(s.TIDs), s.Summary()))
	}
	return []string{fmt.Sprintf("process %d (%s): threads are under different filter stacks (a filter loaded without TSYNC?): %s",
		p.PID, p.Name, strings.Join(parts, "; "))}
}

// Summary says what a stack holds: "2 filters (87 and 12 instructions)",
// "no filter (Seccomp: 0)".
func (s *Stack) Summary() string {
	switch {
	case s.Mode == seccomp.ModeStrict:
		return "strict mode (Seccomp: 1)"
	case len(s.Filters) == 0:
		return fmt.Sprintf("no filter (Seccomp: %d)", int(s.Mode))
	}
	var lens []string
	for _, f := range s.Filters {
		l := strconv.Itoa(len(f.Program))
		if f.Flags != 0 {
			l += " " + f.Flags.String()
		}
		lens = append(lens, l)
	}
	if len(s.Filters) == 1 {
		if len(s.Filters[0].Program) == 1 {
			return fmt.Sprintf("1 filter (%s instruction)", lens[0])
		}
		return fmt.Sprintf("1 filter (%s instructions)", lens[0])
	}
	return fmt.Sprintf("%d filters (%s instructions)", len(s.Filters), strings.Join(lens, ", "))
}

// ThreadList writes thread ids compactly: "thread 12", "threads 12-15, 20".
func ThreadList(tids []int) string {
	var parts []string
	for i := 0; i < len(tids); {
		j := i
		for j+1 < len(tids) && tids[j+1] == tids[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", tids[i], tids[j]))
		} else {
			parts = append(parts, strconv.Itoa(tids[i]))
		}
		i = j + 1
	}
	if len(tids) == 1 {
		return "thread " + parts[0]
	}
	return "threads " + strings.Join(parts, ", ")
}

// Programs returns the stack's programs in installation order.
func (s *Stack) Programs() []bpf.Program {
	var out []bpf.Program
	for _, f := range s.Filters {
		out = append(out, f.Program)
	}
	return out
}

// command reads /proc/PID/cmdline ("[comm]" for kernel threads).
func command(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(b) == 0 {
		return ""
	}
	return strings.TrimSpace(string(bytes.ReplaceAll(bytes.TrimRight(b, "\x00"), []byte{0}, []byte{' '})))
}

// cgroup reads the cgroup v2 path from /proc/PID/cgroup, or on a v1
// hierarchy the systemd one (or the first that is not "/").
func cgroup(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return ""
	}
	var v2, systemd, other string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			v2 = parts[2]
		case parts[1] == "name=systemd":
			systemd = parts[2]
		case other == "" && parts[2] != "/":
			other = parts[2]
		}
	}
	for _, c := range []string{v2, systemd, other} {
		if c != "" && c != "/" {
			return c
		}
	}
	if v2 != "" {
		return v2
	}
	return systemd
}

// Unread is a process with a filter whose filters could not be read.
type Unread struct {
	PID     int
	Name    string
	Command string
	Err     error
}

// All reads every process of the machine that has a filter on any of its
// threads (this one excepted); processes that cannot be read (traced by
// another process, gone meanwhile) are listed with why.
func All() ([]*Process, []Unread, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, nil, err
	}
	var out []*Process
	var unread []Unread
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		tasks, err := seccomp.Tasks(pid)
		if err != nil {
			continue // gone
		}
		if !slices.ContainsFunc(tasks, func(t seccomp.Task) bool { return t.Mode == seccomp.ModeFilter }) {
			continue
		}
		p, err := Read(pid)
		if err != nil {
			if errors.Is(err, seccomp.ErrNoFilter) || !exists(pid) {
				continue // exited, or its filtered thread did
			}
			unread = append(unread, Unread{PID: pid, Name: tasks[0].Name, Command: command(pid), Err: err})
			continue
		}
		out = append(out, p)
	}
	return out, unread, nil
}

func exists(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

// Group is processes whose main threads are under the same filter stack.
type Group struct {
	Stack     *Stack // of the first process
	Processes []*Process
}

// ByStack groups processes by their main thread's stack, the largest
// group first.
func ByStack(ps []*Process) []*Group {
	var out []*Group
	byID := map[string]*Group{}
	for _, p := range ps {
		id := p.Main().ID
		g, ok := byID[id]
		if !ok {
			g = &Group{Stack: p.Main()}
			byID[id] = g
			out = append(out, g)
		}
		g.Processes = append(g.Processes, p)
	}
	slices.SortStableFunc(out, func(a, b *Group) int { return len(b.Processes) - len(a.Processes) })
	return out
}
