// loop times a syscall-heavy loop that no filter denies:
//
//	loop getpid|openclose none|filter BATCHES CALLS
//
// getpid calls getpid(2) (the raw syscall, not glibc's cache); openclose
// opens and closes /etc/hostname. With "filter" the loop runs under a
// libseccomp filter that allows everything but acct(2), as a process in
// a container runs under its profile. It prints the median time per call
// in nanoseconds over BATCHES batches of CALLS calls.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: loop getpid|openclose none|filter BATCHES CALLS\n");
		return 2;
	}
	int open_close = !strcmp(argv[1], "openclose");
	int batches = atoi(argv[3]);
	long calls = atol(argv[4]);
	if (!strcmp(argv[2], "filter")) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
		if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(acct), 0) || seccomp_load(ctx)) return 3;
	}
	double *t = calloc(batches, sizeof *t);
	for (int b = 0; b < batches; b++) {
		double t0 = now();
		for (long i = 0; i < calls; i++) {
			if (open_close) {
				int fd = open("/etc/hostname", O_RDONLY);
				close(fd);
			} else {
				syscall(SYS_getpid);
			}
		}
		t[b] = (now() - t0) / calls;
	}
	qsort(t, batches, sizeof *t, cmp);
	printf("%.1f\n", t[batches / 2]);
	return 0;
}
