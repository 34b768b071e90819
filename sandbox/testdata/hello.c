/* A hello world; with argv[1] = "shadow" it then opens /etc/shadow. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
	printf("Hello, world!\n");
	fflush(stdout);
	if (argc > 1 && strcmp(argv[1], "shadow") == 0) {
		FILE *s = fopen("/etc/shadow", "r");
		printf("opened /etc/shadow: %s\n", s ? "yes" : "no");
	}
	return 0;
}
