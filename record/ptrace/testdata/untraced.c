/* Creates a child process with CLONE_UNTRACED, which a ptrace-based
 * recorder does not get attached to by the kernel. argv[1] says how:
 *
 *   clone   clone(CLONE_UNTRACED|SIGCHLD) with the syscall instruction
 *   clone3  clone3 with CLONE_UNTRACED and exit_signal SIGCHLD
 *   int80   clone through int 0x80 (the i386 ABI of a 64-bit program;
 *           build with -no-pie)
 *   race    clone3 while another thread keeps setting CLONE_UNTRACED in
 *           its struct clone_args
 *
 * The child calls uname, which nothing else here calls, and if that works
 * writes "child ok" and exits 0. Under a seccomp filter that returns
 * RET_TRACE with no tracer attached every call fails with ENOSYS, exit
 * included: the child then notes it in shared memory and faults.
 *
 * The parent checks that the call left the flags as the program passed
 * them (the register for clone, struct clone_args for clone3) in itself
 * and in the child, waits for the child and prints "parent ok" (exit 0),
 * "child escaped" (exit 3) when the child's calls failed with ENOSYS, or
 * what else went wrong (exit 1). Where clone3 answers ENOSYS it falls back
 * to clone, as glibc does, and where CLONE_UNTRACED is refused (EPERM) it
 * retries without it; both say so on stderr. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif

struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static volatile int *shared; /* the child's verdict, seen by the parent */
static struct clone_args_v0 cargs;
static volatile int racing;

/* clone with the syscall instruction; *after is rdi once it returns. */
static long sys_clone(unsigned long flags, unsigned long *after) {
	register unsigned long rdi __asm__("rdi") = flags;
	register unsigned long rsi __asm__("rsi") = 0, rdx __asm__("rdx") = 0, r10 __asm__("r10") = 0, r8 __asm__("r8") = 0;
	long ret = SYS_clone;
	__asm__ volatile("syscall" : "+a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8) : : "rcx", "r11", "memory");
	*after = rdi;
	return ret;
}

/* clone through int 0x80 (i386 number 120); *after is ebx once it
 * returns. */
static long int80_clone(unsigned long flags, unsigned long *after) {
	long ret = 120;
	unsigned long ebx = flags, ecx = 0, edx = 0, esi = 0, edi = 0;
	__asm__ volatile("int $0x80" : "+a"(ret), "+b"(ebx), "+c"(ecx), "+d"(edx), "+S"(esi), "+D"(edi) : : "r8", "r9", "r10", "r11", "memory");
	*after = ebx;
	return ret;
}

static long sys_clone3(struct clone_args_v0 *a) {
	long ret = 435;
	register unsigned long rdi __asm__("rdi") = (unsigned long)a;
	register unsigned long rsi __asm__("rsi") = sizeof *a;
	__asm__ volatile("syscall" : "+a"(ret), "+r"(rdi), "+r"(rsi) : : "rcx", "r11", "memory");
	return ret;
}

static long raw3(long nr, long a, long b, long c) {
	long ret = nr;
	__asm__ volatile("syscall" : "+a"(ret) : "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

/* The child: raw calls only (it is a copy of one thread of the parent). */
static void child(int flags_ok) {
	struct utsname u;
	if (raw3(SYS_uname, (long)&u, 0, 0) == -ENOSYS) {
		*shared = 'E';
		__builtin_trap(); /* exit would fail with ENOSYS too */
	}
	*shared = flags_ok ? 'K' : 'F';
	static const char msg[] = "child ok\n";
	if (flags_ok)
		raw3(SYS_write, 1, (long)msg, sizeof msg - 1);
	raw3(SYS_exit_group, flags_ok ? 0 : 1, 0, 0);
	__builtin_trap();
}

static void *racer(void *arg) {
	(void)arg;
	while (racing)
		__atomic_store_n(&cargs.flags, (uint64_t)CLONE_UNTRACED, __ATOMIC_RELAXED);
	return NULL;
}

int main(int argc, char **argv) {
	const char *mode = argc > 1 ? argv[1] : "";
	unsigned long flags = CLONE_UNTRACED | SIGCHLD, after = flags;
	long pid;
	int flags_ok = 1;

	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return perror("mmap"), 1;

	if (!strcmp(mode, "clone") || !strcmp(mode, "int80")) {
		int i80 = mode[0] == 'i';
	again:
		pid = i80 ? int80_clone(flags, &after) : sys_clone(flags, &after);
		if (pid == -EPERM && (flags & CLONE_UNTRACED)) {
			fprintf(stderr, "untraced: clone with CLONE_UNTRACED refused (EPERM), retrying without\n");
			flags &= ~(unsigned long)CLONE_UNTRACED;
			goto again;
		}
		flags_ok = (uint32_t)after == (uint32_t)flags && (i80 || after == flags);
	} else if (!strcmp(mode, "clone3") || !strcmp(mode, "race")) {
		pthread_t t;
		int race = mode[0] == 'r';
		cargs.flags = CLONE_UNTRACED;
		cargs.exit_signal = SIGCHLD;
		if (race) {
			racing = 1;
			if (pthread_create(&t, NULL, racer, NULL))
				return fprintf(stderr, "pthread_create failed\n"), 1;
		}
		pid = sys_clone3(&cargs);
		if (pid != 0 && race) {
			racing = 0;
			pthread_join(t, NULL);
		}
		if (pid == -ENOSYS) {
			fprintf(stderr, "untraced: clone3 answered ENOSYS, falling back to clone\n");
			pid = sys_clone(flags, &after);
			if (pid == -EPERM) {
				fprintf(stderr, "untraced: clone with CLONE_UNTRACED refused (EPERM), retrying without\n");
				flags &= ~(unsigned long)CLONE_UNTRACED;
				pid = sys_clone(flags, &after);
			}
			flags_ok = after == flags;
		} else if (!race) {
			flags_ok = cargs.flags == CLONE_UNTRACED;
		}
	} else {
		fprintf(stderr, "usage: untraced clone|clone3|int80|race\n");
		return 2;
	}
	if (pid == 0)
		child(flags_ok);
	if (pid < 0) {
		fprintf(stderr, "untraced: %s: %s\n", mode, strerror((int)-pid));
		return 1;
	}
	int status;
	if (waitpid((pid_t)pid, &status, 0) != pid)
		return perror("waitpid"), 1;
	if (*shared == 'E') {
		printf("child escaped: its calls failed with ENOSYS (status %#x)\n", status);
		return 3;
	}
	if (!flags_ok || *shared == 'F') {
		printf("the flags changed under the %s\n", flags_ok ? "child" : "parent");
		return 1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		printf("child ended with status %#x\n", status);
		return 1;
	}
	printf("parent ok\n");
	return 0;
}
