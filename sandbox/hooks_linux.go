package sandbox

import "github.com/sysfence/sysfence/seccomp"

// testHooks let the package's tests replace parts of the supervisor: a
// deliberately naive open or listen check (to show the race it loses), a
// slow supervisor, a filter without WAIT_KILLABLE_RECV.
type testHooks struct {
	openHandler    func(s *session, n *seccomp.Notif)
	listenHandler  func(s *session, n *seccomp.Notif)
	afterOpenPlan  func(name string) // between the supervisor's check of a path and its open (name beneath the rule)
	beforeAnswer   func(n *seccomp.Notif)
	noWaitKillable bool
}
