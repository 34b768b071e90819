package sandbox

import (
	"fmt"
	"testing"

	"github.com/sysfence/sysfence/bpf"
	"github.com/sysfence/sysfence/bpf/rewrite"
	"github.com/sysfence/sysfence/policy"
	"github.com/sysfence/sysfence/syscalls"
)

// The added rules, chained behind a caller's program, give the stricter
// answer of the two, on every ABI an x86_64 kernel runs, and leave the
// kernel's action cache alone for the calls they do not look at.
func TestAddedRules(t *testing.T) {
	x86_64, _ := syscalls.ArchByName("x86_64")
	x86, _ := syscalls.ArchByName("x86")
	x32, _ := syscalls.ArchByName("x32")
	// The caller's program allows everything on every ABI except: uname
	// kills, personality is denied with EPERM, getpid is logged.
	caller := bpf.Program{bpf.LoadAbs(bpf.OffNr)}
	for _, r := range []struct {
		name   string
		action policy.Action
	}{{"uname", policy.ActKillProcess}, {"personality", policy.Errno(1)}, {"getpid", policy.ActLog}} {
		nr, _ := x86_64.Number(r.name)
		caller = append(caller, bpf.Jump(bpf.JmpJEQ, nr, 0, 1), bpf.Ret(uint32(r.action)))
	}
	caller = append(caller, bpf.Ret(uint32(policy.ActAllow)))

	type call struct {
		arch *syscalls.Arch
		name string
		args [6]uint64
		want policy.Action
	}
	const oTrunc, oWronly, mptcp = 0x200, 1, 262
	eacces, enosys := policy.Errno(13), policy.Errno(38)
	for _, tc := range []struct {
		rules addedRules
		calls []call
	}{
		{addedRules{truncation: true}, []call{
			{x86_64, "openat", [6]uint64{0, 0, 0}, policy.ActAllow},
			{x86_64, "openat", [6]uint64{0, 0, oTrunc | oWronly}, eacces},
			{x86_64, "openat", [6]uint64{0, 0, 0xffffffff00000000}, policy.ActAllow},
			{x86_64, "open", [6]uint64{0, oTrunc}, eacces},
			{x86_64, "truncate", [6]uint64{}, eacces},
			{x86_64, "ftruncate", [6]uint64{}, policy.ActAllow}, // needs a writable descriptor: write rules
			{x86_64, "openat2", [6]uint64{}, enosys},
			{x86_64, "io_uring_setup", [6]uint64{}, enosys},
			{x86_64, "getpid", [6]uint64{}, policy.ActLog},
			{x86_64, "uname", [6]uint64{}, policy.ActKillProcess},
			{x86, "open", [6]uint64{0, oTrunc}, eacces},
			{x86, "truncate64", [6]uint64{}, eacces},
			{x32, "openat", [6]uint64{0, 0, oTrunc}, eacces},
		}},
		{addedRules{mptcp: true}, []call{
			{x86_64, "socket", [6]uint64{2, 1, 6}, policy.ActAllow},
			{x86_64, "socket", [6]uint64{2, 1, mptcp}, policy.Errno(93)},
			{x86_64, "socket", [6]uint64{10, 1, 0xdead000000000000 | mptcp}, policy.Errno(93)}, // int: the upper half is ignored
			{x86, "socket", [6]uint64{2, 1, mptcp}, policy.Errno(93)},
			{x86, "socketcall", [6]uint64{1}, enosys},
			{x86, "socketcall", [6]uint64{2}, policy.ActAllow},
			{x86_64, "io_uring_setup", [6]uint64{}, enosys},
			{x86, "io_uring_setup", [6]uint64{}, enosys},
			{x32, "io_uring_setup", [6]uint64{}, enosys},
			{x86_64, "listen", [6]uint64{3, 1}, policy.ActUserNotif},
			{x86, "listen", [6]uint64{3, 1}, policy.ActUserNotif},
			{x32, "listen", [6]uint64{3, 1}, policy.ActUserNotif},
			{x86, "socketcall", [6]uint64{4, 0x1000}, policy.ActUserNotif}, // SYS_LISTEN
			{x86, "socketcall", [6]uint64{5, 0x1000}, policy.ActAllow},     // SYS_ACCEPT
		}},
		{addedRules{mptcp: true, truncation: true}, []call{
			{x86_64, "io_uring_setup", [6]uint64{}, enosys},
			{x86_64, "openat2", [6]uint64{}, enosys},
		}},
		{addedRules{supervise: true}, []call{
			{x86_64, "openat", [6]uint64{}, policy.ActUserNotif},
			{x86_64, "open", [6]uint64{}, policy.ActUserNotif},
			{x86_64, "openat2", [6]uint64{}, policy.ActUserNotif},
			{x86, "openat", [6]uint64{}, policy.ActUserNotif},
			{x32, "openat", [6]uint64{}, policy.ActUserNotif},
			{x86_64, "linkat", [6]uint64{}, eacces},
			{x86_64, "rename", [6]uint64{}, eacces},
			{x86_64, "mount", [6]uint64{}, policy.Errno(1)},
			{x86_64, "pidfd_getfd", [6]uint64{}, policy.Errno(1)},
			{x86_64, "acct", [6]uint64{}, eacces},
			{x86_64, "execve", [6]uint64{}, eacces},
			{x86_64, "personality", [6]uint64{}, policy.Errno(1)},
			{x86_64, "read", [6]uint64{}, policy.ActAllow},
			{x86_64, "fanotify_init", [6]uint64{}, policy.Errno(1)},
			{x86, "fanotify_mark", [6]uint64{}, policy.Errno(1)},
			{x86_64, "bpf", [6]uint64{}, policy.Errno(1)},
			{x32, "perf_event_open", [6]uint64{}, policy.Errno(1)},
			{x86_64, "open_tree_attr", [6]uint64{}, policy.Errno(1)},
			{x86_64, "socket", [6]uint64{1, 1, 0}, eacces},
			{x86_64, "socket", [6]uint64{0xffffffff00000001, 1, 0}, eacces},
			{x86_64, "socket", [6]uint64{2, 1, 0}, policy.ActAllow},
			{x86_64, "socketpair", [6]uint64{1, 1, 0}, policy.ActAllow},
			{x86, "socket", [6]uint64{1, 1, 0}, eacces},
			{x86, "socketcall", [6]uint64{1}, enosys},
			{x86, "socketcall", [6]uint64{8}, policy.ActAllow}, // SYS_SOCKETPAIR
			{x86_64, "name_to_handle_at", [6]uint64{}, policy.ActAllow},
			{x86_64, "memfd_create", [6]uint64{}, policy.ActAllow},
		}},
		{addedRules{supervise: true, superviseExec: true}, []call{
			{x86_64, "execve", [6]uint64{}, policy.ActAllow},
			{x86_64, "execveat", [6]uint64{}, policy.ActAllow},
		}},
	} {
		r := tc.rules
		if err := r.build(x86_64); err != nil {
			t.Fatal(err)
		}
		prog, err := rewrite.Chain(caller, r.prog)
		if err != nil {
			t.Fatal(err)
		}
		if err := bpf.Validate(prog); err != nil {
			t.Fatalf("chained program: %v", err)
		}
		for _, c := range tc.calls {
			nr, ok := c.arch.Number(c.name)
			if !ok {
				t.Fatalf("%s on %s", c.name, c.arch.Name)
			}
			t.Run(fmt.Sprintf("rules=%+v/arch=%s/call=%s%x", struct{ M, T, S, E bool }{r.mptcp, r.truncation, r.supervise, r.superviseExec}, c.arch.Name, c.name, c.args[:3]), func(t *testing.T) {
				d := bpf.Data{Arch: c.arch.AuditArch, Nr: nr, Args: c.args}
				res, err := bpf.Run(prog, &d, false, false)
				if err != nil || policy.Action(res.Ret) != c.want {
					t.Errorf("got %v (%v), want %v", policy.Action(res.Ret), err, c.want)
				}
				if res.Ret == uint32(policy.ActAllow) || res.Ret == uint32(policy.ActLog) {
					if a, why := r.decide(&d); a != policy.ActAllow || why != "" {
						t.Errorf("decide says %v (%s) for an allowed call", a, why)
					}
				} else if a, why := r.decide(&d); a == c.want && why == "" {
					t.Errorf("no reason for %v", a)
				}
			})
		}
		// A syscall the added rules do not name stays in the kernel's
		// always-allow cache.
		cached := []string{"getppid"}
		if r.mptcp {
			// listen goes to the supervisor; a server's other calls never
			// run the filter.
			cached = append(cached, "accept", "accept4", "connect", "bind", "sendto", "recvfrom", "read", "write")
		}
		for _, name := range cached {
			nr, _ := x86_64.Number(name)
			if e := bpf.CacheCheck(prog, x86_64.AuditArch, nr); !e.Cached {
				t.Errorf("rules %+v: %s is not cached any more (pc %d)", r, name, e.PC)
			}
		}
	}
}
