// Package bpf models classic BPF as seccomp uses it: instructions,
// programs and their raw encoding (struct sock_filter), the kernel's load
// checks, an emulator over seccomp_data with an instruction count, an
// emulation of the kernel's seccomp action cache, a disassembler, an
// assembler that reads its listings back, and output formats.
//
//   - Validate accepts exactly what seccomp(2) accepts (bpf_check_classic
//     then seccomp_check_filter), naming the offending instruction.
//   - Run executes a program as the kernel does, on either byte order.
//   - CacheCheck and Cache tell which syscalls the kernel (5.11+) caches as
//     always allowed, so that the filter never runs for them.
//   - Disassemble writes a seccomp-tools-like listing with syscall names of
//     the architecture the program has just compared; Dot draws the
//     control-flow graph; Assemble reads listings back exactly.
//   - Format writes raw, disasm, c, go, json or dot output.
//
// It knows nothing about profiles or loading filters: package compile
// produces programs, package seccomp loads them, and whatever must know
// what a program answers without loading it (tests, checks, reports) runs
// it here. Errors carry the program counter (*Error) or the input
// line (*SyntaxError).
package bpf
