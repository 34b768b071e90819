package ebpfasm

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf/btf"
)

// Missing is what this machine lacks for the programs: a privilege, a
// kernel feature, a member of a kernel struct in BTF. record/ebpf and
// watch turn it into their own refusal, which matches ErrNotSupported.
type Missing struct {
	What string // "CAP_BPF and CAP_PERFMON (run as root)"
	Err  error  // the cause, if any
}

// TaskLayout is where the programs find, from the current task (a BTF
// pointer), its ids and the ABI of its syscall, and in its pt_regs the
// syscall's arguments.
type TaskLayout struct {
	Status    uint32 // offsetof(task_struct, thread_info.status), which holds TS_COMPAT
	Pid, Tgid uint32 // offsetof(task_struct, pid), offsetof(task_struct, tgid)
	// NativeArgs and CompatArgs are offsetof(pt_regs, reg) of the six
	// syscall argument registers of each ABI (x32 uses the native ones).
	NativeArgs, CompatArgs [6]uint32
}

// KernelSpec loads the running kernel's BTF.
func KernelSpec() (*btf.Spec, *Missing) {
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		return nil, &Missing{"kernel BTF (CONFIG_DEBUG_INFO_BTF, /sys/kernel/btf/vmlinux)", err}
	}
	return spec, nil
}

// MissingInBTF says that the kernel's BTF lacks what ("struct pt_regs",
// "task_struct.pid").
func MissingInBTF(what string, err error) *Missing {
	return &Missing{"a kernel whose BTF has " + what, err}
}

// ReadTaskLayout finds the TaskLayout in a kernel's BTF.
func ReadTaskLayout(spec *btf.Spec) (TaskLayout, *Missing) {
	var l TaskLayout
	var task, ti, regs *btf.Struct
	for _, s := range []struct {
		name string
		dst  **btf.Struct
	}{{"task_struct", &task}, {"thread_info", &ti}, {"pt_regs", &regs}} {
		if err := spec.TypeByName(s.name, s.dst); err != nil {
			return l, MissingInBTF("struct "+s.name, err)
		}
	}
	tiOff, err := Member(task, "thread_info", 0)
	if err != nil {
		return l, MissingInBTF("task_struct.thread_info (CONFIG_THREAD_INFO_IN_TASK)", err)
	}
	status, err := Member(ti, "status", 4)
	if err != nil {
		return l, MissingInBTF("thread_info.status", err)
	}
	l.Status = tiOff + status
	if l.Pid, err = Member(task, "pid", 4); err != nil {
		return l, MissingInBTF("task_struct.pid", err)
	}
	if l.Tgid, err = Member(task, "tgid", 4); err != nil {
		return l, MissingInBTF("task_struct.tgid", err)
	}
	for i, n := range []string{"di", "si", "dx", "r10", "r8", "r9"} {
		if l.NativeArgs[i], err = Member(regs, n, 8); err != nil {
			return l, MissingInBTF("pt_regs."+n, err)
		}
	}
	for i, n := range []string{"bx", "cx", "dx", "si", "di", "bp"} {
		if l.CompatArgs[i], err = Member(regs, n, 8); err != nil {
			return l, MissingInBTF("pt_regs."+n, err)
		}
	}
	// The programs load these through BTF pointers, whose offsets are
	// 16-bit.
	if l.Status > 1<<15-4 || l.Tgid > 1<<15-4 || l.Pid > 1<<15-4 {
		return l, MissingInBTF("thread_info.status, task_struct.pid and tgid within reach of a BPF load", nil)
	}
	return l, nil
}

// Member returns the byte offset of a struct member, also of one inside
// anonymous structs and unions (mm_struct keeps its fields in one),
// checking its size when size > 0.
func Member(s *btf.Struct, name string, size int) (uint32, error) {
	off, ok, err := findMember(s.Members, name, size)
	if err != nil {
		return 0, fmt.Errorf("%s.%s: %w", s.Name, name, err)
	}
	if !ok {
		return 0, fmt.Errorf("no member %s in %s", name, s.Name)
	}
	return off, nil
}

func findMember(members []btf.Member, name string, size int) (uint32, bool, error) {
	for _, m := range members {
		if m.Name == "" {
			var inner []btf.Member
			switch t := btf.UnderlyingType(m.Type).(type) {
			case *btf.Struct:
				inner = t.Members
			case *btf.Union:
				inner = t.Members
			}
			if off, ok, err := findMember(inner, name, size); ok || err != nil {
				return m.Offset.Bytes() + off, ok, err
			}
			continue
		}
		if m.Name != name {
			continue
		}
		if m.Offset%8 != 0 {
			return 0, false, errors.New("a bitfield")
		}
		if size > 0 {
			sz, err := btf.Sizeof(m.Type)
			if err != nil {
				return 0, false, err
			}
			if sz != size {
				return 0, false, fmt.Errorf("has %d bytes, want %d", sz, size)
			}
		}
		return m.Offset.Bytes(), true, nil
	}
	return 0, false, nil
}
