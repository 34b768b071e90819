//go:build libseccomp

package libseccomp

import (
	seccomp "github.com/seccomp/libseccomp-golang"

	"github.com/sysfence/sysfence/syscalls"
)

// Version returns the version of the libseccomp library in use.
func Version() (major, minor, micro uint) { return seccomp.GetLibraryVersion() }

// ResolveName is seccomp_syscall_resolve_name_arch: the number libseccomp
// gives name on a, possibly a negative pseudo number (a name it knows but
// the ABI lacks, or a socket/IPC name on a multiplexing ABI); ok is false
// when libseccomp does not know the name at all or not the ABI.
func ResolveName(a *syscalls.Arch, name string) (nr int32, ok bool) {
	t, err := Arch(a)
	if err != nil {
		return 0, false
	}
	n, err := seccomp.GetSyscallFromNameByArch(name, t)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}

// ResolveNum is seccomp_syscall_resolve_num_arch: the name libseccomp
// gives a number on a ("" if none).
func ResolveNum(a *syscalls.Arch, nr uint32) string {
	t, err := Arch(a)
	if err != nil {
		return ""
	}
	name, err := seccomp.ScmpSyscall(int32(nr)).GetNameByArch(t)
	if err != nil {
		return ""
	}
	return name
}
