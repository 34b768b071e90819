// Package ebpfasm builds eBPF programs instruction by instruction with
// forward labels, over cilium/ebpf's asm package, for the programs that
// record/ebpf and watch write by hand (they are generated per kernel from
// BTF offsets, so neither C nor a BPF compiler is needed at build time),
// and holds what both need around them: the task layout read from BTF
// (TaskLayout, Member), the ABI of a syscall (Builder.ABI, Arches), the
// checks before loading (CheckPrivileges, CheckPIDNamespace) and the wait
// for programs still running after a detach (WaitForPrograms).
//
// cilium/ebpf resolves symbolic jumps when a program is loaded; what it
// lacks is a way to put a label on an instruction not yet emitted, which
// is what Builder adds.
package ebpfasm
