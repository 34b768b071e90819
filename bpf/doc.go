// Package bpf models classic BPF as seccomp uses it: instructions, programs,
// their raw encoding (struct sock_filter), an emulator over seccomp_data with
// an instruction count, an emulation of the kernel's seccomp action cache,
// and a disassembler.
//
// It knows nothing about profiles or the kernel: the compiler produces
// programs, the seccomp package loads them, and tests and `sysfence check`
// run them here. Errors carry the program counter (*Error).
package bpf
