package cgroups

import "strings"

// Container is a container found in a cgroup path.
type Container struct {
	// ID is the container's ID as its runtime names it.
	ID string
	// Runtime says which layout matched: "docker", "containerd",
	// "cri-o", "podman", "kubernetes" (a cgroupfs pod path), or "" for
	// a bare 64-hex name.
	Runtime string
}

// Matched by hand rather than with regexp: these run for every reported
// decision, and package-level regexps would be compiled at every start of
// the binary.

// isHex64 reports whether s is a 64-digit lower-case hex ID.
func isHex64(s string) bool { return len(s) == 64 && isHex(s) }

// scoped splits the systemd driver's scope names and Podman's cgroupfs
// names ("docker-ID.scope", "cri-containerd-ID.scope", "crio-ID.scope",
// "libpod-ID", "containerd-ID") into the container's ID and its runtime.
func scoped(name string) (id, runtime string, ok bool) {
	i := strings.LastIndexByte(strings.TrimSuffix(name, ".scope"), '-')
	if i < 0 {
		return "", "", false
	}
	prefix, id := name[:i], strings.TrimSuffix(name[i+1:], ".scope")
	if !isHex64(id) {
		return "", "", false
	}
	switch prefix {
	case "docker":
		runtime = "docker"
	case "cri-containerd", "containerd":
		runtime = "containerd"
	case "crio":
		runtime = "cri-o"
	case "libpod":
		runtime = "podman"
	default:
		return "", "", false
	}
	return id, runtime, true
}

// ContainerID finds the container a cgroup path belongs to: the
// innermost component that names one (a container may create cgroups of
// its own below its cgroup). Podman's conmon scopes (libpod-conmon-ID)
// are not containers.
func ContainerID(path string) (Container, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		p := parts[i]
		if id, rt, ok := scoped(p); ok {
			return Container{ID: id, Runtime: rt}, true
		}
		if isHex64(p) {
			rt := ""
			if i > 0 {
				switch parent := parts[i-1]; {
				case parent == "docker":
					rt = "docker"
				case strings.HasPrefix(parent, "kubepods") || strings.HasPrefix(parent, "pod"):
					rt = "kubernetes"
				}
			}
			return Container{ID: p, Runtime: rt}, true
		}
	}
	return Container{}, false
}

// ShortID is how the text reports name a container: the first 12
// characters of a 64-hex ID (as docker ps shows it), other IDs whole.
func ShortID(id string) string {
	if isHex64(id) {
		return id[:12]
	}
	return id
}

// matchesContainer reports whether a cgroup directory name is the
// cgroup of container id: the name itself (bare runc, containerd's
// cgroupfs layout), a runtime's scope around it, or, for an
// abbreviation of at least 4 hex digits, a 64-hex ID it begins.
func matchesContainer(name, id string) bool {
	if name == id {
		return true
	}
	if strings.HasPrefix(name, "libpod-conmon-") {
		return false
	}
	full := name
	if id, _, ok := scoped(name); ok {
		full = id
	} else if !isHex64(name) {
		return false
	}
	return full == id || (len(id) >= 4 && isHex(id) && strings.HasPrefix(full, id))
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
