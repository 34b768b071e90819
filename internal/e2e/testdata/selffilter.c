/*
 * selffilter loads its own seccomp filter with libseccomp (no TSYNC, as
 * seccomp_load does by default), says "ready", then waits: for stdin to
 * end, or with "sleep" as an argument for a minute. With "thread" it
 * starts a thread before loading, which stays without the filter.
 * The rules are those of testdata/selffilter.json. With "noarch" it loads
 * a hand-written filter instead that never looks at the architecture
 * (the classic mistake: uname is denied by its x86_64 number on every
 * ABI, and any ABI's call 63 with it).
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static int noarch(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 63, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof f / sizeof f[0], f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	int sleeping = 0, hand = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "noarch") == 0)
			hand = 1;
		if (strcmp(argv[i], "thread") == 0) {
			pthread_t t;
			if (pthread_create(&t, NULL, idle, NULL) != 0)
				return 2;
		}
		if (strcmp(argv[i], "sleep") == 0)
			sleeping = 1;
	}
	if (hand) {
		if (noarch() != 0) {
			fprintf(stderr, "selffilter: cannot load the filter\n");
			return 2;
		}
		goto loaded;
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
loaded:
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
