// Package lift turns a classic-BPF seccomp filter back into what it
// decides: for every architecture token, every syscall number and every
// region of argument values, the filter's answer, exactly.
//
// Space.Program runs the program symbolically over every path at once and
// builds a Func: a reduced, ordered decision diagram over the 512 bits of
// struct seccomp_data (arch, nr, the six 64-bit arguments high word
// first, the instruction pointer), whose terminals are return values. The
// registers hold a constant or a bitwise image of one input word (what
// loads, and, or, xor and constant shifts make), so every comparison
// (jeq, jgt, jge, jset, against K or X) is a set of values of one word,
// represented exactly whatever its shape (intervals, bit masks, both).
// Arithmetic that mixes input words has no such image: Program refuses
// it with an *UnsupportedError naming the instruction, never
// approximates. Programs compiled by sysfence or libseccomp never need
// it.
//
// Diagrams of one Space are canonical: two filters decide every input
// alike exactly when their Funcs are equal, and Combine gives their
// product (what package diff reports), Stack the decision of stacked
// filters under the kernel's precedence, Eval the answer for one input
// (what bpf.Run returns).
//
// For reading, Table lays a Func out by ABI (the AUDIT_ARCH token, and the
// x32 bit on x86_64's token, as policy.Decide splits them), by runs of
// syscall numbers decided alike, then (Func.Cases) by value and region of
// arguments as boxes of per-argument Sets, which render as conditions
// ("arg0 ∉ {0, 8, 0x20000}", "(arg0 & 0x7e020000) == 0").
//
// Func.Policy writes a lifted filter as a policy.Policy (default action,
// bad-arch action, runc's ENOSYS rule, rules with argument conditions)
// and checks it: the policy is compiled, lifted again and compared with
// the filter, so a returned policy is exact. Func.Profile does the same
// for a Docker profile (resolved and built as runc and libseccomp would).
// Where the format cannot hold the decision (the instruction pointer,
// high words on a 32-bit ABI, an unlisted architecture answered apart,
// one name decided differently on two ABIs) the error is a
// *NotExpressibleError that says what.
package lift
