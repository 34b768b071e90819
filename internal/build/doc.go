// Package build runs sysfence's pipeline from a profile reference to a
// compiled filter: load (built-in name, file or stdin) → resolve for a
// target (moby's rules) → policy (runc + libseccomp's rules) → compile.
// Every command that takes a profile, and the Go API, go through Build, so
// they resolve and report alike; Explain turns a policy decision back into
// words that name the profile entry and its position.
package build
