// Package testenv decides whether a test that needs root, a kernel feature
// or a system package may skip. Outside CI it skips with the reason; in CI
// (CI=true) the same condition fails the test, so a missing prerequisite can
// never turn into a silent pass there.
//
// It also probes machine facts that differ between machines of one kind
// (CanExecI386, Int80Works, StrictTrapsTSC): a test asks, asserts the
// outcome that fits the answer, and never skips for it.
package testenv
