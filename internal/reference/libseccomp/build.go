//go:build libseccomp

package libseccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	seccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/syscalls"
)

// Tree selects libseccomp's binary-tree optimisation
// (SCMP_FLTATR_CTL_OPTIMIZE = 2).
type Tree int

const (
	// TreeLikeRunc turns the tree on when the config names more than 32
	// syscalls (counting every name of every entry), as runc does.
	TreeLikeRunc Tree = iota
	// TreeOff keeps libseccomp's default: a priority-sorted linear list.
	TreeOff
	// TreeOn always asks for the binary tree.
	TreeOn
)

// Options tune Build.
type Options struct {
	Tree Tree
	// ENOSYS prepends runc's ENOSYS stub, when runc would: the default
	// action is not ALLOW, LOG or TRACE.
	ENOSYS bool
}

var (
	// ErrRefused wraps the reasons runc refuses a config before it asks
	// libseccomp anything (unknown action or operator, NOTIFY misuse).
	ErrRefused = errors.New("runc refuses the seccomp config")
	// ErrRejected wraps errors libseccomp returns while building the
	// filter (e.g. EEXIST for conflicting rules, or an unsupported arch).
	ErrRejected = errors.New("libseccomp rejected the filter")
)

// ENOSYSAction is SCMP_ACT_ERRNO(ENOSYS), what runc's stub returns.
const ENOSYSAction = 0x00050000 | uint32(unix.ENOSYS)

// runc's per-config conversions, spelled out so that this package does not
// share code with the package it is a reference for.

func action(a specs.LinuxSeccompAction, errnoRet *uint) (seccomp.ScmpAction, error) {
	ret := int16(unix.EPERM)
	if errnoRet != nil {
		ret = int16(*errnoRet) // runc truncates the same way
	}
	switch a {
	case specs.ActKill, specs.ActKillThread:
		return seccomp.ActKillThread, nil
	case specs.ActKillProcess:
		return seccomp.ActKillProcess, nil
	case specs.ActTrap:
		return seccomp.ActTrap, nil
	case specs.ActErrno:
		return seccomp.ActErrno.SetReturnCode(ret), nil
	case specs.ActTrace:
		return seccomp.ActTrace.SetReturnCode(ret), nil
	case specs.ActLog:
		return seccomp.ActLog, nil
	case specs.ActAllow:
		return seccomp.ActAllow, nil
	case specs.ActNotify:
		return seccomp.ActNotify, nil
	}
	return seccomp.ActInvalid, fmt.Errorf("%w: invalid action %q", ErrRefused, a)
}

var operators = map[specs.LinuxSeccompOperator]seccomp.ScmpCompareOp{
	specs.OpEqualTo: seccomp.CompareEqual, specs.OpNotEqual: seccomp.CompareNotEqual,
	specs.OpLessThan: seccomp.CompareLess, specs.OpLessEqual: seccomp.CompareLessOrEqual,
	specs.OpGreaterThan: seccomp.CompareGreater, specs.OpGreaterEqual: seccomp.CompareGreaterEqual,
	specs.OpMaskedEqual: seccomp.CompareMaskedEqual,
}

// Arch returns libseccomp's token for an architecture, or an error if the
// installed libseccomp does not know it.
func Arch(a *syscalls.Arch) (seccomp.ScmpArch, error) {
	t, err := seccomp.GetArchFromString(a.Name)
	if err != nil {
		return seccomp.ArchInvalid, fmt.Errorf("%w: architecture %s: %v", ErrRejected, a.Name, err)
	}
	return t, nil
}

// archByOCI maps SCMP_ARCH_* as runc accepts it.
func archByOCI(name specs.Arch) (*syscalls.Arch, error) {
	for _, a := range syscalls.Arches() {
		if a.OCI == string(name) {
			return a, nil
		}
	}
	return nil, fmt.Errorf("%w: unknown architecture %q", ErrRefused, name)
}

// Build compiles oci the way runc's InitSeccomp does, with native as the
// architecture runc runs on (libseccomp's own native architecture is
// swapped out when they differ), and returns the exported program.
func Build(oci *specs.LinuxSeccomp, native *syscalls.Arch, opts Options) (bpf.Program, error) {
	filter, err := newFilter(oci, native, opts)
	if err != nil {
		return nil, err
	}
	defer filter.Release()
	prog, err := export(filter, native)
	if err != nil {
		return nil, err
	}
	if native.BigEndian != hostBigEndian() {
		repairCrossEndianRets(prog, oci)
	}
	if !opts.ENOSYS {
		return prog, nil
	}
	stub, err := ENOSYSStub(oci, native)
	if err != nil {
		return nil, err
	}
	return append(stub, prog...), nil
}

