// Package compile turns a resolved policy.Policy into a classic BPF seccomp
// filter (bpf.Program) that answers every (arch, syscall number, arguments)
// exactly as policy.Decide does.
//
// The program has three layers:
//
//  1. Architecture dispatch: `ld arch` and one `jeq` per AUDIT_ARCH token,
//     the policy's first (native) ABI first; anything else gets the
//     bad-architecture action.
//  2. Per token, `ld nr`, then the first ABI's argument-checked syscalls
//     are tested (a jeq chain, or a search tree when there are many):
//     the kernel's action cache serves the syscalls allowed outright, so
//     these are the calls whose path length counts. Then a binary search
//     tree over syscall-number ranges: adjacent numbers with the same
//     outcome form one range, so R ranges cost R-1 comparisons (both
//     targets of a conditional jump are free leaves), and a lone number
//     between two ranges of the same outcome costs one jeq. What each
//     number range means (which ABI's rules, bad arch, runc's ENOSYS, the
//     x32 bit) is asked of policy.Decide itself on a probe policy, so the
//     two cannot drift apart. On AUDIT_ARCH_X86_64 a `jset` on the x32 bit
//     splits the tree when that makes it smaller.
//  3. Argument checks, one block per argument-checked syscall: rules are
//     tried in the order Decide ranks them (highest precedence first, then
//     profile order; a rule that another of the same kind with other data
//     tightens gets the negation of that tighter comparison, so it matches
//     only where the tighter rule does not), rules with the same action
//     are ORed, and conditions on one argument
//     become a set of 64-bit intervals that is searched word by word (a
//     tree over the high word, then trees over the low word) instead of
//     scanned. Those value trees are shaped for the values programs pass
//     (small numbers and -1 first); masks that are not intervals use
//     `jset` or `and`.
//
// Every path that depends only on (arch, nr) uses nothing but `ld [0]`,
// `ld [4]`, jeq/jgt/jge/jset with constants and `ret k`, so the kernel's
// action cache (Linux >= 5.11) serves every syscall that is allowed
// whatever its arguments without running the filter.
//
// Code is generated forward with symbolic labels while tracking what the
// accumulator holds (no redundant loads), then assembled backwards: jump
// offsets become known, a target beyond a conditional jump's 8-bit reach
// gets a copy of the `ret` it leads to (or a `ja` trampoline) right after
// the jump, which later jumps reuse while in reach; otherwise each return
// value exists once. Output is deterministic; over 4096 instructions
// Compile fails with a *TooLongError saying by how much.
package compile
