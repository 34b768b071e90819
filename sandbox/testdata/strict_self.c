/* Enters strict mode itself, then makes a syscall strict mode forbids. */
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
	write(1, "hello\n", 6);
	prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT);
	write(1, "in strict mode\n", 15);
	syscall(SYS_getpid); /* killed here: SIGKILL */
	write(1, "survived\n", 9);
	return 0;
}
