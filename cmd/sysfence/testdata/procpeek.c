// procpeek: what a confined command can read through /proc of itself, of
// a child it started and of its parent (sysfence, outside the sandbox):
// its environment, memory map, memory and status. One line per file:
// "WHO FILE ok" or "WHO FILE err ERRNO". Argument: where procfs is
// mounted (default /proc).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *proc = "/proc";

static void peek(const char *who, int pid, const char *file) {
	char path[4096], buf[4096];
	snprintf(path, sizeof path, "%s/%d/%s", proc, pid, file);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s %s err %s\n", who, file, strerrorname_np(errno));
		return;
	}
	ssize_t n;
	if (strcmp(file, "mem") == 0) {
		// The first page of the stack: mapped in every process.
		char maps[4096];
		snprintf(maps, sizeof maps, "%s/%d/maps", proc, pid);
		FILE *f = fopen(maps, "r");
		unsigned long lo = 0;
		char line[512];
		while (f && fgets(line, sizeof line, f))
			if (strstr(line, "[stack]"))
				sscanf(line, "%lx", &lo);
		if (f)
			fclose(f);
		n = lo ? pread(fd, buf, 16, (off_t)lo) : -1;
	} else {
		n = read(fd, buf, sizeof buf);
	}
	if (n < 0)
		printf("%s %s err %s\n", who, file, strerrorname_np(errno));
	else
		printf("%s %s ok\n", who, file);
	close(fd);
}

static void peekAll(const char *who, int pid) {
	// root/etc/hostname: a file reached through the process's root, a
	// magic link.
	const char *files[] = {"environ", "maps", "mem", "stat", "root/etc/hostname"};
	for (int i = 0; i < 5; i++)
		peek(who, pid, files[i]);
}

int main(int argc, char **argv) {
	if (argc > 1)
		proc = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	peekAll("self", getpid());
	int child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	peekAll("child", child);
	kill(child, SIGKILL);
	peekAll("parent", getppid());
	return 0;
}
