package seccomp

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
)

// ReadTask reads a thread's seccomp state from /proc/PID/task/TID/status.
func ReadTask(pid, tid int) (Task, error) {
	t := Task{PID: pid, TID: tid, NumFilters: -1}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/status", pid, tid))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if tid == pid {
				return t, dumpErrorf(syscall.ESRCH, "process %d does not exist", pid)
			}
			return t, dumpErrorf(syscall.ESRCH, "process %d has no thread %d", pid, tid)
		}
		return t, fmt.Errorf("seccomp: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		n, _ := strconv.Atoi(val)
		switch key {
		case "Name":
			t.Name = val
		case "Seccomp":
			t.Mode = Mode(n)
		case "Seccomp_filters":
			t.NumFilters = n
		case "NoNewPrivs":
			t.NoNewPrivs = n == 1
		case "TracerPid":
			t.TracerPid = n
		}
	}
	return t, nil
}

// Tasks reads the seccomp state of every thread of process pid.
func Tasks(pid int) ([]Task, error) {
	tids, err := threadIDs(pid)
	if err != nil {
		return nil, err
	}
	var out []Task
	for _, tid := range tids {
		t, err := ReadTask(pid, tid)
		if errors.Is(err, syscall.ESRCH) && tid != pid {
			continue // the thread exited meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func threadIDs(pid int) ([]int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, dumpErrorf(syscall.ESRCH, "process %d does not exist", pid)
		}
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	var tids []int
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	slices.Sort(tids)
	return tids, nil
}

// ReadFilters reads the seccomp filters of process pid, thread by thread
// (only those of tids when given), with PTRACE_SECCOMP_GET_FILTER: each
// thread is attached with PTRACE_SEIZE, stopped with PTRACE_INTERRUPT,
// read filter by filter until the kernel says there are no more, and
// detached at once, also when something fails; a signal that arrives
// meanwhile is passed on at the detach. Like any debugger's attach, the
// stop interrupts a blocking call of the thread, which the kernel
// restarts (calls that return EINTR after any stop, such as epoll_wait,
// return it). Threads started during the read are read too.
//
// It needs CAP_SYS_PTRACE to attach and CAP_SYS_ADMIN to read, and the
// calling process must not be under seccomp itself. A thread without a
// filter comes back with no Filters; when no thread asked for has one,
// the error wraps ErrNoFilter and says the Seccomp: mode. A thread another
// process traces cannot be read (ErrTraced, naming the tracer); a kernel
// without CONFIG_CHECKPOINT_RESTORE cannot hand filters out
// (ErrNotSupported).
func ReadFilters(pid int, tids ...int) ([]ThreadFilters, error) {
	if pid == os.Getpid() {
		return nil, fmt.Errorf("seccomp: process %d is this process: a process cannot attach to itself", pid)
	}
	want := tids
	all := len(want) == 0
	if all {
		var err error
		if want, err = threadIDs(pid); err != nil {
			return nil, err
		}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var out []ThreadFilters
	done := map[int]bool{}
	for round := 0; round < 4 && len(want) > 0; round++ {
		for _, tid := range want {
			if done[tid] {
				continue
			}
			done[tid] = true
			tf, err := readThread(pid, tid)
			if errors.Is(err, syscall.ESRCH) && all && tid != pid {
				continue // exited meanwhile
			}
			if err != nil {
				return nil, err
			}
			out = append(out, tf)
		}
		if !all {
			break
		}
		// Threads started meanwhile inherited a filter: read them too.
		now, err := threadIDs(pid)
		if err != nil {
			return nil, err
		}
		want = slices.DeleteFunc(now, func(tid int) bool { return done[tid] })
	}
	slices.SortFunc(out, func(a, b ThreadFilters) int { return a.TID - b.TID })
	for _, tf := range out {
		if tf.Mode == ModeFilter {
			return out, nil
		}
	}
	if len(out) == 0 {
		return nil, dumpErrorf(syscall.ESRCH, "process %d does not exist", pid)
	}
	t := out[0].Task
	if len(out) > 1 {
		return nil, dumpErrorf(ErrNoFilter, "%s has no seccomp filter on any of its %d threads (%s)", t.Describe(), len(out), t.modeWords())
	}
	if t.Mode == ModeStrict {
		return nil, dumpErrorf(ErrNoFilter, "%s is in seccomp strict mode (%s): there is no filter to read", t.Describe(), t.modeWords())
	}
	return nil, dumpErrorf(ErrNoFilter, "%s has no seccomp filter (%s)", t.Describe(), t.modeWords())
}

// readThread reads one thread's filters; the caller holds its OS thread.
func readThread(pid, tid int) (ThreadFilters, error) {
	t, err := ReadTask(pid, tid)
	if err != nil {
		return ThreadFilters{}, err
	}
	tf := ThreadFilters{Task: t}
	if t.Mode != ModeFilter {
		return tf, nil
	}
	if t.TracerPid != 0 {
		tracer := "?"
		if c, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", t.TracerPid)); err == nil {
			tracer = strings.TrimSpace(string(c))
		}
		hint := ""
		if tracer == "sysfence" {
			hint = "; a command that 'sysfence run' started as its child is traced by sysfence for its lifetime (with --quiet and a filter that allows execve, sysfence execs it in place, untraced)"
		}
		return tf, dumpErrorf(ErrTraced, "%s is traced by process %d (%s), and the kernel hands a thread's filters only to its tracer (%s)%s",
			t.Describe(), t.TracerPid, tracer, t.modeWords(), hint)
	}
	sig, err := attach(tid)
	if err != nil {
		return tf, attachError(t, err)
	}
	filters, rerr := getFilters(t)
	if err := detach(tid, sig); err != nil && rerr == nil && !errors.Is(err, syscall.ESRCH) {
		rerr = fmt.Errorf("seccomp: detaching from %s: %w", t.Describe(), err)
	}
	tf.Filters = filters
	return tf, rerr
}

// attach seizes tid and stops it; it returns a signal the thread stopped
// for, to be delivered at the detach (0 for the interrupt's own stop).
// On error the thread is left running, detached.
func attach(tid int) (syscall.Signal, error) {
	if err := unix.PtraceSeize(tid); err != nil {
		return 0, err
	}
	return interrupt(tid)
}

// interrupt stops a seized thread (see attach).
func interrupt(tid int) (syscall.Signal, error) {
	if err := unix.PtraceInterrupt(tid); err != nil {
		unix.PtraceDetach(tid)
		return 0, err
	}
	for {
		var ws unix.WaitStatus
		_, err := unix.Wait4(tid, &ws, unix.WALL, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// Not stopped yet: a detach needs a stopped tracee, but a
			// seized one is let go by the kernel when we exit; try once.
			unix.PtraceDetach(tid)
			return 0, err
		}
		switch {
		case ws.Exited() || ws.Signaled():
			return 0, syscall.ESRCH
		case ws.Stopped():
			if uint32(ws)>>16 == unix.PTRACE_EVENT_STOP {
				// The interrupt's stop, or a group stop of a process
				// that was stopped already (the kernel keeps it stopped
				// after the detach).
				return 0, nil
			}
			return ws.StopSignal(), nil // a signal on its way: pass it on
		}
	}
}

func detach(tid int, sig syscall.Signal) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_DETACH, uintptr(tid), 0, uintptr(sig), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// getFilters reads filter after filter until the kernel says there is
// none left (ENOENT).
func getFilters(t Task) ([]Filter, error) {
	var out []Filter
	for i := 0; ; i++ {
		n, err := ptraceFilter(t.TID, i, nil)
		if err == unix.ENOENT {
			return out, nil
		}
		if err != nil {
			return nil, getFilterError(t, err)
		}
		buf := make([]byte, 8*n)
		if n, err = ptraceFilter(t.TID, i, buf); err != nil {
			return nil, getFilterError(t, err)
		}
		prog, err := bpf.Decode(buf[:8*n], binary.NativeEndian)
		if err != nil {
			return nil, err
		}
		f := Filter{Program: prog}
		var md struct{ off, flags uint64 }
		md.off = uint64(i)
		if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_METADATA, uintptr(t.TID), unsafe.Sizeof(md), uintptr(unsafe.Pointer(&md)), 0, 0); e == 0 {
			f.Flags = FilterFlag(md.flags)
		}
		out = append(out, f)
	}
}

