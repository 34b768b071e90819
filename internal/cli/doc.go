// Package cli holds what every sysfence command shares: exit codes, the
// one-sentence error style, JSON output and terminal detection. Commands
// live in cmd/sysfence; this package has no cobra dependency so other
// front ends could reuse it.
package cli
