package cgroups

import (
	"strings"
	"testing"
)

func TestContainerID(t *testing.T) {
	id := strings.Repeat("3f2a9c1b", 8)
	for _, tc := range []struct {
		layout, path string
		want         Container
		ok           bool
	}{
		{"docker-cgroupfs", "/docker/" + id, Container{id, "docker"}, true},
		{"docker-systemd", "/system.slice/docker-" + id + ".scope", Container{id, "docker"}, true},
		{"containerd-systemd", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-" + id + ".scope", Container{id, "containerd"}, true},
		{"crio", "/kubepods.slice/kubepods-pod1.slice/crio-" + id + ".scope", Container{id, "cri-o"}, true},
		{"podman-systemd", "/machine.slice/libpod-" + id + ".scope", Container{id, "podman"}, true},
		{"podman-cgroupfs", "/libpod_parent/libpod-" + id, Container{id, "podman"}, true},
		{"podman-sub-cgroup", "/machine.slice/libpod-" + id + ".scope/container", Container{id, "podman"}, true},
		{"kubernetes-cgroupfs", "/kubepods/burstable/pod0c5d/" + id, Container{id, "kubernetes"}, true},
		{"bare-hex", "/" + id, Container{id, ""}, true},
		{"podman-conmon", "/machine.slice/libpod-conmon-" + id + ".scope", Container{}, false},
		{"systemd-service", "/system.slice/nginx.service", Container{}, false},
		{"bare-runc-name", "/mycontainer", Container{}, false},
		{"root", "/", Container{}, false},
		{"uppercase-is-no-id", "/docker/" + strings.ToUpper(id), Container{}, false},
	} {
		t.Run("layout="+tc.layout, func(t *testing.T) {
			got, ok := ContainerID(tc.path)
			if ok != tc.ok || got != tc.want {
				t.Errorf("ContainerID(%q) = %+v, %v; want %+v, %v", tc.path, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestMatchesContainer(t *testing.T) {
	id := strings.Repeat("0123456789abcdef", 4)
	for _, tc := range []struct {
		name, id string
		want     bool
	}{
		{"mycontainer", "mycontainer", true},
		{"mycontainer2", "mycontainer", false},
		{"docker-" + id + ".scope", id, true},
		{"docker-" + id + ".scope", id[:12], true},
		{id, id[:4], true},
		{id, id[:3], false}, // too short to be an abbreviation
		{"libpod-conmon-" + id + ".scope", id, false},
		{"libpod-" + id, id[:12], true},
		{"system.slice", "system", false},
	} {
		if got := matchesContainer(tc.name, tc.id); got != tc.want {
			t.Errorf("matchesContainer(%q, %q) = %v, want %v", tc.name, tc.id, got, tc.want)
		}
	}
}

func TestShortID(t *testing.T) {
	id := strings.Repeat("ab", 32)
	if got := ShortID(id); got != "abababababab" {
		t.Errorf("ShortID(64 hex) = %q", got)
	}
	if got := ShortID("runctest-1-2"); got != "runctest-1-2" {
		t.Errorf("ShortID(name) = %q", got)
	}
}
