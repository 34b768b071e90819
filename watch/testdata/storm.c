// storm makes denied calls at a steady rate from several processes:
//
//	storm PROCS RATE SECONDS DISTINCT
//
// Each of PROCS processes installs a filter answering mkdirat with EPERM
// and calls mkdirat(AT_FDCWD, "/nonexistent/storm", MODE) RATE/PROCS
// times a second for SECONDS seconds, in 1 ms slices, with MODE cycling
// through DISTINCT values (so many distinct calls when DISTINCT is
// large). It prints the number of denied calls made in all and the rate
// reached.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: storm PROCS RATE SECONDS DISTINCT\n");
		return 2;
	}
	int procs = atoi(argv[1]);
	long rate = atol(argv[2]), seconds = atol(argv[3]), distinct = atol(argv[4]);
	long per_ms = rate / procs / 1000;
	if (per_ms < 1) per_ms = 1;
	int fds[2];
	if (pipe(fds)) return 2;
	double t0 = now();
	for (int p = 0; p < procs; p++) {
		if (fork() == 0) {
			scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
			if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mkdirat), 0) || seccomp_load(ctx)) _exit(3);
			long denied = 0, i = 0;
			struct timespec next;
			clock_gettime(CLOCK_MONOTONIC, &next);
			for (long ms = 0; ms < seconds * 1000; ms++) {
				for (long k = 0; k < per_ms; k++, i++) {
					if (syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent/storm", (int)(i % distinct)) < 0 && errno == EPERM) denied++;
				}
				next.tv_nsec += 1000000;
				if (next.tv_nsec >= 1000000000) {
					next.tv_nsec -= 1000000000;
					next.tv_sec++;
				}
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
			}
			if (write(fds[1], &denied, sizeof denied) != sizeof denied) _exit(4);
			_exit(0);
		}
	}
	close(fds[1]);
	long total = 0, d;
	while (read(fds[0], &d, sizeof d) == sizeof d) total += d;
	int st, bad = 0;
	while (wait(&st) > 0) bad |= !WIFEXITED(st) || WEXITSTATUS(st);
	double took = now() - t0;
	printf("%ld denied calls in %.2fs (%.0f/s)\n", total, took, total / took);
	return bad;
}
