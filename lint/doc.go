// Package lint finds the mistakes in seccomp profiles that real bypasses
// and breakages came from: argument rules that do not hold for calls made
// through socketcall(2) or ipc(2), rules escaped through another ABI of
// the filter, clone rules beside an allowed clone3, filtered calls with an
// allowed sibling, EPERM where libc needs ENOSYS, dangerous calls allowed
// for any arguments, unknown names, entries that never decide, conditions
// that never hold, repeated names and deny-lists (see Rules).
//
// Check works on a policy.Policy, the resolved per-ABI rule set, with the
// semantics policy.Decide defines, over all argument values at once
// (internal/argspace): a finding is a fact about what the filter does,
// never a pattern match on the profile's text. When the policy came from a
// profile, findings point at the entry's file:line:column and an entry's
// comment can acknowledge them ("sysfence:ack RULE"). Findings print as
// text, JSON or SARIF 2.1.0.
package lint
