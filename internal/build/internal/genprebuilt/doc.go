// Package genprebuilt renders zprebuilt.go: the built-in profiles compiled
// for every architecture Go can run sysfence on, so that `sysfence run`
// with the default profile starts without running the pipeline (about
// half a millisecond at every start). The build package's tests compare
// the committed file with what Generate gives, so upgrading the moby
// module without regenerating fails the tests.
package genprebuilt
