// Package compile turns a resolved policy.Policy into a classic BPF seccomp
// filter (bpf.Program) that answers every (arch, syscall number, arguments)
// exactly as policy.Decide does.
//
// The program has three layers:
//
//  1. Architecture dispatch: `ld arch` and one `jeq` per AUDIT_ARCH token,
//     the policy's first (native) ABI first; anything else gets the
//     bad-architecture action.
//  2. Per token, `ld nr`, then the native ABI's argument-checked syscalls
//     are tested first (a short jeq chain, or a search tree when there are
//     many: they are the only syscalls whose cost the kernel cannot cache
//     away), then on AUDIT_ARCH_X86_64 one `jset` on the x32 bit, then a
//     binary search tree over syscall-number ranges: adjacent numbers with
//     the same outcome form one range, so R ranges cost R-1 comparisons
//     (both targets of a conditional jump are free leaves), and a lone
//     number between two ranges of the same outcome costs a single jeq.
//  3. Argument checks, one block per argument-checked syscall: rules are
//     tried in the order Decide ranks them (highest precedence first), rules
//     with the same action are ORed, and conditions on one argument become
//     a set of 64-bit intervals that is searched word by word (a tree over
//     the high word, then trees over the low word) instead of scanned.
//
// Every path that depends only on (arch, nr) uses nothing but `ld [0]`,
// `ld [4]`, jeq/jgt/jge/jset with constants and `ret k`, so the kernel's
// action cache (Linux >= 5.11) serves every syscall that is allowed
// whatever its arguments without running the filter.
//
// Code is generated forward with symbolic labels while tracking what the
// accumulator holds (no redundant loads), then assembled backwards: jump
// offsets become known, targets beyond the 8-bit range get a copy of the
// `ret` they lead to (or a `ja` trampoline) placed right after the jump,
// and each return value otherwise exists once. Output is deterministic.
package compile
