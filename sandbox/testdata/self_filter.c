/* Loads the filter in argv[1] after its set-up (reading the file, which
 * also initialises malloc), then greets; with argv[2] = "shadow" it then
 * opens /etc/shadow. */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

int main(int argc, char **argv) {
	static struct sock_filter insns[4096];
	FILE *f = fopen(argv[1], "rb");
	if (!f) { perror(argv[1]); return 2; }
	size_t n = fread(insns, sizeof insns[0], 4096, f);
	fclose(f);
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = insns };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("seccomp");
		return 2;
	}
	printf("Hello, world!\n");
	fflush(stdout);
	if (argc > 2 && strcmp(argv[2], "shadow") == 0) {
		FILE *s = fopen("/etc/shadow", "r");
		printf("opened /etc/shadow: %s\n", s ? "yes" : "no");
	}
	return 0;
}
