package cgroups

import (
	"regexp"
	"strings"
)

// Container is a container found in a cgroup path.
type Container struct {
	// ID is the container's ID as its runtime names it.
	ID string
	// Runtime says which layout matched: "docker", "containerd",
	// "cri-o", "podman", "kubernetes" (a cgroupfs pod path), or "" for
	// a bare 64-hex name.
	Runtime string
}

var (
	hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// systemd driver scopes and Podman's cgroupfs names.
	scoped = regexp.MustCompile(`^(docker|cri-containerd|crio|libpod|containerd)-([0-9a-f]{64})(\.scope)?$`)
)

var scopeRuntime = map[string]string{
	"docker": "docker", "cri-containerd": "containerd", "containerd": "containerd",
	"crio": "cri-o", "libpod": "podman",
}

// ContainerID finds the container a cgroup path belongs to: the
// innermost component that names one (a container may create cgroups of
// its own below its cgroup). Podman's conmon scopes (libpod-conmon-ID)
// are not containers.
func ContainerID(path string) (Container, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		p := parts[i]
		if m := scoped.FindStringSubmatch(p); m != nil {
			return Container{ID: m[2], Runtime: scopeRuntime[m[1]]}, true
		}
		if hex64.MatchString(p) {
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
	if hex64.MatchString(id) {
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
	if m := scoped.FindStringSubmatch(name); m != nil {
		full = m[2]
	} else if !hex64.MatchString(name) {
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
