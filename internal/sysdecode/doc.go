// Package sysdecode turns a raw syscall (ABI, number, six register
// arguments) into the line a person reads, the way strace prints it:
//
//	openat(AT_FDCWD, "/etc/shadow", O_RDONLY)
//
// It knows the argument types of the syscalls people meet most (files,
// processes, memory, sockets, signals); strings and argv arrays are read
// from the traced process's memory through a Memory (for instance
// /proc/PID/mem, see OpenProcMem); flags are named where their values are
// the same on every ABI sysfence decodes them for and printed in hex
// elsewhere. A syscall whose argument types it does not know is printed
// with its registers in hex, as many as the call takes on its ABI (for the
// x86 ABIs from data/syscall_args.csv, strace's count; elsewhere up to the
// last register that is not zero).
//
// Used by `sysfence run` to say what the filter refused, and meant for the
// recorder and the audit mode. It is pure Go and does not care where the
// registers came from (ptrace, seccomp notification, eBPF).
package sysdecode

//go:generate go run ./internal/gen/genargs -in ../../data/syscall_args.csv -out zargs.go
