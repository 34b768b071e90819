// Package cgroups finds the cgroups that watch and record select
// (--cgroup PATH, --container ID) and names the cgroup and container of a
// process for their reports.
//
// Selection works on the unified (v2) hierarchy, mounted at
// /sys/fs/cgroup on cgroup v2 machines and at /sys/fs/cgroup/unified on
// hybrid ones: the eBPF programs ask the kernel for the current task's
// ancestor at a cgroup's level (bpf_get_current_ancestor_cgroup_id) and
// compare it with the cgroup's id, which is the inode number of its
// directory. Container runtimes create a cgroup per container there in
// both setups; a machine with only v1 hierarchies has no such id, and
// Resolve says so.
//
// ContainerID recognises the layouts of runc and containerd (cgroupfs:
// /docker/ID, /default/ID, /kubepods/.../ID), of the systemd cgroup
// driver (docker-ID.scope, cri-containerd-ID.scope, crio-ID.scope) and of
// Podman (libpod-ID.scope, /libpod_parent/libpod-ID); FindContainer also
// accepts a cgroup named after the container, which is what bare runc
// creates without cgroupsPath.
package cgroups
