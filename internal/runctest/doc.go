// Package runctest runs commands in a real container runtime for tests:
// Debian's runc with an OCI bundle whose root filesystem is busybox-static
// (/bin/busybox copied in, one symlink per applet). It is how sysfence
// proves that what it enforces is what a container runtime enforces: put
// a seccomp profile (a resolved OCI LinuxSeccomp, exactly what Docker
// hands runc) into the bundle's config.json and compare outcomes.
//
//	runctest.Require(t)                  // skips, or fails in CI, without runc/root/busybox-static
//	b := runctest.NewT(t, runctest.Config{HostNetwork: true})
//	res, err := b.Run(ctx, runctest.Run{Args: []string{"sh", "-c", "echo hi"}, Seccomp: oci})
//	// res.Stdout, res.Stderr, res.ExitCode (128+N when killed by signal N)
//
// # The bundle
//
// config.json starts from `runc spec` (the runtime's own defaults: pid,
// ipc, uts and mount namespaces, masked and read-only /proc paths, a
// read-only root) and is adjusted to look like a Docker container: no
// terminal, Docker's default capability set (Config.Caps to change it),
// noNewPrivileges false unless a Run asks for it (Docker's default; runc
// then loads the filter before it drops privileges). With
// Config.HostNetwork the network namespace is left out, so the container
// shares the host's: a server in it listening on 127.0.0.1 is reachable
// from the test (and a test server from it) without any bridge or port
// mapping.
//
// # Running
//
// Each Run writes config.json and runs `runc run` with a fresh container
// id under a private state directory (runc --root, so parallel tests and
// other users of runc never meet), in the foreground: the container gets
// runc's own stdin, stdout and stderr, so Result.Stdout and Result.Stderr
// are exactly what the container wrote, and runc's own log goes to a file
// (Result.RuncLog). Result.ExitCode is runc's, which is the container's
// exit status (128+N for signal N). On timeout (Run.Timeout, default 30s,
// or the context) the container is killed with `runc kill` and the Result
// says so; Close deletes whatever is left.
package runctest
