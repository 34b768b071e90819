// Package seccomp is the kernel side of sysfence: it installs classic-BPF
// filters with seccomp(2), enters strict mode, sets no_new_privs, probes
// what the running kernel supports, and speaks the user-notification
// protocol (SECCOMP_IOCTL_NOTIF_*).
//
// It is deliberately low level: LoadFilter acts on the calling thread and
// knows nothing about profiles. Load is the whole-process form a Go
// program wants (locked OS thread, no_new_privs, SECCOMP_FILTER_FLAG_TSYNC
// so that every thread of the runtime is covered); the high-level API and
// the `sandbox` package (which installs filters into another process) are
// built on these primitives.
//
// Feature probes (CheckFilter, CheckAction, CheckFlags, NotifSizes) run
// once per process and are cached. Everything that the running kernel or
// OS cannot do returns an error wrapping ErrNotSupported that says what is
// missing; nothing degrades silently. On operating systems other than
// Linux every function returns ErrNotSupported.
//
// Never call Load or LoadFilter in a test binary itself: a filter cannot be
// removed. Tests re-execute themselves as a child process.
package seccomp
