package atomicfile

import "golang.org/x/sys/unix"

// kernelFSName names the file systems whose files the kernel makes up,
// or "": no file can be created in them (procfs answers ENOENT, which
// would read as a missing directory), so no file can be replaced
// atomically either.
func kernelFSName(magic uint32) string {
	switch magic {
	case unix.PROC_SUPER_MAGIC:
		return "proc"
	case unix.SYSFS_MAGIC:
		return "sysfs"
	case unix.CGROUP_SUPER_MAGIC:
		return "cgroup"
	case unix.CGROUP2_SUPER_MAGIC:
		return "cgroup2"
	case unix.DEBUGFS_MAGIC:
		return "debugfs"
	case unix.TRACEFS_MAGIC:
		return "tracefs"
	case unix.SECURITYFS_MAGIC:
		return "securityfs"
	case unix.BPF_FS_MAGIC:
		return "bpf"
	case 0x62656570: // CONFIGFS_MAGIC, not in x/sys/unix
		return "configfs"
	case unix.PSTOREFS_MAGIC:
		return "pstore"
	case unix.SELINUX_MAGIC:
		return "selinuxfs"
	case unix.SMACK_MAGIC:
		return "smackfs"
	case unix.NSFS_MAGIC:
		return "nsfs"
	case unix.BINFMTFS_MAGIC:
		return "binfmt_misc"
	}
	return ""
}

// kernelFS names the kernel file system dir is on, or "".
func kernelFS(dir string) string {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return ""
	}
	return kernelFSName(uint32(st.Type)) // Type is int32 on some 32-bit arches
}
