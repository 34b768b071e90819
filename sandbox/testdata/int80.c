/* A 64-bit program that makes an i386 system call with int $0x80 (the
 * classic way around a filter that checks only x86_64 numbers): getpid,
 * which is 20 on i386 (20 is writev on x86_64). */
#include <unistd.h>

int main(void) {
	long ret;
	write(1, "before\n", 7);
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
	write(1, "after\n", 6);
	return 0;
}
