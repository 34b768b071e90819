package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/internal/procfs"
	"github.com/sysfence/sysfence/internal/sysdecode"
	"github.com/sysfence/sysfence/landlock"
	"github.com/sysfence/sysfence/seccomp"
	"github.com/sysfence/sysfence/syscalls"
)

// Path rules without Landlock.
//
// A seccomp filter sees the pointer to a path, not the path. A supervisor
// that reads the path from the target's memory, checks it and answers
// CONTINUE lets the kernel read the path again, later: another thread of
// the target can rewrite the buffer in between (the test suite shows a
// rewriting thread getting /etc/passwd through such a check). Answering
// CONTINUE after a check is therefore never done here.
//
// Instead the supervisor performs the open itself and installs the
// resulting descriptor in the target (SECCOMP_IOCTL_NOTIF_ADDFD with
// SECCOMP_ADDFD_FLAG_SEND, which also completes the call with the new
// descriptor number, atomically). The path is read once; what is checked
// is exactly what is opened.
//
// How the path is checked and opened:
//
//  1. The string is read with process_vm_readv and the notification is
//     checked to be still pending afterwards (ID_VALID). A relative path
//     is taken relative to the thread's working directory or dirfd, read
//     from /proc/TID/cwd and /proc/TID/fd/N (checked the same way).
//  2. It is resolved the way the kernel resolves it, in sysfence's own
//     view of the file system: symlinks followed (at most 40), ".." after
//     them, /proc/self and /proc/thread-self as the target's, O_NOFOLLOW,
//     a trailing slash, and openat2's RESOLVE_NO_SYMLINKS,
//     RESOLVE_NO_MAGICLINKS, RESOLVE_BENEATH, RESOLVE_IN_ROOT and
//     RESOLVE_NO_XDEV. The result is a path without symlinks or "..".
//  3. The rules are Landlock's: a file rule allows that file, a directory
//     rule its whole tree; reading a file needs READ_FILE (read and exec
//     rules grant it), opening a directory READ_DIR (read rules on
//     directories). Only reads are supervised: an open for writing,
//     O_CREAT, O_TRUNC or O_TMPFILE fails with EACCES, as a file outside
//     the rules does. (O_PATH opens need a rule too, which is stricter
//     than Landlock.)
//  4. The file is opened with openat2 relative to the rule's directory,
//     opened (O_PATH) when sysfence started, with RESOLVE_BENEATH,
//     RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS: whatever happened to
//     the file system since step 2, the kernel opens nothing outside that
//     directory and follows no link. A file rule opens the name in its
//     parent directory and then checks that the descriptor is the very
//     inode the rule was made for. So the security of the scheme does not
//     rest on step 2: a mistake there can only refuse an open, never
//     widen it.
//  5. A file of procfs's directory of a process outside the command's
//     tree is refused once opened (mayOpenProc): the supervisor's rights
//     are sysfence's, which Landlock's isolation of the command does not
//     limit.
//
// Everything else that reaches files by name and that the supervisor
// cannot do on the target's behalf is refused by sysfence's added rules
// (added_linux.go): writing calls with EACCES, mount and chroot with EPERM,
// ptrace, process_vm_readv/writev and pidfd_getfd (other processes'
// memory and descriptors) with EPERM, io_uring with ENOSYS, and execve
// with EACCES unless SupervisedExec.

// supervisorMayWait reports whether the supervisor may have to wait in
// the command's place (supervised opens of FIFOs and devices): the filter
// must then leave the command's wait for it interruptible, as the
// kernel's own wait for a FIFO's other end is (see interrupt_linux.go).
func supervisorMayWait(r *addedRules) bool { return r != nil && r.supervise }

// pathSupervisor holds the rules and the directories they open from.
type pathSupervisor struct {
	rules []*superRule // longest path first
	// refs counts the users of the rules' descriptors: one for the run,
	// one for each open in progress (an open may block, on a FIFO, past
	// the end of the run). The last to leave closes them, so that a
	// descriptor number is never reused under an open.
	refs atomic.Int64
	// blocked are the opens that run on threads of their own.
	blocked blockedCalls
}

