// Command sysfence records, enforces and explains seccomp profiles.
//
// This package only wires flags and output; the work is done by the
// packages under the module root (see README.md).
package main
