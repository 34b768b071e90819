package ebpfasm

import (
	"time"

	"golang.org/x/sys/unix"
)

// CheckPrivileges requires CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN,
// which implies both and is what kernels before 5.8 ask for).
func CheckPrivileges() *Missing {
	const what = "CAP_BPF and CAP_PERFMON (run as root)"
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return &Missing{what, err}
	}
	has := func(c uint) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	if has(unix.CAP_SYS_ADMIN) || (has(unix.CAP_BPF) && has(unix.CAP_PERFMON)) {
		return nil
	}
	return &Missing{What: what}
}

// procInitPIDNS is PROC_PID_INIT_INO, the inode of the initial PID
// namespace.
const procInitPIDNS = 0xEFFFFFFC

// CheckPIDNamespace: the programs see global process ids, and the ids
// user space gives them (a process to follow) are as it sees them; the
// two agree only in the initial PID namespace.
func CheckPIDNamespace() *Missing {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/pid", &st); err != nil {
		return &Missing{"/proc mounted", err}
	}
	if st.Ino != procInitPIDNS {
		return &Missing{What: "to run in the initial PID namespace (not inside a container)"}
	}
	return nil
}

// membarrierCmdGlobal is MEMBARRIER_CMD_GLOBAL from <linux/membarrier.h>
// (x/sys/unix does not define it).
const membarrierCmdGlobal = 1

// WaitForPrograms waits for an RCU grace period: raw tracepoint programs
// run inside an RCU read-side critical section, and MEMBARRIER_CMD_GLOBAL
// returns only after synchronize_rcu(), so after it no program that
// started before its link was released is still running, and every map
// update and ring buffer record it made has landed.
func WaitForPrograms() {
	if _, _, e := unix.Syscall(unix.SYS_MEMBARRIER, membarrierCmdGlobal, 0, 0); e != 0 {
		// Without membarrier a grace period is still very likely over.
		time.Sleep(50 * time.Millisecond)
	}
}
