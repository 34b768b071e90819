// Package profile reads, resolves and writes seccomp profiles in the
// formats the container world uses: Docker's profile JSON (moby's types,
// with archMap and includes/excludes conditions), a bare OCI runtime-spec
// LinuxSeccomp or a whole config.json, Podman's extensions (errno names,
// SCMP_ARCH_NATIVE) and the Kubernetes Security Profiles Operator's
// SeccompProfile, each as JSON or YAML.
//
// Parse is strict where the runtimes are lenient: an unknown or misspelled
// field, a wrong type, an unknown action, operator, architecture, flag,
// capability or errno name is an error that names the file, line:column
// and field path, with a suggestion:
//
//	profile.json:41:17: syscalls[12].args[0].op: unknown operator "SCMP_CMP_EQUAL" (did you mean SCMP_CMP_EQ?)
//
// The parsed model is moby's seccomp.Seccomp, so sysfence reads exactly
// what Docker reads; Resolve then applies a Docker profile's conditions for
// an explicit Target (architecture, capabilities, kernel) exactly as moby
// does for the machine it runs on, giving the runtime-spec profile that
// policy.FromOCI compiles.
//
// A profile may carry an "x-sysfence" section with path and port rules
// (see Extension); Docker, runc and Podman ignore it.
//
// The package is pure Go and builds on every OS.
package profile