// PFC builds the same filter as Build and returns libseccomp's pseudo
// filter code (seccomp_export_pfc): its rule tree as it means it, before
// BPF generation. The ENOSYS stub is not part of it.
func PFC(oci *specs.LinuxSeccomp, native *syscalls.Arch, opts Options) (string, error) {
	filter, err := newFilter(oci, native, opts)
	if err != nil {
		return "", err
	}
	defer filter.Release()
	raw, err := exportWith(filter.ExportPFC)
	return string(raw), err
}

// newFilter is runc's InitSeccomp up to loading: the filter with its
// architectures, optimisation level and rules.
func newFilter(oci *specs.LinuxSeccomp, native *syscalls.Arch, opts Options) (*seccomp.ScmpFilter, error) {
	if oci == nil || (oci.DefaultAction == "" && len(oci.Syscalls) == 0) {
		return nil, fmt.Errorf("%w: no default action and no syscalls: runc disables seccomp", ErrRefused)
	}
	def, err := action(oci.DefaultAction, oci.DefaultErrnoRet)
	if err != nil {
		return nil, err
	}
	names := 0
	for _, sc := range oci.Syscalls {
		names += len(sc.Names)
		if sc.Action == specs.ActNotify {
			for _, n := range sc.Names {
				if n == "write" {
					return nil, fmt.Errorf("%w: SCMP_ACT_NOTIFY cannot be used for the write syscall", ErrRefused)
				}
			}
		}
	}
	if def == seccomp.ActNotify {
		return nil, fmt.Errorf("%w: SCMP_ACT_NOTIFY cannot be used as default action", ErrRefused)
	}

	filter, err := seccomp.NewFilter(def)
	if err != nil {
		return nil, fmt.Errorf("%w: new filter: %v", ErrRejected, err)
	}
	ok := false
	defer func() {
		if !ok {
			filter.Release()
		}
	}()
	if err := setArches(filter, oci, native); err != nil {
		return nil, err
	}
	if opts.Tree == TreeOn || (opts.Tree == TreeLikeRunc && names > 32) {
		if err := filter.SetOptimize(2); err != nil {
			return nil, fmt.Errorf("%w: binary tree: %v", ErrRejected, err)
		}
	}
	for i, sc := range oci.Syscalls {
		for _, name := range sc.Names {
			if err := addCall(filter, sc, name, def); err != nil {
				return nil, fmt.Errorf("syscalls[%d] %s: %w", i, name, err)
			}
		}
	}
	ok = true
	return filter, nil
}

// setArches makes native the filter's native architecture and adds the
// config's architectures. libseccomp starts with the host's native ABI; a
// different target replaces it (removed first, as libseccomp refuses to mix
// byte orders).
func setArches(filter *seccomp.ScmpFilter, oci *specs.LinuxSeccomp, native *syscalls.Arch) error {
	host, err := seccomp.GetNativeArch()
	if err != nil {
		return fmt.Errorf("%w: native arch: %v", ErrRejected, err)
	}
	want, err := Arch(native)
	if err != nil {
		return err
	}
	if want != host {
		if err := filter.RemoveArch(host); err != nil {
			return fmt.Errorf("%w: remove %v: %v", ErrRejected, host, err)
		}
		if err := filter.AddArch(want); err != nil {
			return fmt.Errorf("%w: add %v: %v", ErrRejected, want, err)
		}
	}
	for _, name := range oci.Architectures {
		a, err := archByOCI(name)
		if err != nil {
			return err
		}
		t, err := Arch(a)
		if err != nil {
			return err
		}
		if err := filter.AddArch(t); err != nil {
			return fmt.Errorf("%w: add %v: %v", ErrRejected, t, err)
		}
	}
	return nil
}

