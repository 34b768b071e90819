// escape tries to read a target file (/etc/passwd) from inside a Landlock
// sandbox by the classic routes around a path check. It prints one line per
// attempt: "MODE READ-TARGET" if it got the target's content (an escape),
// "MODE opened-other" if it opened some other file, "MODE denied ERRNO"
// otherwise. Used by the landlock package's tests.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct stat target;

static const char *errname(int e) {
	static char buf[32];
	switch (e) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EXDEV: return "EXDEV";
	case ENOENT: return "ENOENT";
	case ELOOP: return "ELOOP";
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	}
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

static int is_target(int fd) {
	struct stat st;
	return fstat(fd, &st) == 0 && st.st_dev == target.st_dev && st.st_ino == target.st_ino;
}

// report reads from fd and says whose content it got.
static void report(const char *mode, int fd) {
	if (fd < 0) {
		printf("%s denied %s\n", mode, errname(errno));
		return;
	}
	char buf[64];
	ssize_t n = read(fd, buf, sizeof buf);
	if (n < 0) {
		printf("%s denied read:%s\n", mode, errname(errno));
	} else if (is_target(fd)) {
		printf("%s READ-TARGET\n", mode);
	} else {
		printf("%s opened-other\n", mode);
	}
	close(fd);
}

static unsigned long long resolve_flags(const char *names) {
	unsigned long long f = 0;
	if (strstr(names, "no_symlinks")) f |= RESOLVE_NO_SYMLINKS;
	if (strstr(names, "no_magiclinks")) f |= RESOLVE_NO_MAGICLINKS;
	if (strstr(names, "no_xdev")) f |= RESOLVE_NO_XDEV;
	if (strstr(names, "beneath")) f |= RESOLVE_BENEATH;
	if (strstr(names, "in_root")) f |= RESOLVE_IN_ROOT;
	if (strstr(names, "cached")) f |= RESOLVE_CACHED;
	return f;
}

static char race_path[256];
static const char *race_a, *race_b;
static atomic_int race_stop;

static void *flipper(void *arg) {
	(void)arg;
	volatile char *p = race_path;
	size_t la = strlen(race_a) + 1, lb = strlen(race_b) + 1;
	while (!atomic_load_explicit(&race_stop, memory_order_relaxed)) {
		for (size_t i = 0; i < la; i++) p[i] = race_a[i];
		for (size_t i = 0; i < lb; i++) p[i] = race_b[i];
	}
	return NULL;
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: escape TARGET MODE ARGS...\n");
		return 2;
	}
	if (stat(argv[1], &target) != 0) { // stat is not restricted by Landlock
		perror("stat target");
		return 2;
	}
	const char *mode = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!strcmp(mode, "open") && argc == 4) {
		report(mode, open(argv[3], O_RDONLY | O_CLOEXEC));
	} else if (!strcmp(mode, "openat2") && argc == 6) {
		// openat2 DIR PATH FLAGS: DIR "-" is AT_FDCWD, else opened O_PATH.
		int dfd = AT_FDCWD;
		if (strcmp(argv[3], "-")) {
			dfd = open(argv[3], O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (dfd < 0) {
				printf("%s denied dir:%s\n", mode, errname(errno));
				return 0;
			}
		}
		struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = resolve_flags(argv[5])};
		report(mode, (int)syscall(SYS_openat2, dfd, argv[4], &how, sizeof how));
	} else if (!strcmp(mode, "opath-reopen") && argc == 4) {
		// An O_PATH descriptor is not checked by Landlock; re-opening it
		// through /proc/self/fd must be.
		int pfd = open(argv[3], O_PATH | O_CLOEXEC);
		if (pfd < 0) {
			printf("%s denied opath:%s\n", mode, errname(errno));
			return 0;
		}
		char proc[64];
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
		report(mode, open(proc, O_RDONLY | O_CLOEXEC));
	} else if (!strcmp(mode, "handle") && argc == 5) {
		// handle PATH MOUNTDIR: open_by_handle_at (needs
		// CAP_DAC_READ_SEARCH) skips the path walk; MOUNTDIR is any
		// readable directory on PATH's file system.
		struct file_handle *h = malloc(sizeof *h + MAX_HANDLE_SZ);
		h->handle_bytes = MAX_HANDLE_SZ;
		int mnt;
		if (name_to_handle_at(AT_FDCWD, argv[3], h, &mnt, 0) != 0) {
			printf("%s unsupported name_to_handle_at:%s\n", mode, errname(errno));
			return 0;
		}
		int mfd = open(argv[4], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (mfd < 0) {
			printf("%s denied mountfd:%s\n", mode, errname(errno));
			return 0;
		}
		int fd = open_by_handle_at(mfd, h, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && errno == EPERM) {
			printf("%s unsupported open_by_handle_at:EPERM\n", mode);
			return 0;
		}
		report(mode, fd);
	} else if (!strcmp(mode, "link") && argc == 5) {
		// link SRC DST, then read DST.
		if (link(argv[3], argv[4]) != 0) {
			printf("%s denied link:%s\n", mode, errname(errno));
			return 0;
		}
		report(mode, open(argv[4], O_RDONLY | O_CLOEXEC));
	} else if (!strcmp(mode, "rename") && argc == 5) {
		if (rename(argv[3], argv[4]) != 0) {
			printf("%s denied rename:%s\n", mode, errname(errno));
			return 0;
		}
		report(mode, open(argv[4], O_RDONLY | O_CLOEXEC));
	} else if (!strcmp(mode, "race") && argc == 6) {
		// race ALLOWED OTHER N: a second thread rewrites the path buffer
		// between ALLOWED and OTHER while this one opens it N times.
		race_a = argv[3];
		race_b = argv[4];
		long n = atol(argv[5]);
		strcpy(race_path, race_a);
		pthread_t th;
		pthread_create(&th, NULL, flipper, NULL);
		long got_target = 0, got_other = 0, denied = 0, missing = 0;
		for (long i = 0; i < n; i++) {
			int fd = open(race_path, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				if (errno == EACCES) denied++;
				else missing++; // a torn path names no file
				continue;
			}
			char buf[16];
			if (read(fd, buf, sizeof buf) >= 0) {
				if (is_target(fd)) got_target++;
				else got_other++;
			}
			close(fd);
		}
		atomic_store(&race_stop, 1);
		pthread_join(th, NULL);
		printf("race target=%ld other=%ld denied=%ld missing=%ld\n", got_target, got_other, denied, missing);
	} else {
		fprintf(stderr, "escape: bad mode %s\n", mode);
		return 2;
	}
	return 0;
}
