// Makes x32 getpid (39 | __X32_SYSCALL_BIT) from a 64-bit process. On a
// kernel without the x32 ABI it fails with ENOSYS, but sys_enter (and
// seccomp) still see an x32 call.
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
	syscall(0x40000000 | 39);
	return 0;
}
