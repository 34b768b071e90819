package launch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/internal/notsup"
	"github.com/sysfence/sysfence/seccomp"
)

// Injector makes system calls inside a ptrace-stopped tracee, which has
// not run any instruction of its own since execve: this is how the filter
// (or strict mode) is put into the command at its exec stop, so that it
// applies from the command's first instruction, no earlier (the filter
// need not allow execve) and no later.
//
// Each call writes the syscall instruction at the PC, sets the registers
// and single-steps; restore puts code, registers and scratch memory back
// as they were. Signals that arrive meanwhile are held back and queued
// again afterwards.
type Injector struct {
	pid      int
	saved    Regs
	codeAt   uint64
	origCode []byte
	scratch  uint64 // lowest scratch address in use; scratch grows down from sp-redZone
	deferred []unix.Signal
}

// DiedError is returned when the tracee dies during the injection
// (SIGKILL from outside, or sysfence's own parent-death signal).
type DiedError struct{ Status unix.WaitStatus }

func (e *DiedError) Error() string {
	return fmt.Sprintf("the command died while its filter was being installed (%s)", DescribeStatus(e.Status))
}

func newInjector(pid int) (*Injector, error) {
	r, err := GetRegs(pid)
	if err != nil {
		return nil, fmt.Errorf("reading the command's registers: %w", err)
	}
	if IsCompat(&r) {
		return nil, fmt.Errorf("32-bit (i386) programs cannot be sandboxed yet: %w", notsup.ErrNotSupported)
	}
	in := &Injector{pid: pid, saved: r, codeAt: PC(&r), scratch: (sp(&r) - redZone) &^ 15}
	word := make([]byte, 8)
	if _, err := unix.PtracePeekText(pid, uintptr(in.codeAt), word); err != nil {
		if errors.Is(err, unix.EIO) || errors.Is(err, unix.EPERM) {
			// ptrace_may_access refuses a non-dumpable process: an
			// execute-only program run by a user who may not read it.
			return nil, fmt.Errorf("ptrace may not reach into the command (a program you may execute but not read is not dumpable): "+
				"make it readable, or run it without reports (sysfence run --quiet, sandbox.Exec) under a filter that allows execve: %w", err)
		}
		return nil, fmt.Errorf("reading the command's code: %w", err)
	}
	in.origCode = word
	code := append(append([]byte{}, syscallInsn...), word[len(syscallInsn):]...)
	if _, err := unix.PtracePokeText(pid, uintptr(in.codeAt), code); err != nil {
		return nil, fmt.Errorf("writing the command's code: %w", err)
	}
	return in, nil
}

// writeAt copies data to scratch memory at addr, below what is in use
// (addr comes from the scratch pointer), and returns addr.
func (in *Injector) writeAt(addr uint64, data []byte) (uint64, error) {
	if addr > in.scratch-uint64(len(data)) {
		return 0, fmt.Errorf("scratch address %#x overlaps used scratch memory", addr)
	}
	if err := pokeMem(in.pid, addr, data); err != nil {
		return 0, fmt.Errorf("staging %d bytes on the command's stack: %w", len(data), err)
	}
	in.scratch = addr
	return addr, nil
}

func pokeMem(pid int, addr uint64, data []byte) error {
	local := []unix.Iovec{{Base: &data[0], Len: uint64(len(data))}}
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(data)}}
	n, err := unix.ProcessVMWritev(pid, local, remote, 0)
	if err != nil {
		return err
	}
	if n != len(data) {
		return fmt.Errorf("short write (%d of %d bytes)", n, len(data))
	}
	return nil
}

// Syscall runs syscall nr in the tracee and returns its raw result (a
// negative errno on failure).
func (in *Injector) Syscall(nr uint64, args ...uint64) (int64, error) {
	var a [6]uint64
	copy(a[:], args)
	r := in.saved
	prepareSyscall(&r, in.codeAt, nr, a)
	if err := setRegs(in.pid, &r); err != nil {
		return 0, fmt.Errorf("setting the command's registers: %w", err)
	}
	for {
		if err := unix.PtraceSingleStep(in.pid); err != nil {
			return 0, fmt.Errorf("single-stepping the command: %w", err)
		}
		var ws unix.WaitStatus
		if _, err := Wait4(in.pid, &ws, unix.WALL); err != nil {
			return 0, err
		}
		if !ws.Stopped() {
			return 0, &DiedError{ws}
		}
		now, err := GetRegs(in.pid)
		if err != nil {
			return 0, fmt.Errorf("reading the command's registers: %w", err)
		}
		if PC(&now) == in.codeAt+uint64(len(syscallInsn)) {
			return syscallResult(&now), nil
		}
		// A signal arrived before the instruction ran: hold it back.
		if sig := ws.StopSignal(); sig != unix.SIGTRAP {
			in.deferred = append(in.deferred, sig)
		}
	}
}

