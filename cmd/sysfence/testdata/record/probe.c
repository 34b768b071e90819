/* Makes one x86_64 syscall, numbered by argv[1], with no arguments and
 * prints its raw result; nothing else but write and exit_group. Built
 * with -nostdlib -static, so that it runs under any recorded profile
 * (they all allow execve and write, and exit_group unless the recorded
 * command died of a signal: the probe then stops at the hlt) and shows
 * what the profile answers for a syscall the recording never saw. */
__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall cmain\n\thlt\n");

static long sys3(long nr, long a, long b, long c) {
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

void cmain(long *sp) {
	char **argv = (char **)(sp + 1);
	long nr = 0;
	for (const char *p = argv[1]; p && *p; p++)
		nr = nr * 10 + (*p - '0');
	long ret = sys3(nr, 0, 0, 0);
	char buf[24], *q = buf + sizeof buf;
	*--q = '\n';
	unsigned long v = ret < 0 ? -ret : ret;
	do
		*--q = '0' + v % 10;
	while (v /= 10);
	if (ret < 0)
		*--q = '-';
	sys3(1, 1, (long)q, buf + sizeof buf - q);
	sys3(231, 0, 0, 0);
}
