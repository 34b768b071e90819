/* Ways to get a descriptor without open(2), for the tests of path rules
 * without Landlock (where the supervisor performs every open).
 *
 *   fdprobe fanotify FILE   fanotify_init and fanotify_mark(FILE, FAN_OPEN);
 *                           prints "ready", waits (5 s) for another process
 *                           to open FILE and reads it through the event's
 *                           descriptor: "ok <first line>", or "err <ERRNO>"
 *   fdprobe calls           tries each other source once and prints
 *                           "NAME ok" or "NAME err <ERRNO>" per line
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_open_tree_attr
#define SYS_open_tree_attr 467
#endif

static void err(const char *name) {
	if (name)
		printf("%s ", name);
	printf("err %s\n", strerrorname_np(errno));
}

static void result(const char *name, long r) {
	if (r < 0) {
		err(name);
		return;
	}
	printf("%s ok\n", name);
	if (r > 2)
		close(r);
}

static int fanotify(const char *file) {
	int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC, O_RDONLY);
	if (fd < 0 || fanotify_mark(fd, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, file) < 0) {
		err(NULL);
		return 0;
	}
	printf("ready\n");
	fflush(stdout);
	alarm(5);
	char buf[4096];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0) {
			err(NULL);
			return 0;
		}
		for (struct fanotify_event_metadata *m = (void *)buf; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			if (m->fd < 0)
				continue;
			char line[256];
			ssize_t got = pread(m->fd, line, sizeof line - 1, 0);
			close(m->fd);
			if (got < 0) {
				err(NULL);
				return 0;
			}
			line[got] = 0;
			line[strcspn(line, "\n")] = 0;
			printf("ok %s\n", line);
			return 0;
		}
	}
}

int main(int argc, char **argv) {
	if (argc == 3 && !strcmp(argv[1], "fanotify"))
		return fanotify(argv[2]);
	if (argc != 2 || strcmp(argv[1], "calls"))
		return 2;

	int sv[2];
	result("socketpair-unix", socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ? -1 : 0);
	result("socket-unix", socket(AF_UNIX, SOCK_STREAM, 0));
	result("socket-inet", socket(AF_INET, SOCK_STREAM, 0));
	result("memfd_create", memfd_create("x", MFD_CLOEXEC));

	union bpf_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.pathname = (unsigned long)"/sys/fs/bpf/sysfence-test-none";
	result("bpf-obj-get", syscall(SYS_bpf, BPF_OBJ_GET, &attr, sizeof attr));

	struct perf_event_attr pe = {.type = PERF_TYPE_SOFTWARE, .size = sizeof pe, .config = PERF_COUNT_SW_TASK_CLOCK,
		.disabled = 1, .exclude_kernel = 1, .exclude_hv = 1};
	result("perf_event_open", syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0));

	result("open_tree", syscall(SYS_open_tree, AT_FDCWD, "/etc", 0));
	result("open_tree_attr", syscall(SYS_open_tree_attr, AT_FDCWD, "/etc", 0, NULL, 0));

	struct file_handle *fh = malloc(sizeof *fh + MAX_HANDLE_SZ);
	fh->handle_bytes = MAX_HANDLE_SZ;
	int mnt;
	result("name_to_handle_at", name_to_handle_at(AT_FDCWD, "/etc/hostname", fh, &mnt, 0));
	result("open_by_handle_at", open_by_handle_at(AT_FDCWD, fh, O_RDONLY));
	return 0;
}
