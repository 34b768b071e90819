// Package libseccomp is the reference compiler for sysfence's differential
// tests and benchmarks: it builds a seccomp filter from an OCI seccomp
// config with the real libseccomp (through github.com/seccomp/libseccomp-golang,
// cgo) exactly the way runc does, and exports it as a bpf.Program, with
// runc's ENOSYS stub optionally prepended.
//
// Everything except this file needs the build tag "libseccomp" (and
// libseccomp-dev installed): shipped sysfence binaries are pure Go and never
// link it. Build it with `go test -tags libseccomp`.
//
// The code follows runc v1.5 (libcontainer/seccomp and its patchbpf ENOSYS
// stub) in behaviour; it is written from that understanding, not copied.
package libseccomp