// addCall is runc's matchCall for one name of one entry.
func addCall(filter *seccomp.ScmpFilter, sc specs.LinuxSyscall, name string, def seccomp.ScmpAction) error {
	if name == "" {
		return fmt.Errorf("%w: empty syscall name", ErrRefused)
	}
	act, err := action(sc.Action, sc.ErrnoRet)
	if err != nil {
		return err
	}
	if act == def {
		return nil // runc skips it: libseccomp would refuse it anyway
	}
	nr, err := seccomp.GetSyscallFromName(name)
	if err != nil {
		return nil // runc assumes the kernel lacks it and goes on
	}
	if len(sc.Args) == 0 {
		if err := filter.AddRule(nr, act); err != nil {
			return fmt.Errorf("%w: %v", ErrRejected, err)
		}
		return nil
	}
	var conds []seccomp.ScmpCondition
	var perIndex [6]int
	repeated := false
	for _, arg := range sc.Args {
		op, ok := operators[arg.Op]
		if !ok {
			return fmt.Errorf("%w: invalid operator %q", ErrRefused, arg.Op)
		}
		c, err := seccomp.MakeCondition(arg.Index, op, arg.Value, arg.ValueTwo)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrRefused, err)
		}
		perIndex[arg.Index]++
		repeated = repeated || perIndex[arg.Index] > 1
		conds = append(conds, c)
	}
	if !repeated {
		if err := filter.AddRuleConditional(nr, act, conds); err != nil {
			return fmt.Errorf("%w: %v", ErrRejected, err)
		}
		return nil
	}
	// The same argument twice: libseccomp cannot hold both in one rule,
	// so runc adds one rule per condition (OR).
	for _, c := range conds {
		if err := filter.AddRuleConditional(nr, act, []seccomp.ScmpCondition{c}); err != nil {
			return fmt.Errorf("%w: %v", ErrRejected, err)
		}
	}
	return nil
}

func hostBigEndian() bool {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], 1)
	return b[0] == 0
}

// repairCrossEndianRets works around a libseccomp bug that shows only
// when it generates a filter for an ABI of the other byte order than the
// host's (runc never does; these tests do, for big-endian targets): when a
// return is too far for an 8-bit jump, _gen_bpf_build_jmp_ret (gen_bpf.c,
// 2.5.4) copies the RET instruction by passing its already converted K to
// _gen_bpf_action, which converts it again, so the copy returns the
// byte-swapped action. A RET whose value is no action of this config but
// whose byte swap is one is such a copy and gets its value back.
func repairCrossEndianRets(p bpf.Program, oci *specs.LinuxSeccomp) {
	valid := map[uint32]bool{actionValue(seccomp.ActKillThread): true} // bad arch
	add := func(a specs.LinuxSeccompAction, ret *uint) {
		if act, err := action(a, ret); err == nil {
			valid[actionValue(act)] = true
		}
	}
	add(oci.DefaultAction, oci.DefaultErrnoRet)
	for _, sc := range oci.Syscalls {
		add(sc.Action, sc.ErrnoRet)
	}
	for i, ins := range p {
		if ins.Op == bpf.ClassRET|bpf.RetK && !valid[ins.K] && valid[bits.ReverseBytes32(ins.K)] {
			p[i].K = bits.ReverseBytes32(ins.K)
		}
	}
}

// actionValue is the SECCOMP_RET_* value of a libseccomp action: the Go
// binding keeps the action kind in the low 16 bits and the errno or trace
// data in the high 16.
func actionValue(a seccomp.ScmpAction) uint32 {
	data := uint32(a>>16) & 0xffff
	switch a & 0xffff {
	case seccomp.ActKillThread:
		return 0
	case seccomp.ActKillProcess:
		return 0x80000000
	case seccomp.ActTrap:
		return 0x00030000
	case seccomp.ActErrno:
		return 0x00050000 | data
	case seccomp.ActNotify:
		return 0x7fc00000
	case seccomp.ActTrace:
		return 0x7ff00000 | data
	case seccomp.ActLog:
		return 0x7ffc0000
	case seccomp.ActAllow:
		return 0x7fff0000
	}
	return 0xffffffff
}

// export runs seccomp_export_bpf and decodes the program. It comes out in
// the byte order of the filter's ABIs (libseccomp generates for the target,
// which for runc is the host).
func export(filter *seccomp.ScmpFilter, native *syscalls.Arch) (bpf.Program, error) {
	raw, err := exportWith(filter.ExportBPF)
	if err != nil {
		return nil, err
	}
	var order binary.ByteOrder = binary.LittleEndian
	if native.BigEndian {
		order = binary.BigEndian
	}
	return bpf.Decode(raw, order)
}

// exportWith runs one of libseccomp's exporters into a memory file.
func exportWith(exp func(*os.File) error) ([]byte, error) {
	fd, err := unix.MemfdCreate("libseccomp-export", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "libseccomp-export")
	defer f.Close()
	if err := exp(f); err != nil {
		return nil, fmt.Errorf("%w: export: %v", ErrRejected, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}
