/* listen(2) under port rules. Output is line-buffered.
 *
 *   listenprobe unbound            socket, then listen without bind: prints
 *                                  "listen ok PORT" and accepts one connection
 *                                  within 5 s ("accepted"), or "listen err ERRNO"
 *   listenprobe bound PORT         bind to 127.0.0.1:PORT first, then the same
 *   listenprobe race PORT SECONDS  a second thread keeps changing what one
 *                                  descriptor number names, between a socket
 *                                  bound to PORT and a fresh unbound one, while
 *                                  the main thread calls listen on that number;
 *                                  prints "listens N bad M" (M: unbound sockets
 *                                  that ended up listening, on a port the kernel
 *                                  picked)
 *   listenprobe time PORT N        bind to PORT, then listen N times; prints the
 *                                  mean ns per listen (clock_gettime, a vDSO call)
 *   listenprobe int80 CALL unbound|PORT
 *                                  as unbound or bound, but listen is the i386
 *                                  call made with int $0x80: CALL "listen" (363)
 *                                  or "socketcall" (102, SYS_LISTEN, with its
 *                                  arguments in memory below 4 GiB)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int bound(int port) {
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) {
		printf("bind err %s\n", strerrorname_np(errno));
		exit(0);
	}
	return s;
}

static int int80call; /* 0: listen(2); else the i386 call to make */

/* listen80 makes listen(s, backlog) as an i386 call. */
static int listen80(int s, int backlog) {
	long ret;
	if (int80call == 363) {
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(363L), "b"((long)s), "c"((long)backlog) : "memory");
	} else {
		unsigned *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		args[0] = s;
		args[1] = backlog;
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(102L), "b"(4L /* SYS_LISTEN */), "c"((long)args) : "memory");
	}
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return 0;
}

static void serve(int s) {
	if ((int80call ? listen80(s, 1) : listen(s, 1)) < 0) {
		printf("listen err %s\n", strerrorname_np(errno));
		return;
	}
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	getsockname(s, (struct sockaddr *)&a, &len);
	printf("listen ok %d\n", ntohs(a.sin_port));
	alarm(5);
	int c = accept(s, NULL, NULL);
	if (c < 0)
		printf("accept err %s\n", strerrorname_np(errno));
	else
		printf("accepted\n");
}

static int num, good;
static volatile int unbound = -1, stop;

static void *swapper(void *arg) {
	(void)arg;
	while (!stop) {
		dup2(good, num);
		int u = unbound;
		if (u >= 0)
			dup2(u, num);
	}
	return NULL;
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "int80")) {
		int80call = strcmp(argv[2], "listen") ? 102 : 363;
		argv += 2;
		argc -= 2;
		if (strcmp(argv[1], "unbound")) {
			argv[2] = argv[1];
			argv[1] = "bound";
			argc = 3;
		}
	}
	if (argc == 2 && !strcmp(argv[1], "unbound")) {
		serve(socket(AF_INET, SOCK_STREAM, 0));
	} else if (argc == 3 && !strcmp(argv[1], "bound")) {
		serve(bound(atoi(argv[2])));
	} else if (argc == 4 && !strcmp(argv[1], "race")) {
		good = bound(atoi(argv[2]));
		num = dup(good);
		unbound = socket(AF_INET, SOCK_STREAM, 0);
		pthread_t t;
		pthread_create(&t, NULL, swapper, NULL);
		time_t end = time(NULL) + atoi(argv[3]);
		long listens = 0, bad = 0;
		while (time(NULL) < end) {
			if (listen(num, 1) == 0)
				listens++;
			int on = 0;
			socklen_t len = sizeof on;
			if (getsockopt(unbound, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on) {
				bad++;
				int old = unbound;
				unbound = socket(AF_INET, SOCK_STREAM, 0);
				close(old);
			}
		}
		stop = 1;
		pthread_join(t, NULL);
		printf("listens %ld bad %ld\n", listens, bad);
	} else if (argc == 4 && !strcmp(argv[1], "time")) {
		int s = bound(atoi(argv[2]));
		long n = atol(argv[3]);
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (long i = 0; i < n; i++)
			if (listen(s, 128) < 0) {
				printf("listen err %s\n", strerrorname_np(errno));
				return 0;
			}
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	} else {
		return 2;
	}
	return 0;
}
