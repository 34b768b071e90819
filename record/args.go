package record

import "github.com/sysfence/sysfence/syscalls"

// ArgField is one deciding argument of a syscall.
type ArgField struct {
	// Index is the argument's position (0..5).
	Index uint8
	// Mask selects the bits that decide the risk; ^0 means the whole
	// value is compared for equality.
	Mask uint64
	// Int32 tells that the kernel reads only the low 32 bits (a C int or
	// unsigned int): a caller may leave anything in the upper half of the
	// register, so rules never compare it.
	Int32 bool
	// Deref tells that the argument is a pointer and the value is the
	// 64-bit word it points to (clone3's struct clone_args.flags). Seccomp
	// cannot look there; see the clone3 rule in doc.go.
	Deref bool
}

// ArgSpec lists the deciding arguments of one syscall.
type ArgSpec struct {
	Name   string
	Fields []ArgField // at most len(ArgValues)
}

// Constants of the rule shapes (from the kernel's uapi headers).
const (
	// sockTypeMask is SOCK_TYPE_MASK: socket's type without
	// SOCK_NONBLOCK/SOCK_CLOEXEC.
	sockTypeMask = 0xf
	// cloneNamespaces is every CLONE_NEW* flag clone(2) accepts:
	// NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET (Docker's
	// default profile uses the same mask, 2114060288).
	cloneNamespaces = 0x7E020000
	// cloneNewTime is CLONE_NEWTIME, which only clone3 and unshare take
	// (for clone it overlaps the exit signal).
	cloneNewTime = 0x80
	// unshareNamespaces is every namespace flag of unshare and clone3.
	unshareNamespaces = cloneNamespaces | cloneNewTime
	// protExec is PROT_EXEC.
	protExec = 0x4
)

const whole = ^uint64(0)

// argSpecs are the syscalls whose arguments decide the risk. Keep doc.go's
// table in sync.
var argSpecs = []ArgSpec{
	{Name: "socket", Fields: []ArgField{{Index: 0, Mask: whole, Int32: true}, {Index: 1, Mask: sockTypeMask, Int32: true}}},
	{Name: "clone", Fields: []ArgField{{Index: 0, Mask: cloneNamespaces}}},
	{Name: "clone3", Fields: []ArgField{{Index: 0, Mask: unshareNamespaces, Deref: true}}},
	{Name: "unshare", Fields: []ArgField{{Index: 0, Mask: unshareNamespaces}}},
	{Name: "personality", Fields: []ArgField{{Index: 0, Mask: whole, Int32: true}}},
	{Name: "prctl", Fields: []ArgField{{Index: 0, Mask: whole, Int32: true}}},
	{Name: "ioctl", Fields: []ArgField{{Index: 1, Mask: whole, Int32: true}}},
	{Name: "mmap", Fields: []ArgField{{Index: 2, Mask: protExec}}},
	{Name: "mmap2", Fields: []ArgField{{Index: 2, Mask: protExec}}},
	{Name: "mprotect", Fields: []ArgField{{Index: 2, Mask: protExec}}},
	{Name: "pkey_mprotect", Fields: []ArgField{{Index: 2, Mask: protExec}}},
}

// ArgSpecs returns the syscalls whose argument values --args records.
func ArgSpecs() []ArgSpec { return argSpecs }

// ArgSpecFor returns the deciding arguments of syscall nr on arch, with the
// argument positions of that ABI (clone takes its flags second on s390).
func ArgSpecFor(arch *syscalls.Arch, nr uint32) (ArgSpec, bool) {
	name, ok := arch.SyscallName(nr)
	if !ok {
		return ArgSpec{}, false
	}
	for _, s := range argSpecs {
		if s.Name != name {
			continue
		}
		if name == "clone" && arch.CloneFlagsArg() != 0 {
			f := s.Fields[0]
			f.Index = arch.CloneFlagsArg()
			return ArgSpec{Name: name, Fields: []ArgField{f}}, true
		}
		return s, true
	}
	return ArgSpec{}, false
}
