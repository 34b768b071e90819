/* The program of the audit tests, linked statically so that it opens no
 * file before main (no loader):
 *   auditprobe           prints "hello" (the innocent version)
 *   auditprobe shadow    also opens /etc/shadow and says whether it could
 *   auditprobe fork      forks; the child execs "auditprobe shadow"
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	printf("hello\n");
	fflush(stdout);
	if (argc > 1 && !strcmp(argv[1], "shadow")) {
		int fd = open("/etc/shadow", O_RDONLY);
		printf("shadow opened %s\n", fd >= 0 ? "yes" : "no");
		fflush(stdout);
	} else if (argc > 1 && !strcmp(argv[1], "fork")) {
		pid_t pid = fork();
		if (pid == 0) {
			execl("/proc/self/exe", argv[0], "shadow", (char *)NULL);
			_exit(127);
		}
		int st;
		waitpid(pid, &st, 0);
		printf("child exited %d\n", WEXITSTATUS(st));
	}
	return 0;
}
