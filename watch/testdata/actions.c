// actions makes calls that its own libseccomp filter answers with one
// action, so that sysfence watch has every kind of decision to see:
//
//	actions ACTION COUNT
//
// errno:       mkdirat(AT_FDCWD, "/nonexistent/watch-errno", 0750) COUNT times -> EACCES
// kill:        getppid() -> KILL_PROCESS (the process dies)
// killthread:  a second thread calls getppid() -> KILL_THREAD; the process goes on
// trap:        getppid() COUNT times -> TRAP, a SIGSYS handler counts them
// log:         getppid() COUNT times -> LOG, they run
// trace:       getppid() COUNT times -> TRACE without a tracer: ENOSYS
// notify:      getppid() COUNT times -> USER_NOTIF; a supervisor thread answers
//              the first half CONTINUE and the rest EPERM
// strict:      strict mode, then getpid() -> killed
// nested:      a filter denying uname (ENOSYS), then one denying mkdirat (EPERM):
//              mkdirat COUNT times
//
// It prints what it saw on stdout.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t traps;

static void on_sigsys(int sig, siginfo_t *si, void *ctx) {
	(void)sig; (void)si; (void)ctx;
	traps++;
}

static int notify_fd = -1;
static long count;

static void *supervise(void *arg) {
	(void)arg;
	for (long i = 0; i < count; i++) {
		struct seccomp_notif *req;
		struct seccomp_notif_resp *resp;
		if (seccomp_notify_alloc(&req, &resp) != 0) exit(3);
		if (seccomp_notify_receive(notify_fd, req) != 0) exit(4);
		resp->id = req->id;
		if (i < count / 2) {
			resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		} else {
			resp->error = -EPERM;
		}
		if (seccomp_notify_respond(notify_fd, resp) != 0) exit(5);
		seccomp_notify_free(req, resp);
	}
	return NULL;
}

static void *killed_thread(void *arg) {
	(void)arg;
	syscall(SYS_getppid);
	return NULL;
}

static void load(uint32_t def, int nr, uint32_t action) {
	scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx || seccomp_rule_add(ctx, action, nr, 0) != 0 || seccomp_load(ctx) != 0) {
		fprintf(stderr, "cannot load the filter\n");
		exit(2);
	}
	if (action == SCMP_ACT_NOTIFY) notify_fd = seccomp_notify_fd(ctx);
	seccomp_release(ctx);
}

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: actions ACTION COUNT\n");
		return 2;
	}
	const char *a = argv[1];
	count = atol(argv[2]);
	long ok = 0, failed = 0;
	if (!strcmp(a, "errno") || !strcmp(a, "nested")) {
		if (!strcmp(a, "nested")) {
			load(SCMP_ACT_ALLOW, SCMP_SYS(uname), SCMP_ACT_ERRNO(ENOSYS));
			load(SCMP_ACT_ALLOW, SCMP_SYS(mkdirat), SCMP_ACT_ERRNO(EPERM));
		} else {
			load(SCMP_ACT_ALLOW, SCMP_SYS(mkdirat), SCMP_ACT_ERRNO(EACCES));
		}
		for (long i = 0; i < count; i++) {
			if (syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent/watch-errno", 0750) == 0) ok++;
			else failed++;
		}
		printf("%s: %ld failed (%s), %ld succeeded\n", a, failed, strerror(errno), ok);
		return 0;
	}
	if (!strcmp(a, "kill")) {
		load(SCMP_ACT_ALLOW, SCMP_SYS(getppid), SCMP_ACT_KILL_PROCESS);
		printf("kill: calling getppid\n");
		fflush(stdout);
		syscall(SYS_getppid);
		printf("kill: still alive\n");
		return 1;
	}
	if (!strcmp(a, "killthread")) {
		load(SCMP_ACT_ALLOW, SCMP_SYS(getppid), SCMP_ACT_KILL_THREAD);
		pthread_t t;
		pthread_create(&t, NULL, killed_thread, NULL);
		sleep(1); // the thread is gone; joining it would wait forever
		printf("killthread: the process goes on\n");
		return 0;
	}
	if (!strcmp(a, "trap")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_sigsys;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSYS, &sa, NULL);
		load(SCMP_ACT_ALLOW, SCMP_SYS(getppid), SCMP_ACT_TRAP);
		for (long i = 0; i < count; i++) syscall(SYS_getppid);
		printf("trap: %d traps\n", (int)traps);
		return 0;
	}
	if (!strcmp(a, "log") || !strcmp(a, "trace")) {
		load(SCMP_ACT_ALLOW, SCMP_SYS(getppid), !strcmp(a, "log") ? SCMP_ACT_LOG : SCMP_ACT_TRACE(7));
		for (long i = 0; i < count; i++) {
			if (syscall(SYS_getppid) > 0) ok++;
			else failed++;
		}
		printf("%s: %ld ran, %ld failed\n", a, ok, failed);
		return 0;
	}
	if (!strcmp(a, "notify")) {
		load(SCMP_ACT_ALLOW, SCMP_SYS(getppid), SCMP_ACT_NOTIFY);
		pthread_t t;
		pthread_create(&t, NULL, supervise, NULL);
		for (long i = 0; i < count; i++) {
			if (syscall(SYS_getppid) > 0) ok++;
			else failed++;
		}
		pthread_join(t, NULL);
		printf("notify: %ld ran, %ld failed\n", ok, failed);
		return 0;
	}
	if (!strcmp(a, "strict")) {
		printf("strict: entering strict mode\n");
		fflush(stdout);
		prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT);
		syscall(SYS_getpid);
		return 1;
	}
	fprintf(stderr, "unknown action %s\n", a);
	return 2;
}
