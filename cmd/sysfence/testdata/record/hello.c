/* A dynamically linked hello world. With an argument it also calls
 * sysinfo, which a recording of the plain run never saw, and prints what
 * came of it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>

int main(int argc, char **argv) {
	(void)argv;
	printf("Hello, world!\n");
	if (argc > 1) {
		struct sysinfo si;
		if (sysinfo(&si) != 0)
			printf("sysinfo: %s\n", strerror(errno));
		else
			printf("sysinfo: ok\n");
	}
	return 0;
}
