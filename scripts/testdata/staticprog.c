/* A static C program with several paths, for scripts/bench-static.sh:
   cat FILE, mkdir DIR, pipe, thread, list DIR. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void *worker(void *arg) { puts((const char *)arg); return NULL; }

int main(int argc, char **argv) {
	if (argc < 2) return 2;
	if (!strcmp(argv[1], "cat") && argc > 2) {
		char buf[4096]; ssize_t n; int fd = open(argv[2], O_RDONLY);
		if (fd < 0) return 1;
		while ((n = read(fd, buf, sizeof buf)) > 0) write(1, buf, n);
		return 0;
	}
	if (!strcmp(argv[1], "mkdir") && argc > 2) return mkdir(argv[2], 0755) != 0;
	if (!strcmp(argv[1], "pipe")) {
		int p[2]; char c;
		if (pipe(p)) return 1;
		pid_t pid = fork();
		if (pid == 0) { write(p[1], "y", 1); _exit(0); }
		read(p[0], &c, 1); waitpid(pid, NULL, 0);
		printf("%c\n", c); return 0;
	}
	if (!strcmp(argv[1], "thread")) {
		pthread_t t; pthread_create(&t, NULL, worker, "thread"); pthread_join(t, NULL); return 0;
	}
	if (!strcmp(argv[1], "list") && argc > 2) {
		DIR *d = opendir(argv[2]); struct dirent *e; int n = 0;
		if (!d) return 1;
		while ((e = readdir(d))) n++;
		printf("%d\n", n); closedir(d); return 0;
	}
	return 2;
}
