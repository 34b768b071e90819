package sandbox

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/internal/launch"
	"github.com/sysfence/sysfence/landlock"
)

// Landlock gets into the command the way the filter does: at its exec
// stop, by a system call sysfence makes the stopped command execute.
//
// Landlock restricts the thread that calls landlock_restrict_self and
// what it starts afterwards. Restricting one of sysfence's own threads
// before the fork (the supervisor thread) would restrict that thread's
// later work too: reading /proc for reports, opening files for the
// supervisor of path rules without Landlock. Restricting the command at
// its exec stop restricts nothing of sysfence, and the command runs
// restricted from its first instruction, exactly like the filter.
//
// The ruleset is built in sysfence (go-landlock opens the rules' paths
// there, with sysfence's view of the file system) and handed to the
// command as an inherited descriptor: the fork dup2()s it to a number no
// inherited descriptor uses, the command execs with it open (execve does
// not look at it), and at the exec stop, before anything of the command
// has run, sysfence makes the command call landlock_restrict_self on it
// and close it. Then comes the filter, which need not allow the Landlock
// calls. The command inherits no_new_privs from sysfence's supervisor
// thread, which landlock_restrict_self requires.
//
// The command's own execve happens before the ruleset is in force, like
// the filter's; its interpreter and libraries, which its loader opens
// after the exec, and every later exec, are checked.

// passRuleset builds the ruleset and adds it to the descriptors the
// command inherits, at the lowest number from 3 on that this process
// does not pass on to children (not open, or close-on-exec): descriptors
// sysfence inherited without close-on-exec (`3<file`) keep their numbers
// in the command.
func (s *session) passRuleset(files []uintptr) ([]uintptr, error) {
	fd, flags, err := s.llPlan.RulesetFD()
	if err != nil {
		return nil, err
	}
	s.llFd, s.llFlags = fd, flags
	n := 3
	for ; ; n++ {
		fl, err := unix.FcntlInt(uintptr(n), unix.F_GETFD, 0)
		if err != nil || fl&unix.FD_CLOEXEC != 0 {
			break
		}
	}
	for i := len(files); i < n; i++ {
		files = append(files, uintptr(i)) // passed on as it is
	}
	s.llChildFd = n
	return append(files, uintptr(fd)), nil
}

func (s *session) closeRuleset() {
	if s.llFd >= 0 {
		unix.Close(s.llFd)
		s.llFd = -1
	}
}

// restrictLandlock makes the stopped command enforce the ruleset it
// inherited, and close it.
func (s *session) restrictLandlock(in *launch.Injector) error {
	ret, err := in.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, uint64(s.llChildFd), uint64(s.llFlags))
	if err != nil {
		return err
	}
	if ret < 0 {
		return fmt.Errorf("sandbox: landlock_restrict_self in the command: %w", unix.Errno(-ret))
	}
	ret, err = in.Syscall(sysClose, uint64(s.llChildFd))
	if err != nil {
		return err
	}
	if ret < 0 {
		return fmt.Errorf("sandbox: closing the Landlock ruleset in the command: %w", unix.Errno(-ret))
	}
	kabi, _ := landlock.KernelABI()
	p := s.llPlan
	s.mu.Lock()
	s.result.Landlock = &landlock.Report{KernelABI: kabi, ABI: p.ABI, HandledFS: p.HandledFS, HandledNet: p.HandledNet,
		Paths: len(p.Paths), Ports: len(p.Ports), Unenforced: p.Unenforced, Limits: p.Limits}
	s.mu.Unlock()
	return nil
}
