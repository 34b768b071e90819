package recorder

import "golang.org/x/sys/unix"

// The command's pidfd lets Stop kill it without risking a reused pid.

func openPidfd(pid int) int {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1
	}
	return fd
}

func killPidfd(fd int) { unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0) }

func closePidfd(fd int) { unix.Close(fd) }
