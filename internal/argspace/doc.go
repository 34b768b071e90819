// Package argspace answers questions about a policy over all argument
// values at once, exactly: Split cuts the argument space of one syscall
// into regions on which policy.Decide gives one answer (each argument's
// values are unions of bit-pattern cubes, which every comparison of
// libseccomp, MASKED_EQ included, gives exactly), so "is this call
// allowed for some arguments?", "does this rule ever decide?" or "can
// this condition ever hold?" are answered by looking at a few regions
// instead of sampling. lint and explain are built on it.
package argspace
