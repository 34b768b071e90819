/* The syscall-cost benchmark's child: loads a raw seccomp filter (struct
 * sock_filter instructions in native byte order, "-" for none) with
 * no_new_privs, then makes syscall NR(ARG0) N times and prints the mean
 * nanoseconds per call. Timed with clock_gettime, a vDSO call that never
 * enters the filter. A C loop, so that nothing but the calls is measured.
 *
 *   syscall_loop FILTER|- NR ARG0 N */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static struct sock_filter insns[4096];

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: %s FILTER|- NR ARG0 N\n", argv[0]);
		return 2;
	}
	if (strcmp(argv[1], "-") != 0) {
		FILE *f = fopen(argv[1], "rb");
		if (!f) {
			perror(argv[1]);
			return 2;
		}
		size_t n = fread(insns, sizeof insns[0], 4096, f);
		fclose(f);
		struct sock_fprog prog = {.len = (unsigned short)n, .filter = insns};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
			perror("installing the filter");
			return 2;
		}
	}
	long nr = atol(argv[2]), n = atol(argv[4]);
	unsigned long arg0 = strtoul(argv[3], NULL, 0);
	for (long i = 0; i < 1000; i++) /* warm caches and the branch predictor */
		syscall(nr, arg0, 0, 0);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		syscall(nr, arg0, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
