// Package diff tells exactly where two seccomp filters decide
// differently: for every ABI, every run of syscall numbers and every
// region of argument values on which they return different values, one
// Finding with both answers and a concrete call in the region. Nothing is
// sampled: both filters are lifted (package lift) into canonical decision
// diagrams of one Space, and their product lists the differences.
//
// Subset answers the question CI asks of an image's profile: does A ever
// decide more permissively than B, under the kernel's precedence of
// actions? Filters stacked on a thread are first combined with
// lift.Stack, as the kernel combines them.
//
// Findings render as one line each (Finding.String):
//
//	x86_64 personality(arg0 ∉ {0, 8, 0x20000, 0x20008, 0xffffffff}): A ERRNO(EPERM), B ALLOW — e.g. personality(0x1)
//
// and as JSON.
package diff
