/* Test program for the analyser: a syscall() call with a constant number,
   a raw syscall instruction, a wrapper taking its number on the stack (as
   glibc 2.41's __syscall_cancel does), cancellation points, and a number
   from the command line that no analysis can know. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The number is the seventh argument: on the stack at the call. */
__attribute__((noinline)) long stack_wrapper(long a1, long a2, long a3, long a4, long a5, long a6, long nr) {
	long ret;
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return ret;
}

int main(int argc, char **argv) {
	if (argc > 1 && argv[1][0] == 'k')
		syscall(SYS_kcmp, 0, 0, 0, 0, 0); /* through libc's syscall() */
	if (argc > 1 && argv[1][0] == 'v') {
		long r;
		__asm__ volatile("syscall" : "=a"(r) : "a"(SYS_vhangup) : "rcx", "r11", "memory");
	}
	if (argc > 1 && argv[1][0] == 's')
		stack_wrapper(0, 0, 0, 0, 0, 0, SYS_get_mempolicy);
	if (argc > 1 && argv[1][0] == 'a') {
		int s = accept4(-1, 0, 0, 0); /* a cancellation point */
		(void)s;
	}
	if (argc > 2 && argv[1][0] == 'n')
		syscall(atol(argv[2]));
	return 0;
}