// superRule is one path rule of the plan, ready to open from.
type superRule struct {
	path   string // absolute, symlinks resolved
	dir    bool
	access landlock.AccessFS
	fd     int    // O_PATH descriptor: the directory itself, or a file's parent
	base   string // a file's name in its parent
	dev    uint64 // a file's identity
	ino    uint64
}

func newPathSupervisor(plan *landlock.Plan) (*pathSupervisor, error) {
	ps := &pathSupervisor{}
	for _, pr := range plan.Paths {
		if pr.Access&(llsys.AccessFSWriteFile|llsys.AccessFSMakeReg|llsys.AccessFSRemoveFile) != 0 {
			ps.close()
			return nil, fmt.Errorf("sandbox: %s: write rules cannot be enforced without Landlock (the supervisor only opens files for reading): %w", pr.Path, ErrNotSupported)
		}
		r := &superRule{path: pr.Path, dir: pr.Dir, access: pr.Access}
		open := pr.Path
		if !pr.Dir {
			open = parentDir(pr.Path)
			r.base = pr.Path[strings.LastIndexByte(pr.Path, '/')+1:]
			var st unix.Stat_t
			if err := unix.Stat(pr.Path, &st); err != nil {
				ps.close()
				return nil, fmt.Errorf("sandbox: path rule %s: %w", pr.Path, err)
			}
			r.dev, r.ino = st.Dev, st.Ino
		}
		fd, err := unix.Open(open, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			ps.close()
			return nil, fmt.Errorf("sandbox: path rule %s: opening %s: %w", pr.Path, open, err)
		}
		r.fd = fd
		ps.rules = append(ps.rules, r)
	}
	if err := setUpInterrupt(); err != nil {
		ps.close()
		return nil, fmt.Errorf("%w (the supervisor needs it to give up opens of FIFOs that the command stopped waiting for)", err)
	}
	sort.SliceStable(ps.rules, func(i, j int) bool { return len(ps.rules[i].path) > len(ps.rules[j].path) })
	ps.refs.Store(1)
	return ps, nil
}

