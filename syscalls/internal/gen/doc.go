// Package gen turns libseccomp's syscalls.csv into the Go tables of package
// syscalls (see gensyscalls, run by `go generate ./syscalls`).
//
// Written by hand because no library ships these tables for all 18
// architectures in a form a pure-Go program can use.
package gen
