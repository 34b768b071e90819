// lifetime: a confined command leaving a process behind, to outlive the
// run. Usage: lifetime MODE PIDFILE exit|pause
//
//	fork       a daemon: fork, setsid, fork again
//	untraced   clone(CLONE_UNTRACED|SIGCHLD): a child no ptrace
//	           attachment follows
//	clone3     the same through clone3
//
// The child writes its pid to PIDFILE and sleeps for ten minutes. The
// command prints "child PID" or "MODE: error" and then exits or waits
// for a signal.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif

struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static const char *pidfile;

static void child(void) {
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%d\n", getpid());
	int fd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		write(fd, buf, n);
		close(fd);
	}
	sleep(600);
	_exit(0);
}

int main(int argc, char **argv) {
	if (argc != 4) {
		fprintf(stderr, "usage: lifetime fork|untraced|clone3 PIDFILE exit|pause\n");
		return 2;
	}
	const char *mode = argv[1];
	pidfile = argv[2];
	long pid;
	if (strcmp(mode, "fork") == 0) {
		pid = fork();
		if (pid == 0) {
			setsid();
			if (fork() == 0)
				child();
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	} else if (strcmp(mode, "untraced") == 0) {
		pid = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
		if (pid == 0)
			child();
	} else if (strcmp(mode, "clone3") == 0) {
		struct clone_args_v0 ca = {.flags = CLONE_UNTRACED, .exit_signal = SIGCHLD};
		pid = syscall(SYS_clone3, &ca, sizeof ca);
		if (pid == 0)
			child();
	} else {
		fprintf(stderr, "lifetime: unknown mode %s\n", mode);
		return 2;
	}
	if (pid < 0)
		printf("%s: %s\n", mode, strerror(errno));
	else
		printf("child %ld\n", pid);
	fflush(stdout);
	if (strcmp(argv[3], "pause") == 0)
		for (;;)
			pause();
	return 0;
}
