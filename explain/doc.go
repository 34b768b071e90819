// Package explain says in words what a seccomp policy lets a program do:
// capability groups (groups.csv, modelled on systemd's system call filter
// sets) marked allowed, denied or partly with the calls that make them
// partial, the argument rules in plain words ("personality allowed only
// when persona is 0, 8, 0x20000, 0x20008 or 0xffffffff"), the default and
// ENOSYS behaviour, and the calls the filter's ABIs answer differently.
// Compare turns two reports into a delta, WriteHTML into a self-contained
// page with a colour grid of every syscall by ABI.
//
// Explain works on a policy.Policy, with the semantics policy.Decide
// defines, over all argument values at once (internal/argspace), so a
// policy lifted back from a BPF program can be explained like one built
// from a profile; a profile only adds the positions of its entries.
package explain
