// Package syscalls holds the Linux system call tables of every architecture
// seccomp supports, with what a filter needs to know about each ABI: the
// AUDIT_ARCH token the kernel puts in seccomp_data.arch, the word size that
// decides how 64-bit argument comparisons are emitted, the byte order, the
// x32 syscall bit and the socketcall/ipc multiplexers.
//
// The tables are generated from data/syscalls.csv (libseccomp's table) by
// internal/gen; this package is pure Go and builds on every OS.
package syscalls

//go:generate go run ./internal/gen/gensyscalls -in ../data/syscalls.csv -out zsyscalls.go
