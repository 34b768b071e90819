package sandbox

import "testing"

// TestErrnoName: reports name errnos as profile.ErrnoName does (strace's
// name where two share a number), and EINTR, which profiles' list lacks.
func TestErrnoName(t *testing.T) {
	for n, want := range map[uint16]string{1: "EPERM", 4: "EINTR", 13: "EACCES", 38: "ENOSYS", 95: "EOPNOTSUPP",
		110: "ETIMEDOUT", 11: "EAGAIN", 0: "returned 0 without running", 4000: "errno 4000"} {
		if got := errnoName(n); got != want {
			t.Errorf("errnoName(%d) = %q, want %q", n, got, want)
		}
	}
}