// acquire takes a reference for an open; false once the run has ended.
func (ps *pathSupervisor) acquire() bool {
	for {
		n := ps.refs.Load()
		if n <= 0 {
			return false
		}
		if ps.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release drops a reference; the last one closes the descriptors.
func (ps *pathSupervisor) release() {
	if ps.refs.Add(-1) == 0 {
		ps.close()
	}
}

func (ps *pathSupervisor) close() {
	for _, r := range ps.rules {
		if r.fd > 0 {
			unix.Close(r.fd)
		}
	}
	ps.rules = nil
}

func parentDir(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// within reports whether p is root or beneath it.
func within(p, root string) bool {
	if root == "/" {
		return true
	}
	return p == root || strings.HasPrefix(p, root) && p[len(root)] == '/'
}

// openRequest is an open, openat or openat2 call.
type openRequest struct {
	dirfd   int32
	path    string
	flags   uint64
	resolve uint64
}

const (
	atFdcwd  = -100
	pathMax  = 4096
	oTmpfile = unix.O_TMPFILE // includes O_DIRECTORY
	// The resolve flags sysfence emulates; RESOLVE_CACHED only makes the
	// kernel fail with EAGAIN where a lookup would block, and is ignored.
	resolveKnown = unix.RESOLVE_NO_XDEV | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_SYMLINKS |
		unix.RESOLVE_BENEATH | unix.RESOLVE_IN_ROOT | resolveCached
	resolveCached = 0x20 // RESOLVE_CACHED (Linux 5.12)
)

// mediateOpen answers a supervised open: with a descriptor the supervisor
// opened, or an errno. It runs in the loop that receives notifications,
// except the open itself of a FIFO or a device, which may block until
// another process (maybe one the same loop serves) acts, and therefore
// runs on a thread of its own, interrupted when the command stops
// waiting. The caller has acquired s.paths.
func (s *session) mediateOpen(n *seccomp.Notif) {
	if h := s.opts.hooks; h != nil && h.openHandler != nil {
		defer s.paths.release()
		h.openHandler(s, n)
		return
	}
	step, errno := s.prepareOpen(n)
	if errno != 0 {
		s.paths.release()
		s.listener.Fail(n.ID, errno)
		return
	}
	if h := s.opts.hooks; h != nil && h.afterOpenPlan != nil {
		h.afterOpenPlan(step.name)
	}
	if !step.mayBlock {
		fd, errno, wouldBlock := step.tryOpen()
		if !wouldBlock {
			defer s.paths.release()
			s.answerOpen(n, step, fd, errno)
			return
		}
		// The file became one whose open may wait (a FIFO) since it was
		// checked: start over on the path for those.
		step.mayBlock = true
	}
	// The supervisor never waits in the command's place: the open runs
	// on a thread of its own and is interrupted once the command stops
	// waiting for it (interrupt_linux.go).
	go func() {
		defer s.paths.release()
		s.paths.blocked.run(s.listener, n, func(gone func() bool) {
			fd, errno := step.open()
			for errno == unix.EINTR && !gone() {
				fd, errno = step.open()
			}
			s.answerOpen(n, step, fd, errno)
		})
	}()
}

// answerOpen answers an open with its result: the descriptor, installed in
// the target, or the errno.
func (s *session) answerOpen(n *seccomp.Notif, step openStep, fd int, errno unix.Errno) {
	if errno == 0 && !s.mayOpenProc(fd, step.real) {
		unix.Close(fd)
		errno = unix.EACCES
	}
	if errno != 0 {
		s.listener.Fail(n.ID, errno)
		return
	}
	defer unix.Close(fd)
	if _, err := s.listener.AddFD(seccomp.AddFD{ID: n.ID, SrcFD: fd, CloExec: step.cloexec, Send: true}); err != nil && !errors.Is(err, seccomp.ErrNotifGone) {
		errno := unix.EMFILE // e.g. the target is out of descriptors
		errors.As(err, &errno)
		s.listener.Fail(n.ID, errno)
	}
}

// prepareOpen reads, resolves and checks the open a notification asks
// for, and says how to perform it.
func (s *session) prepareOpen(n *seccomp.Notif) (openStep, unix.Errno) {
	mem := notifMemory{s.listener, n}
	req, errno := readOpenRequest(n, mem)
	if errno != 0 {
		return openStep{}, errno
	}
	real, errno := s.resolveFor(n, req)
	if errno != 0 {
		return openStep{}, errno
	}
	return s.paths.plan(real, req.flags)
}

// checkOpenFlags refuses what only a write rule could allow.
// oPathFlags are the flags that mean something with O_PATH (the kernel's
// O_PATH_FLAGS).
const oPathFlags = unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC

func checkOpenFlags(flags uint64) unix.Errno {
	if flags&unix.O_ACCMODE != unix.O_RDONLY || flags&(unix.O_CREAT|unix.O_TRUNC) != 0 || flags&oTmpfile == oTmpfile {
		return unix.EACCES
	}
	return 0
}

// readOpenRequest reads the arguments of an open, openat or openat2 call
// (the path and openat2's struct open_how from the target's memory).
func readOpenRequest(n *seccomp.Notif, mem sysdecode.Memory) (openRequest, unix.Errno) {
	arch := syscalls.ForCall(n.Data.Arch, n.Data.Nr)
	if arch == nil {
		return openRequest{}, unix.ENOSYS
	}
	name, _ := arch.SyscallName(n.Data.Nr)
	a := n.Data.Args
	if arch.Bits == 32 {
		for i := range a {
			a[i] = uint64(uint32(a[i]))
		}
	}
	req := openRequest{dirfd: atFdcwd}
	var pathPtr uint64
	switch name {
	case "open":
		pathPtr, req.flags = a[0], uint64(uint32(a[1]))
	case "openat":
		req.dirfd, pathPtr, req.flags = int32(a[0]), a[1], uint64(uint32(a[2]))
	case "openat2":
		req.dirfd, pathPtr = int32(a[0]), a[1]
		how, size := a[2], a[3]
		if size < unix.SizeofOpenHow || size > 4096 {
			return req, unix.EINVAL
		}
		buf := make([]byte, size)
		if how == 0 {
			return req, unix.EFAULT
		}
		if _, err := mem.ReadAt(buf, int64(how)); err != nil {
			return req, unix.EFAULT
		}
		for _, b := range buf[unix.SizeofOpenHow:] {
			if b != 0 {
				return req, unix.E2BIG // a newer struct open_how with fields sysfence does not know
			}
		}
		req.flags = binary.NativeEndian.Uint64(buf[0:])
		mode := binary.NativeEndian.Uint64(buf[8:])
		req.resolve = binary.NativeEndian.Uint64(buf[16:])
		if req.resolve&^resolveKnown != 0 || mode != 0 && req.flags&unix.O_CREAT == 0 && req.flags&oTmpfile != oTmpfile {
			return req, unix.EINVAL
		}
		if req.resolve&unix.RESOLVE_BENEATH != 0 && req.resolve&unix.RESOLVE_IN_ROOT != 0 {
			return req, unix.EINVAL
		}
		if req.flags&unix.O_PATH != 0 && req.flags&^oPathFlags != 0 {
			return req, unix.EINVAL // openat2 is strict where open(2) ignores
		}
	default:
		return req, unix.ENOSYS
	}
	if req.flags&unix.O_PATH != 0 {
		req.flags &= oPathFlags // what open(2) keeps of the flags with O_PATH
	}
	if errno := checkOpenFlags(req.flags); errno != 0 {
		return req, errno
	}
	if pathPtr == 0 {
		return req, unix.EFAULT
	}
	p, complete, err := sysdecode.ReadString(mem, pathPtr, pathMax)
	switch {
	case errors.Is(err, seccomp.ErrNotifGone):
		return req, unix.EINTR // nobody will see the answer
	case err != nil:
		return req, unix.EFAULT
	case !complete:
		return req, unix.ENAMETOOLONG
	}
	req.path = p
	return req, 0
}

// resolveFor resolves the request's path for the notifying thread.
func (s *session) resolveFor(n *seccomp.Notif, req openRequest) (string, unix.Errno) {
	tid := int(n.Pid)
	base := "/"
	if !strings.HasPrefix(req.path, "/") || req.resolve&(unix.RESOLVE_BENEATH|unix.RESOLVE_IN_ROOT) != 0 {
		link := "/proc/" + strconv.Itoa(tid) + "/cwd"
		if req.dirfd != atFdcwd {
			if req.dirfd < 0 {
				return "", unix.EBADF
			}
			link = "/proc/" + strconv.Itoa(tid) + "/fd/" + strconv.Itoa(int(req.dirfd))
		}
		dir, err := os.Readlink(link)
		if s.listener.IDValid(n.ID) != nil {
			return "", unix.EINTR
		}
		if err != nil {
			return "", unix.EBADF
		}
		if !strings.HasPrefix(dir, "/") || strings.HasSuffix(dir, " (deleted)") {
			return "", unix.EACCES // a directory sysfence cannot name
		}
		base = dir
	}
	o := resolveOpts{
		followLast: req.flags&unix.O_NOFOLLOW == 0,
		noSymlinks: req.resolve&unix.RESOLVE_NO_SYMLINKS != 0,
		noMagic:    req.resolve&(unix.RESOLVE_NO_MAGICLINKS|unix.RESOLVE_NO_SYMLINKS) != 0,
		beneath:    req.resolve&unix.RESOLVE_BENEATH != 0,
		inRoot:     req.resolve&unix.RESOLVE_IN_ROOT != 0,
		noXdev:     req.resolve&unix.RESOLVE_NO_XDEV != 0,
		tgid:       s.procs.tgid(tid),
		tid:        tid,
		outside:    func(pid int) bool { return !s.inTree(pid) },
	}
	return resolvePath(base, req.path, o)
}

// openStep is an open the rules allow: the name to open beneath a rule's
// directory, and what the result must be.
type openStep struct {
	rule     *superRule
	real     string // the path resolved
	name     string
	how      unix.OpenHow
	need     landlock.AccessFS
	isDir    bool
	cloexec  bool // the target's copy is close-on-exec
	mayBlock bool // a FIFO or a device opened without O_NONBLOCK
	oPath    bool // an O_PATH open (of a regular file or a directory)
}

// open opens real (resolved: no symlinks, no "..") for reading through
// the rule that allows it.
func (ps *pathSupervisor) open(real string, flags uint64) (int, unix.Errno) {
	step, errno := ps.plan(real, flags)
	if errno != 0 {
		return -1, errno
	}
	return step.open()
}

// plan finds the rule that allows opening real with flags.
func (ps *pathSupervisor) plan(real string, flags uint64) (openStep, unix.Errno) {
	var st unix.Stat_t
	if err := unix.Lstat(real, &st); err != nil {
		return openStep{}, errnoOf(err)
	}
	step := openStep{real: real, cloexec: flags&unix.O_CLOEXEC != 0, need: llsys.AccessFSReadFile}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		step.isDir = true
		step.need = llsys.AccessFSReadDir
	case unix.S_IFREG:
	default:
		step.mayBlock = flags&(unix.O_NONBLOCK|unix.O_PATH) == 0
	}
	if flags&unix.O_PATH != 0 {
		step.oPath = true
		// SECCOMP_IOCTL_NOTIF_ADDFD cannot pass an O_PATH descriptor (the
		// kernel's fget skips them), so the target gets a read-only one
		// of the same file or directory: it may read it anyway (the rule
		// must grant that), and everything an O_PATH descriptor serves
		// (fstat, *at calls, fchdir) works on it. Other file types could
		// block or act when opened: refused.
		if st.Mode&unix.S_IFMT != unix.S_IFREG && !step.isDir {
			return openStep{}, unix.EACCES
		}
		flags = flags&(unix.O_DIRECTORY|unix.O_CLOEXEC) | unix.O_RDONLY
	}
	// The kernel's own checks on the flags, and ours on top: O_NOCTTY so
	// that a terminal never becomes sysfence's, O_CLOEXEC for sysfence's
	// copy (the target's copy gets the caller's O_CLOEXEC through ADDFD).
	step.how = unix.OpenHow{
		Flags:   flags&^unix.O_NOFOLLOW | unix.O_NOCTTY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	for _, r := range ps.rules {
		if !within(real, r.path) || (!r.dir && real != r.path) {
			continue
		}
		if step.need != 0 && r.access&step.need != step.need || step.need == 0 && r.access == 0 {
			continue
		}
		step.rule, step.name = r, r.base
		if r.dir {
			step.name = strings.TrimPrefix(strings.TrimPrefix(real, r.path), "/")
			if step.name == "" {
				step.name = "."
			}
		}
		return step, 0
	}
	return openStep{}, unix.EACCES
}

// open performs the step: openat2 beneath the rule's directory, without
// following any link, then checks that it opened what was planned. It
// may wait (a FIFO, a device) unless the step was planned for a file
// whose open cannot.
func (step openStep) open() (int, unix.Errno) {
	fd, errno, wouldBlock := step.tryOpen()
	if wouldBlock {
		step.mayBlock = true
		fd, errno, _ = step.tryOpen()
	}
	return fd, errno
}

// tryOpen is open, except that a step planned for a file whose open
// cannot wait never waits: the file may have become a FIFO since it was
// checked (another process replaced it), so it is opened with O_NONBLOCK,
// which changes nothing for the regular files and directories planned
// (and is taken off again), and if it is of another type now it is
// closed, and wouldBlock says to start over on a thread that may wait.
func (step openStep) tryOpen() (fd int, errno unix.Errno, wouldBlock bool) {
	r := step.rule
	how := step.how
	if !step.mayBlock {
		how.Flags |= unix.O_NONBLOCK
	}
	fd, err := unix.Openat2(r.fd, step.name, &how)
	if err != nil {
		e := errnoOf(err)
		if e == unix.ELOOP || e == unix.EXDEV {
			e = unix.EACCES // the file system changed under the check
		}
		return -1, e, false
	}
	var got unix.Stat_t
	if err := unix.Fstat(fd, &got); err != nil {
		unix.Close(fd)
		return -1, errnoOf(err), false
	}
	gotDir := got.Mode&unix.S_IFMT == unix.S_IFDIR
	if !r.dir && (got.Dev != r.dev || got.Ino != r.ino) || step.need != 0 && gotDir != step.isDir {
		unix.Close(fd)
		return -1, unix.EACCES, false // not the file the rule was made for
	}
	if how.Flags != step.how.Flags {
		if t := got.Mode & unix.S_IFMT; t != unix.S_IFREG && t != unix.S_IFDIR {
			unix.Close(fd)
			if step.oPath {
				return -1, unix.EACCES, false // as planned for such files (see plan)
			}
			return -1, 0, true
		}
		// F_SETFL sets the status flags (O_NONBLOCK, O_APPEND, O_DIRECT,
		// O_NOATIME, O_ASYNC) and ignores the others: the open's own.
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, int(step.how.Flags)); err != nil {
			unix.Close(fd)
			return -1, errnoOf(err), false
		}
	}
	return fd, 0, false
}

// mayOpenProc reports whether the command may have fd, which the
// supervisor opened at real: any file but one of procfs's directories of
// a process outside the command's tree. Landlock refuses the command
// another process's memory, environment and descriptors (ptrace access
// across its domain), but the supervisor opens with sysfence's rights,
// so it must refuse those itself: all of such a process's directory, not
// only what ptrace access guards (stricter than Landlock, as for O_PATH),
// which is what a PID namespace would show. The check is on the opened
// file (fstatfs), so a procfs mounted anywhere is caught.
func (s *session) mayOpenProc(fd int, real string) bool {
	var fs unix.Statfs_t
	if unix.Fstatfs(fd, &fs) != nil {
		return false
	}
	if fs.Type != unix.PROC_SUPER_MAGIC {
		return true
	}
	pid, ok := procfsPID(real)
	return !ok || s.inTree(pid)
}

// procfsPID returns the process whose procfs directory holds real (a
// resolved path on procfs), ok false for procfs's other files. The
// mount's root is the highest directory of real on procfs.
func procfsPID(real string) (int, bool) {
	parts := strings.Split(strings.TrimPrefix(real, "/"), "/")
	dir := "/"
	for _, p := range parts {
		var fs unix.Statfs_t
		if unix.Statfs(dir, &fs) == nil && fs.Type == unix.PROC_SUPER_MAGIC {
			pid, err := strconv.Atoi(p)
			return pid, err == nil
		}
		dir = path.Join(dir, p)
	}
	return 0, false
}

// inTree reports whether thread or process pid is the command or one of
// its descendants. A process that left the tree (reparented to init or a
// subreaper) is outside it.
func (s *session) inTree(pid int) bool {
	root := int(s.pid.Load())
	for range 1 << 16 { // a bound: parents cannot loop, but /proc changes under the walk
		if pid <= 1 {
			return false
		}
		tgid := s.procs.tgid(pid)
		if tgid == root {
			return true
		}
		ppid, ok := procfs.StatusInt(tgid, "PPid")
		if !ok {
			return false
		}
		pid = ppid
	}
	return false
}

func errnoOf(err error) unix.Errno {
	var e unix.Errno
	if errors.As(err, &e) {
		return e
	}
	return unix.EACCES
}

// resolveOpts are the lookup flags of one open.
type resolveOpts struct {
	followLast bool // not O_NOFOLLOW
	noSymlinks bool // RESOLVE_NO_SYMLINKS
	noMagic    bool // RESOLVE_NO_MAGICLINKS
	beneath    bool // RESOLVE_BENEATH
	inRoot     bool // RESOLVE_IN_ROOT
	noXdev     bool // RESOLVE_NO_XDEV
	tgid, tid  int  // what /proc/self and /proc/thread-self name
	// outside reports whether a process is outside the command's tree,
	// whose magic links (/proc/PID/cwd, fd/N, ...) are not followed (nil:
	// every process's are).
	outside func(pid int) bool
}

// maxSymlinks is the kernel's limit on symlinks followed in one lookup.
const maxSymlinks = 40

// resolvePath resolves path (relative to base, an absolute path without
// symlinks) as the kernel would, in this process's view of the file
// system, and returns the absolute path of the file it names, without
// symlinks, "." or "..". Errors are the errno the kernel would give.
func resolvePath(base, path string, o resolveOpts) (string, unix.Errno) {
	if path == "" {
		return "", unix.ENOENT
	}
	root := "/"
	if o.inRoot {
		root = base
	}
	cur := base
	if path[0] == '/' {
		if o.beneath {
			return "", unix.EXDEV
		}
		cur = root
	}
	var baseDev uint64
	if o.noXdev {
		var st unix.Stat_t
		if err := unix.Stat(cur, &st); err != nil {
			return "", errnoOf(err)
		}
		baseDev = st.Dev
	}
	todo := splitPath(path)
	mustDir := strings.HasSuffix(path, "/") || strings.HasSuffix(path, "/.") || strings.HasSuffix(path, "/..") || path == "." || path == ".."
	links := 0
	follow := func(target string, magic bool) unix.Errno {
		if o.noSymlinks || magic && o.noMagic {
			return unix.ELOOP
		}
		if links++; links > maxSymlinks {
			return unix.ELOOP
		}
		if magic && !strings.HasPrefix(target, "/") {
			return unix.EACCES // a pipe, socket or anonymous file: it has no path to open
		}
		if strings.HasPrefix(target, "/") {
			if o.beneath {
				return unix.EXDEV
			}
			cur = root
		}
		if strings.HasSuffix(target, "/") && len(todo) == 0 {
			mustDir = true
		}
		todo = append(splitPath(target), todo...)
		return 0
	}
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		last := len(todo) == 0
		switch c {
		case ".":
			continue
		case "..":
			switch {
			case o.beneath && cur == base:
				return "", unix.EXDEV
			case cur == root:
			default:
				cur = parentDir(cur)
			}
			continue
		}
		next := cur + "/" + c
		if cur == "/" {
			next = "/" + c
		}
		// /proc/self and /proc/thread-self name the target, not sysfence.
		if cur == "/proc" && (c == "self" || c == "thread-self") {
			if last && !o.followLast {
				return "", unix.ELOOP
			}
			target := "/proc/" + strconv.Itoa(o.tgid)
			if c == "thread-self" {
				target += "/task/" + strconv.Itoa(o.tid)
			}
			if e := follow(target, false); e != 0 {
				return "", e
			}
			continue
		}
		var st unix.Stat_t
		if err := unix.Lstat(next, &st); err != nil {
			return "", errnoOf(err)
		}
		if o.noXdev && st.Dev != baseDev {
			return "", unix.EXDEV
		}
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			if last && !o.followLast {
				return "", unix.ELOOP
			}
			pid, magic := magicLink(next)
			if magic && o.outside != nil && o.outside(pid) {
				// Another process's cwd, root, exe or descriptors: not
				// read for the command (see mayOpenProc).
				return "", unix.EACCES
			}
			target, err := os.Readlink(next)
			if err != nil {
				return "", errnoOf(err)
			}
			if e := follow(target, magic); e != 0 {
				return "", e
			}
			continue
		}
		if !last && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return "", unix.ENOTDIR
		}
		cur = next
	}
	if mustDir {
		var st unix.Stat_t
		if err := unix.Stat(cur, &st); err != nil {
			return "", errnoOf(err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return "", unix.ENOTDIR
		}
	}
	return cur, 0
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// magicLink reports whether a symlink is one of procfs's links to open
// files, directories and namespaces (/proc/PID/fd/N, cwd, root, exe,
// map_files/..., ns/...), which the kernel follows to the object itself
// rather than by name, and whose process it is. Every symlink in a
// process's directory of a procfs is one, wherever that procfs is
// mounted.
func magicLink(p string) (pid int, ok bool) {
	var fs unix.Statfs_t
	if unix.Statfs(parentDir(p), &fs) != nil || fs.Type != unix.PROC_SUPER_MAGIC {
		return 0, false
	}
	return procfsPID(p)
}
