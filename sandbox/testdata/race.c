/* A second thread rewrites the path buffer between argv[1] (allowed) and
 * argv[2] (not allowed) while the main thread opens it and reads a line,
 * for at most argv[3] seconds, and stops at the first line that starts
 * with "root:" (argv[2] is /etc/passwd). Prints "reads N bad M". */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char buf[256];
static const char *good, *bad;
static volatile int stop;

static void *flip(void *arg) {
	(void)arg;
	size_t lg = strlen(good) + 1, lb = strlen(bad) + 1;
	while (!stop) {
		memcpy(buf, bad, lb);
		memcpy(buf, good, lg);
	}
	return NULL;
}

int main(int argc, char **argv) {
	if (argc != 4)
		return 2;
	good = argv[1];
	bad = argv[2];
	strcpy(buf, good);
	pthread_t t;
	pthread_create(&t, NULL, flip, NULL);
	time_t end = time(NULL) + atoi(argv[3]);
	long reads = 0, badreads = 0;
	char line[256];
	while (time(NULL) < end && badreads == 0) {
		int fd = open(buf, O_RDONLY);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, line, sizeof line - 1);
		close(fd);
		if (n <= 0)
			continue;
		reads++;
		if (!strncmp(line, "root:", 5))
			badreads++;
	}
	stop = 1;
	pthread_join(t, NULL);
	printf("reads %ld bad %ld\n", reads, badreads);
	return 0;
}
