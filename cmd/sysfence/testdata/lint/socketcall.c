/* Makes socket(AF_VSOCK, SOCK_STREAM, 0) twice from a 64-bit process: as
 * the x86_64 socket(2) and as the i386 socketcall(SYS_SOCKET, args) through
 * int $0x80, whose arguments sit in memory (below 4 GB, where an i386 call
 * can point). Prints each outcome: "ok" or the errno's number. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
	long r = syscall(SYS_socket, 40 /* AF_VSOCK */, 1 /* SOCK_STREAM */, 0);
	if (r < 0)
		printf("socket: errno %d\n", errno);
	else
		printf("socket: ok\n");
	fflush(stdout);
	unsigned int *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (args == MAP_FAILED)
		return 2;
	args[0] = 40;
	args[1] = 1;
	args[2] = 0;
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(102 /* i386 socketcall */), "b"(1 /* SYS_SOCKET */), "c"(args) : "memory");
	if (ret < 0)
		printf("socketcall: errno %ld\n", -ret);
	else
		printf("socketcall: ok\n");
	return 0;
}
