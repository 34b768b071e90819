// Package policy is the resolved, per-architecture rule set that the
// compiler turns into BPF: for each ABI, syscall numbers with actions and
// argument conditions, the default action, and the bad-architecture action.
//
// A Policy carries no profile syntax (names, includes, caps are resolved
// away by package profile) and no BPF (that is package compile). It also
// defines the semantics every program compiled from it must have: Decide is
// the plain reference model that tests and fuzzers hold the compiler to.
package policy
