// Package e2e holds sysfence's end-to-end tests: the classic seccomp
// scenarios of issue 3, run through the real `sysfence` binary (built
// with CGO_ENABLED=0, as shipped) with profiles written by the tests, and
// the same profiles under runc (package runctest) to show that what
// sysfence enforces is what a container runtime enforces. It also has the
// benchmarks behind docs/performance.md's numbers (start-up cost, and the per-call
// cost of the compiled Docker default against libseccomp's; the latter
// needs the build tag libseccomp).
//
// The package has no code of its own besides this comment: everything is
// in its tests. They need Linux on x86_64, root for runc, a C compiler
// with static glibc, busybox-static and runc; outside CI a missing piece
// skips the test, in CI (CI=true) it fails it.
package e2e
