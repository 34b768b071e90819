// Package perfcalls lists the syscalls whose filter path lengths sysfence's
// figures quote, so the compiler's target test and the comparison with
// other compilers (bench/) measure exactly the same calls.
package perfcalls
