/* The classic allow-list subject: prints a greeting with stdio and, given
 * a path, then tries to open it (the call an allow list forbids). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>

int main(int argc, char **argv) {
	printf("Hello, world!\n");
	fflush(stdout);
	if (argc > 1) {
		int fd = open(argv[1], O_RDONLY);
		printf("open %s: %s\n", argv[1], fd < 0 ? strerror(errno) : "ok");
	}
	return 0;
}
