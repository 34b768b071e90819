package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// sendToAgent hands the listener fd (sysfence's copy) of the command
// pid to the agent.
func sendToAgent(a *Agent, fd, pid int) error {
	cwd, _ := os.Getwd()
	state := specs.ContainerProcessState{
		Version:  specs.Version,
		Fds:      []string{specs.SeccompFdName},
		Pid:      pid,
		Metadata: a.Metadata,
		// Not a container: the "container" is the command sysfence runs,
		// named after its pid, in sysfence's working directory.
		State: specs.State{Version: specs.Version, ID: "sysfence-" + strconv.Itoa(pid), Status: specs.StateRunning, Pid: pid, Bundle: cwd},
	}
	msg, err := json.Marshal(state)
	if err != nil {
		return err
	}
	sock, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("sandbox: seccomp agent %s: %w", a.Path, err)
	}
	defer unix.Close(sock)
	if err := unix.Connect(sock, &unix.SockaddrUnix{Name: a.Path}); err != nil {
		return fmt.Errorf("sandbox: seccomp agent %s (the profile's listenerPath): %w", a.Path, err)
	}
	if err := unix.Sendmsg(sock, msg, unix.UnixRights(fd), nil, 0); err != nil {
		return fmt.Errorf("sandbox: handing the listener to the seccomp agent %s: %w", a.Path, err)
	}
	return nil
}
