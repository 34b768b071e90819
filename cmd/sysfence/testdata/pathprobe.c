/* Tries to read files in the ways the path-rule tests need, and prints one
 * line: "ok <first line of the file>" or "err <ERRNO>".
 *
 *   pathprobe read PATH              open(PATH, O_RDONLY) and read
 *   pathprobe openat2 DIR REL FLAGS  openat2(open(DIR), REL, {O_RDONLY, resolve=FLAGS}) and read
 *                                    (DIR "-": AT_FDCWD)
 *   pathprobe link SRC DST           link(SRC, DST), then read DST
 *   pathprobe procfd PATH            open(PATH, O_PATH), then read /proc/self/fd/N
 *   pathprobe opath PATH             open(PATH, O_PATH|O_CLOEXEC|O_NOFOLLOW); prints "ok opath"
 *   pathprobe race GOOD BAD SECONDS  a second thread rewrites the path buffer between
 *                                    GOOD and BAD while the main thread opens and reads it;
 *                                    prints "reads N bad M" (M: reads that returned a line
 *                                    starting with "root:", i.e. /etc/passwd)
 *   pathprobe trunc PATH             open(PATH, O_RDONLY|O_TRUNC) and truncate(PATH, 0)
 *   pathprobe fifo PATH restart|intr open(PATH, O_RDONLY) (a FIFO) and read, with a SIGUSR1
 *                                    handler installed with or without SA_RESTART; the
 *                                    handler writes "signal" to stderr
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void err(void) { printf("err %s\n", strerrorname_np(errno)); }

static int readfd(int fd, char *line, size_t n) {
	ssize_t got = read(fd, line, n - 1);
	close(fd);
	if (got < 0)
		return -1;
	line[got] = 0;
	char *nl = strchr(line, '\n');
	if (nl)
		*nl = 0;
	return 0;
}

static void report(int fd) {
	char line[256];
	if (fd < 0 || readfd(fd, line, sizeof line) < 0) {
		err();
		return;
	}
	printf("ok %s\n", line);
}

static void onusr1(int sig) {
	(void)sig;
	write(2, "signal\n", 7);
}

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
	if (argc < 3)
		return 2;
	const char *op = argv[1];
	if (!strcmp(op, "read")) {
		report(open(argv[2], O_RDONLY));
	} else if (!strcmp(op, "openat2") && argc == 5) {
		int dir = strcmp(argv[2], "-") ? open(argv[2], O_RDONLY | O_DIRECTORY) : AT_FDCWD;
		if (dir < 0 && dir != AT_FDCWD) {
			err();
			return 0;
		}
		struct open_how how = {.flags = O_RDONLY, .resolve = strtoull(argv[4], NULL, 0)};
		report(syscall(SYS_openat2, dir, argv[3], &how, sizeof how));
	} else if (!strcmp(op, "link") && argc == 4) {
		if (link(argv[2], argv[3]) < 0) {
			err();
			return 0;
		}
		report(open(argv[3], O_RDONLY));
	} else if (!strcmp(op, "procfd")) {
		int fd = open(argv[2], O_PATH);
		if (fd < 0) {
			err();
			return 0;
		}
		char p[64];
		snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
		report(open(p, O_RDONLY));
	} else if (!strcmp(op, "opath")) {
		if (open(argv[2], O_PATH | O_CLOEXEC | O_NOFOLLOW) < 0)
			err();
		else
			printf("ok opath\n");
	} else if (!strcmp(op, "race") && argc == 5) {
		good = argv[2];
		bad = argv[3];
		strcpy(buf, good);
		pthread_t t;
		pthread_create(&t, NULL, flip, NULL);
		time_t end = time(NULL) + atoi(argv[4]);
		long reads = 0, badreads = 0;
		char line[256];
		while (time(NULL) < end) {
			int fd = open(buf, O_RDONLY);
			if (fd < 0)
				continue;
			if (readfd(fd, line, sizeof line) == 0) {
				reads++;
				if (!strncmp(line, "root:", 5))
					badreads++;
			}
		}
		stop = 1;
		pthread_join(t, NULL);
		printf("reads %ld bad %ld\n", reads, badreads);
	} else if (!strcmp(op, "trunc")) {
		int fd = open(argv[2], O_RDONLY | O_TRUNC);
		if (fd < 0)
			err();
		else {
			printf("ok open\n");
			close(fd);
		}
		if (truncate(argv[2], 0) < 0)
			err();
		else
			printf("ok truncate\n");
	} else if (!strcmp(op, "fifo") && argc == 4) {
		struct sigaction sa = {.sa_handler = onusr1, .sa_flags = strcmp(argv[3], "restart") ? 0 : SA_RESTART};
		sigaction(SIGUSR1, &sa, NULL);
		report(open(argv[2], O_RDONLY));
	} else {
		return 2;
	}
	return 0;
}
