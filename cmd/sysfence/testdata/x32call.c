/* A 64-bit program that opens /etc/hostname through the x32 ABI (the
 * syscall number with __X32_SYSCALL_BIT): the classic way around a filter
 * that checks x86_64 numbers only. seccomp sees the call before the
 * kernel's x32 check, so it is filtered even where the kernel has no x32
 * support (the call then fails with ENOSYS). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
	printf("before\n");
	fflush(stdout);
	long r = syscall(0x40000000L | SYS_openat, AT_FDCWD, "/etc/hostname", O_RDONLY);
	printf("x32 openat: %s\n", r >= 0 ? "opened" : strerror(errno));
	return 0;
}
