/* The syscall-cost benchmark's child: loads a raw seccomp filter (struct
 * sock_filter instructions in native byte order, "-" for none) with
 * no_new_privs, then makes syscall NR(ARG0) N times and prints the
 * nanoseconds per call of the median batch of 1000 calls. Timed with
 * clock_gettime, a vDSO call that never enters the filter. A C loop, so that nothing but the calls is measured.
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

static int cmp(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

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
	/* Batches of 1000 calls; the median batch is immune to the preemptions
	 * and interrupts that a shared machine throws into a few of them. */
	enum { batch = 1000 };
	long nb = n / batch;
	if (nb < 1)
		nb = 1;
	double *per = calloc(nb, sizeof *per);
	for (long b = 0; b < nb; b++) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (long i = 0; i < batch; i++)
			syscall(nr, arg0, 0, 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		per[b] = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / batch;
	}
	qsort(per, nb, sizeof *per, cmp);
	printf("%.1f\n", per[nb / 2]);
	return 0;
}
