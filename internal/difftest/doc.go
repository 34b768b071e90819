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
//	go test -tags libseccomp ./internal/difftest -run SameKind -samekind 5000
//
// RandomProfile makes profiles of every shape; SameKindProfile makes
// profiles whose syscalls have overlapping rules of one action kind with
// other data (Decide's rule 5). Inputs that Decide's rule 4 decides
// (Conflict) are left out, and so are those where rule 5 falls back on
// profile order (ProfileOrder): libseccomp's answer is not defined there.
// Every random run logs its seed; -seed reproduces it and -profile N
// replays one profile of it.
package difftest
