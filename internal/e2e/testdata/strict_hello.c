/* Enters seccomp strict mode itself, writes its greeting (write is
 * allowed), then returns from main: exit_group is not _exit, and strict
 * mode kills it there with SIGKILL. */
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(void) {
	static const char msg[] = "Hello from strict mode\n";
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0) {
		perror("prctl");
		return 2;
	}
	write(1, msg, strlen(msg));
	return 0;
}
