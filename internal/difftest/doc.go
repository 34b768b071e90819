// Package difftest holds sysfence's differential test harness: a
// generator of random OCI seccomp configs and of syscalls that probe their
// boundaries, and a comparison of filter compilers ("contestants") against
// the reference semantics, policy.Decide on policy.FromOCI.
//
// The harness itself is pure Go. The contestant that matters most,
// libseccomp built the way runc builds it (internal/reference/libseccomp),
// needs cgo: its tests carry the build tag "libseccomp":
//
//	go test -tags libseccomp ./internal/difftest -v
//	go test -tags libseccomp ./internal/difftest -run Random -seed 42 -profiles 5000
//
// Every random run logs its seed; -seed reproduces it and -profile N
// replays one profile of it.
package difftest
