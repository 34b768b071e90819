/* A 64-bit program that makes i386 system calls with int $0x80: getpid
 * (20 on i386) and write (4), between two ordinary writes. Build it with
 * -no-pie: i386 calls take 32-bit pointers. */
#include <unistd.h>

int main(void) {
	long ret;
	static const char msg[] = "from int 0x80\n";
	write(1, "before\n", 7);
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(4L), "b"(1L), "c"(msg), "d"(sizeof msg - 1) : "memory");
	write(1, "after\n", 6);
	return ret == sizeof msg - 1 ? 0 : 1;
}
