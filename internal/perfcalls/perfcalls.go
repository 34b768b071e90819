package perfcalls

// Call is one realistic allowed call of an argument-checked syscall.
type Call struct {
	Name string
	Args [6]uint64
	What string
}

// ArgChecked are the allowed calls of the syscalls Docker's default profile
// checks arguments of: clone as pthread_create and fork make it (glibc
// falls back to clone when clone3 gets ENOSYS, as under Docker), personality
// as a query and as PER_LINUX, socket for the common families. Figures
// average per syscall, then over the three syscalls.
var ArgChecked = []Call{
	{"clone", [6]uint64{0x3d0f00}, "pthread_create: CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID"},
	{"clone", [6]uint64{0x1200011}, "fork: CLONE_CHILD_SETTID|CHILD_CLEARTID|SIGCHLD"},
	{"personality", [6]uint64{0xffffffff}, "query"},
	{"personality", [6]uint64{0}, "PER_LINUX"},
	{"socket", [6]uint64{1, 1}, "AF_UNIX, SOCK_STREAM"},
	{"socket", [6]uint64{2, 1}, "AF_INET, SOCK_STREAM"},
	{"socket", [6]uint64{10, 2}, "AF_INET6, SOCK_DGRAM"},
	{"socket", [6]uint64{16, 3}, "AF_NETLINK, SOCK_RAW"},
}
