package seccomp

import (
	"fmt"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
)

// The probes pass a NULL program to seccomp(2): the kernel checks the
// operation and the flags before it reads the program, so a known flag
// fails with EFAULT and an unknown one with EINVAL, and nothing is ever
// installed. (libseccomp probes the same way.)

var filterProbe = sync.OnceValue(func() error {
	_, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, 0)
	switch e {
	case unix.EFAULT:
		return nil
	case unix.ENOSYS:
		return fmt.Errorf("seccomp: the kernel has no seccomp(2) system call (Linux 3.17 or later is needed): %w", ErrNotSupported)
	case unix.EINVAL:
		return fmt.Errorf("seccomp: the kernel was built without seccomp filter support (CONFIG_SECCOMP_FILTER): %w", ErrNotSupported)
	case unix.EPERM, unix.EACCES:
		return fmt.Errorf("seccomp: seccomp(2) is denied here (is sysfence itself running under a seccomp filter?): %w", ErrNotSupported)
	}
	return fmt.Errorf("seccomp: probing seccomp(2): %w", e)
})

// CheckFilter reports whether the kernel can install seccomp filters
// (SECCOMP_SET_MODE_FILTER through seccomp(2)). The answer is cached.
func CheckFilter() error { return filterProbe() }

var strictProbe = sync.OnceValue(func() error {
	_, err := CurrentMode()
	return err
})

// CheckStrict reports whether the kernel has seccomp at all, which is what
// strict mode needs (CONFIG_SECCOMP). The answer is cached.
func CheckStrict() error { return strictProbe() }

var (
	flagMu     sync.Mutex
	flagProbes map[FilterFlag]error // made on first use, under flagMu
)

// companion is what a flag must be probed together with, because the
// kernel refuses it alone.
func companion(bit FilterFlag) FilterFlag {
	if bit == FlagWaitKillableRecv {
		return FlagNewListener
	}
	return 0
}

// CheckFlags reports whether the kernel knows every flag in f, naming the
// first one it does not. Each flag is probed once.
func CheckFlags(f FilterFlag) error {
	if err := CheckFilter(); err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return err
	}
	flagMu.Lock()
	defer flagMu.Unlock()
	if flagProbes == nil {
		flagProbes = map[FilterFlag]error{}
	}
	for bit := FilterFlag(1); bit != 0 && bit <= f; bit <<= 1 {
		if f&bit == 0 {
			continue
		}
		err, ok := flagProbes[bit]
		if !ok {
			_, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(bit|companion(bit)), 0)
			switch e {
			case unix.EFAULT:
				err = nil
			case unix.EINVAL:
				err = fmt.Errorf("seccomp: the kernel does not know the filter flag %v: %w", bit, ErrNotSupported)
			default:
				err = fmt.Errorf("seccomp: probing filter flag %v: %w", bit, e)
			}
			flagProbes[bit] = err
		}
		if err != nil {
			return err
		}
	}
	return nil
}

var (
	actionMu     sync.Mutex
	actionProbes map[bpf.Action]error // made on first use, under actionMu
)

// legacyAction tells the actions every kernel with seccomp filters knows;
// they are assumed when the kernel predates SECCOMP_GET_ACTION_AVAIL (4.14).
func legacyAction(a bpf.Action) bool {
	switch a {
	case bpf.ActKillThread, bpf.ActTrap, bpf.ActErrno, bpf.ActTrace, bpf.ActAllow:
		return true
	}
	return false
}

// CheckAction reports whether the kernel supports the action
// (SECCOMP_GET_ACTION_AVAIL; its data bits are ignored). Cached per action.
func CheckAction(a bpf.Action) error {
	if err := CheckFilter(); err != nil {
		return err
	}
	kind := a.Kind()
	actionMu.Lock()
	defer actionMu.Unlock()
	if actionProbes == nil {
		actionProbes = map[bpf.Action]error{}
	}
	if err, ok := actionProbes[kind]; ok {
		return err
	}
	v := uint32(kind)
	_, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&v)))
	var err error
	switch e {
	case 0:
	case unix.EOPNOTSUPP:
		err = fmt.Errorf("seccomp: the kernel does not support the action %v: %w", kind, ErrNotSupported)
	case unix.EINVAL: // no SECCOMP_GET_ACTION_AVAIL: a kernel older than 4.14
		if !legacyAction(kind) {
			err = fmt.Errorf("seccomp: the kernel does not support the action %v (it predates Linux 4.14): %w", kind, ErrNotSupported)
		}
	default:
		err = fmt.Errorf("seccomp: probing action %v: %w", kind, e)
	}
	actionProbes[kind] = err
	return err
}

var notifSizes = sync.OnceValues(func() (NotifSizesInfo, error) {
	if err := CheckFilter(); err != nil {
		return NotifSizesInfo{}, err
	}
	var s NotifSizesInfo
	_, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_NOTIF_SIZES, 0, uintptr(unsafe.Pointer(&s)))
	if e == unix.EINVAL {
		return s, fmt.Errorf("seccomp: the kernel has no user notification (Linux 5.0 or later is needed): %w", ErrNotSupported)
	}
	if e != 0 {
		return s, fmt.Errorf("seccomp: SECCOMP_GET_NOTIF_SIZES: %w", e)
	}
	return s, nil
})

// NotifSizes returns the kernel's sizes of the notification structures,
// or ErrNotSupported on kernels without user notification. Cached.
func NotifSizes() (NotifSizesInfo, error) { return notifSizes() }

// CheckNotify reports whether user notification works as this package
// speaks it: the kernel knows the action, the NEW_LISTENER flag, and
// structures no smaller than the ones defined here.
func CheckNotify() error {
	s, err := NotifSizes()
	if err != nil {
		return err
	}
	if int(s.Notif) < int(unsafe.Sizeof(rawNotif{})) || int(s.NotifResp) < int(unsafe.Sizeof(rawResp{})) || int(s.Data) < 64 {
		return fmt.Errorf("seccomp: the kernel's notification structures (%d/%d/%d bytes) are smaller than expected: %w", s.Notif, s.NotifResp, s.Data, ErrNotSupported)
	}
	if err := CheckAction(bpf.ActUserNotif); err != nil {
		return err
	}
	return CheckFlags(FlagNewListener)
}
