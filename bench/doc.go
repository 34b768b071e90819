// Package bench puts sysfence's compiler side by side with its peers on
// Docker's default seccomp profile: libseccomp (what runc and Docker use;
// cgo, build tag libseccomp), gVisor's pkg/seccomp and
// github.com/elastic/go-seccomp-bpf. It is a separate module so that the
// peers never become dependencies of sysfence itself.
//
// Every contestant gets the same input: moby's default profile, parsed
// and resolved by moby's own code for this machine (amd64, Docker's default
// capabilities, the running kernel), then translated into the
// contestant's own rule types. Every program it produces is run on
// sysfence's emulator and on an emulation of the kernel's action cache.
// The figures: program length, cached args-free allowed syscalls,
// instructions executed for allowed argument-checked calls and for denied
// syscalls, and the median time of parse + resolve + compile.
//
// `go run ./cmd/compare` (scripts/bench.sh) prints the table; `go test
// -bench .` has the timing benchmarks.
package bench
