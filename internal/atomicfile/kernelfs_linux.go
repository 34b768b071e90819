package atomicfile

import "golang.org/x/sys/unix"

// kernelFSNames are file systems whose files the kernel makes up: no file
// can be created in them (procfs answers ENOENT, which would read as a
// missing directory), so no file can be replaced atomically either.
var kernelFSNames = map[uint32]string{
	unix.PROC_SUPER_MAGIC:    "proc",
	unix.SYSFS_MAGIC:         "sysfs",
	unix.CGROUP_SUPER_MAGIC:  "cgroup",
	unix.CGROUP2_SUPER_MAGIC: "cgroup2",
	unix.DEBUGFS_MAGIC:       "debugfs",
	unix.TRACEFS_MAGIC:       "tracefs",
	unix.SECURITYFS_MAGIC:    "securityfs",
	unix.BPF_FS_MAGIC:        "bpf",
	0x62656570:               "configfs", // CONFIGFS_MAGIC, not in x/sys/unix
	unix.PSTOREFS_MAGIC:      "pstore",
	unix.SELINUX_MAGIC:       "selinuxfs",
	unix.SMACK_MAGIC:         "smackfs",
	unix.NSFS_MAGIC:          "nsfs",
	unix.BINFMTFS_MAGIC:      "binfmt_misc",
}

// kernelFS names the kernel file system dir is on, or "".
func kernelFS(dir string) string {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return ""
	}
	return kernelFSNames[uint32(st.Type)] // Type is int32 on some 32-bit arches
}
