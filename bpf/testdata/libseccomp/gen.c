/*
 * gen.c writes the libseccomp-generated filters of bpf/testdata: real
 * programs from the reference compiler for the disassembler's golden
 * files and the emulator's cross-check against scmp_bpf_sim.
 *
 *   cd bpf/testdata && gcc -o /tmp/gen libseccomp/gen.c -lseccomp && /tmp/gen
 *
 * Each NAME.bpf is a raw struct sock_filter array in the byte order of the
 * first architecture of its name (x86_64-..., s390x-...).
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHECK(x)                                                         \
	do {                                                                 \
		int rc_ = (x);                                                   \
		if (rc_ < 0) {                                                   \
			fprintf(stderr, "%s:%d: %s: %d\n", __FILE__, __LINE__, #x, rc_); \
			exit(1);                                                     \
		}                                                                \
	} while (0)

static int nr(const char *name) { return seccomp_syscall_resolve_name(name); }

/* rules adds a small Docker-like rule set: plain allows, argument checks
 * with every operator, and a few other actions. */
static void rules(scmp_filter_ctx ctx)
{
	const char *allow[] = {"read", "write", "close", "exit_group", "openat", "mmap",
			       "futex", "rt_sigreturn", "getpid", "brk", NULL};
	for (int i = 0; allow[i]; i++)
		CHECK(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr(allow[i]), 0));
	/* personality(0), personality(8), personality(0xffffffff) */
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr("personality"), 1, SCMP_A0(SCMP_CMP_EQ, 0x0)));
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr("personality"), 1, SCMP_A0(SCMP_CMP_EQ, 0x8)));
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr("personality"), 1, SCMP_A0(SCMP_CMP_EQ, 0xffffffff)));
	/* socket: not AF_NETLINK (16) */
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr("socket"), 1, SCMP_A0(SCMP_CMP_NE, 16)));
	/* clone without namespace flags (Docker's rule) */
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr("clone"), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, 0x7e020000, 0)));
	/* lseek whence <= 2, dup3 flags < 0x80001, kill pid > 0 and sig >= 1 */
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr("lseek"), 1, SCMP_A2(SCMP_CMP_LE, 2)));
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr("dup3"), 1, SCMP_A2(SCMP_CMP_LT, 0x80001)));
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr("kill"), 2, SCMP_A0(SCMP_CMP_GT, 0), SCMP_A1(SCMP_CMP_GE, 1)));
	/* mprotect: 64-bit constant in the high word */
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr("mprotect"), 1, SCMP_A2(SCMP_CMP_GT, 0x100000004ULL)));
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr("ptrace"), 0));
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_KILL_THREAD, nr("reboot"), 0));
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_TRAP, nr("swapon"), 0));
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr("clone3"), 0));
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_TRACE(7), nr("uname"), 0));
	CHECK(seccomp_rule_add(ctx, SCMP_ACT_LOG, nr("getcwd"), 0));
}

static void export(scmp_filter_ctx ctx, const char *file)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(file);
		exit(1);
	}
	CHECK(seccomp_export_bpf(ctx, fd));
	close(fd);
	seccomp_release(ctx);
}

static scmp_filter_ctx new_ctx(uint32_t first, const uint32_t *more)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		exit(1);
	if (seccomp_arch_native() != first) {
		/* Remove first: libseccomp refuses to mix byte orders. */
		CHECK(seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE));
		CHECK(seccomp_arch_add(ctx, first));
	}
	for (; more && *more; more++)
		CHECK(seccomp_arch_add(ctx, *more));
	return ctx;
}

int main(void)
{
	const uint32_t x86s[] = {SCMP_ARCH_X86, SCMP_ARCH_X32, 0};
	const uint32_t arm[] = {SCMP_ARCH_ARM, 0};
	scmp_filter_ctx ctx;

	/* x86_64 host as Docker sets it up: x86_64, x86 and x32. */
	ctx = new_ctx(SCMP_ARCH_X86_64, x86s);
	rules(ctx);
	export(ctx, "x86_64-libseccomp.bpf");

	/* The same rules, x86_64 only, libseccomp's binary tree. */
	ctx = new_ctx(SCMP_ARCH_X86_64, NULL);
	CHECK(seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2));
	rules(ctx);
	export(ctx, "x86_64-libseccomp-tree.bpf");

	/* aarch64 with arm (compat). */
	ctx = new_ctx(SCMP_ARCH_AARCH64, arm);
	rules(ctx);
	export(ctx, "aarch64-libseccomp.bpf");

	/* s390x: big-endian argument words. */
	ctx = new_ctx(SCMP_ARCH_S390X, NULL);
	rules(ctx);
	export(ctx, "s390x-libseccomp.bpf");
	return 0;
}