// ptraceFilter is PTRACE_SECCOMP_GET_FILTER: the length of filter i in
// instructions, and the filter itself into buf when buf is not nil.
func ptraceFilter(tid, i int, buf []byte) (int, error) {
	var p uintptr
	if len(buf) > 0 {
		p = uintptr(unsafe.Pointer(&buf[0]))
	}
	r, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(tid), uintptr(i), p, 0, 0)
	runtime.KeepAlive(buf)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func attachError(t Task, err error) error {
	switch err {
	case syscall.ESRCH:
		return dumpErrorf(syscall.ESRCH, "%s exited", t.Describe())
	case syscall.EPERM:
		why := "attaching needs root (CAP_SYS_PTRACE) and a process that may be traced"
		if b, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); err == nil && strings.TrimSpace(string(b)) == "3" {
			why = "Yama's kernel.yama.ptrace_scope is 3, which forbids attaching to any process"
		}
		return fmt.Errorf("seccomp: attaching to %s: %w: %s", t.Describe(), err, why)
	}
	return fmt.Errorf("seccomp: attaching to %s: %w", t.Describe(), err)
}

func getFilterError(t Task, err error) error {
	switch err {
	case syscall.EACCES:
		own := ""
		if me, err := ReadTask(os.Getpid(), unix.Gettid()); err == nil && me.Mode != ModeDisabled {
			own = fmt.Sprintf("; this process is itself under seccomp (%s)", me.modeWords())
		}
		return fmt.Errorf("seccomp: reading the filters of %s: %w: PTRACE_SECCOMP_GET_FILTER needs CAP_SYS_ADMIN and a reader that is not under seccomp itself%s", t.Describe(), err, own)
	case syscall.EIO:
		return fmt.Errorf("seccomp: reading the filters of %s: the kernel cannot hand filters out (built without CONFIG_CHECKPOINT_RESTORE): %w", t.Describe(), ErrNotSupported)
	case syscall.EMEDIUMTYPE:
		return fmt.Errorf("seccomp: reading the filters of %s: a filter is not classic BPF: %w", t.Describe(), ErrNotSupported)
	case syscall.EINVAL:
		return dumpErrorf(ErrNoFilter, "reading the filters of %s: it is not in filter mode (any more)", t.Describe())
	}
	return fmt.Errorf("seccomp: reading the filters of %s: %w", t.Describe(), err)
}