// Restore puts back the code, the registers and zeroes the scratch
// memory, then queues again the signals held back.
func (in *Injector) Restore() error {
	if used := (sp(&in.saved) - redZone) &^ 15; in.scratch < used {
		if err := pokeMem(in.pid, in.scratch, make([]byte, used-in.scratch)); err != nil {
			return fmt.Errorf("clearing scratch memory: %w", err)
		}
	}
	if _, err := unix.PtracePokeText(in.pid, uintptr(in.codeAt), in.origCode); err != nil {
		return fmt.Errorf("restoring the command's code: %w", err)
	}
	if err := setRegs(in.pid, &in.saved); err != nil {
		return fmt.Errorf("restoring the command's registers: %w", err)
	}
	for _, sig := range in.deferred {
		unix.Tgkill(in.pid, in.pid, sig)
	}
	return nil
}

// InstallFilter makes the tracee call seccomp(SECCOMP_SET_MODE_FILTER,
// flags, prog) and returns the syscall's result (the listener fd in the
// tracee with FlagNewListener).
func (in *Injector) InstallFilter(prog bpf.Program, flags seccomp.FilterFlag) (int, error) {
	// One write: the instructions, then struct sock_fprog { unsigned
	// short len; struct sock_filter *filter; } pointing back at them.
	var fp unix.SockFprog
	raw := prog.Encode(binary.NativeEndian)
	fpOff := (len(raw) + 15) &^ 15
	blob := make([]byte, fpOff+int(unsafe.Sizeof(fp)))
	copy(blob, raw)
	at := (in.scratch - uint64(len(blob))) &^ 15
	binary.NativeEndian.PutUint16(blob[fpOff:], uint16(len(prog)))
	binary.NativeEndian.PutUint64(blob[fpOff+int(unsafe.Offsetof(fp.Filter)):], at)
	if _, err := in.writeAt(at, blob); err != nil {
		return -1, err
	}
	ret, err := in.Syscall(sysSeccomp, unix.SECCOMP_SET_MODE_FILTER, uint64(flags), at+uint64(fpOff))
	if err != nil {
		return -1, err
	}
	if ret < 0 {
		return -1, seccomp.NewLoadError(flags, unix.Errno(-ret))
	}
	return int(ret), nil
}

// EnterStrict makes the tracee call prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT).
func (in *Injector) EnterStrict() error {
	ret, err := in.Syscall(sysPrctl, unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_STRICT)
	if err != nil {
		return err
	}
	if ret < 0 {
		if m, err := seccomp.CurrentMode(); err == nil && m == seccomp.ModeFilter && unix.Errno(-ret) == unix.EINVAL {
			// The command inherited sysfence's own filter.
			return fmt.Errorf("strict mode cannot be entered here: sysfence itself runs under a seccomp filter, and the kernel does not switch a filtered process to strict mode: %w", notsup.ErrNotSupported)
		}
		return fmt.Errorf("prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) in the command: %w", unix.Errno(-ret))
	}
	return nil
}

// CloseFd makes the tracee call close(fd, magic[0], magic[1]).
func (in *Injector) CloseFd(fd int, magic [2]uint64) error {
	ret, err := in.Syscall(sysClose, uint64(fd), magic[0], magic[1])
	if err != nil {
		return err
	}
	if ret < 0 {
		return fmt.Errorf("closing the listener in the command: %w", unix.Errno(-ret))
	}
	return nil
}

// Wait4 is wait4(2), retried on EINTR.
func Wait4(pid int, ws *unix.WaitStatus, options int) (int, error) {
	for {
		wpid, err := unix.Wait4(pid, ws, options, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return wpid, fmt.Errorf("wait4: %w", err)
		}
		return wpid, nil
	}
}
