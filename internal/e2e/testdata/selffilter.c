/*
 * selffilter loads its own seccomp filter with libseccomp (no TSYNC, as
 * seccomp_load does by default), says "ready", then waits: for stdin to
 * end, or with "sleep" as an argument for a minute. With "thread" it
 * starts a thread before loading, which stays without the filter.
 * The rules are those of testdata/selffilter.json.
 */
#include <errno.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	int sleeping = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "thread") == 0) {
			pthread_t t;
			if (pthread_create(&t, NULL, idle, NULL) != 0)
				return 2;
		}
		if (strcmp(argv[i], "sleep") == 0)
			sleeping = 1;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return 2;
	int rc = 0;
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mount), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(ptrace), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(personality), 1, SCMP_A0(SCMP_CMP_NE, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, 40));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
			       SCMP_A0(SCMP_CMP_MASKED_EQ, 0x10000000, 0x10000000));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(kexec_load), 0);
	if (rc != 0 || seccomp_load(ctx) != 0) {
		fprintf(stderr, "selffilter: cannot load the filter\n");
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	if (sleeping) {
		sleep(60);
		return 0;
	}
	char buf[64];
	while (read(0, buf, sizeof buf) > 0)
		;
	return 0;
}
