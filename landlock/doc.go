// Package landlock turns sysfence's path and port rules into a Landlock
// ruleset and enforces it (placeholder doc, expanded below).
package landlock
