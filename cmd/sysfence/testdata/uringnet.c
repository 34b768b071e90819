/* Port rules against io_uring: IORING_OP_SOCKET makes an MPTCP socket
 * (which socket(2) under port rules refuses, and which Landlock's TCP port
 * rules do not cover), then bind(2) and connect(2) on it reach ports the
 * rules do not allow. Raw syscalls, no liburing.
 *
 *   uringnet [self ALLOWED] BIND CONNECT
 *
 * With "self", the program first confines itself the way sysfence did
 * before io_uring was refused: Landlock allowing TCP bind and connect on
 * port ALLOWED only, and a seccomp filter refusing socket(..., IPPROTO_MPTCP)
 * with EPROTONOSUPPORT. Prints one line per step: "NAME ok" or
 * "NAME err ERRNO"; stops at the first failing io_uring step.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

static void say(const char *name, long r) {
	if (r < 0)
		printf("%s err %s\n", name, strerrorname_np(errno));
	else
		printf("%s ok\n", name);
}

/* Landlock ABI 4 (the installed headers may be older). */
struct ll_ruleset_attr {
	uint64_t handled_access_fs, handled_access_net;
};
struct ll_net_port_attr {
	uint64_t allowed_access, port;
};
#define LL_RULE_NET_PORT 2
#define LL_NET_BIND_TCP 1
#define LL_NET_CONNECT_TCP 2

static int confine(int port) {
	struct ll_ruleset_attr ra = {.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP};
	int rs = syscall(444 /* landlock_create_ruleset */, &ra, sizeof ra, 0);
	if (rs < 0)
		return -1;
	struct ll_net_port_attr pa = {.allowed_access = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP, .port = port};
	if (syscall(445 /* landlock_add_rule */, rs, LL_RULE_NET_PORT, &pa, 0) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall(446 /* landlock_restrict_self */, rs, 0) < 0)
		return -1;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_MPTCP, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPROTONOSUPPORT),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

static struct {
	int fd;
	unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
} ring;

static int ring_setup(void) {
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	ring.fd = syscall(SYS_io_uring_setup, 4, &p);
	if (ring.fd < 0)
		return -1;
	size_t sqlen = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cqlen = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	char *sq = mmap(NULL, sqlen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring.fd, IORING_OFF_SQ_RING);
	char *cq = mmap(NULL, cqlen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring.fd, IORING_OFF_CQ_RING);
	ring.sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		ring.fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || ring.sqes == MAP_FAILED)
		return -1;
	ring.sq_tail = (unsigned *)(sq + p.sq_off.tail);
	ring.sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	ring.sq_array = (unsigned *)(sq + p.sq_off.array);
	ring.cq_head = (unsigned *)(cq + p.cq_off.head);
	ring.cq_tail = (unsigned *)(cq + p.cq_off.tail);
	ring.cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	ring.cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* uring_socket submits one IORING_OP_SOCKET and returns its result. */
static int uring_socket(int domain, int type, int protocol) {
	unsigned tail = *ring.sq_tail, idx = tail & *ring.sq_mask;
	struct io_uring_sqe *sqe = &ring.sqes[idx];
	memset(sqe, 0, sizeof *sqe);
	sqe->opcode = IORING_OP_SOCKET;
	sqe->fd = domain;
	sqe->off = type;
	sqe->len = protocol;
	ring.sq_array[idx] = idx;
	__atomic_store_n(ring.sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, ring.fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	unsigned head = *ring.cq_head;
	if (head == __atomic_load_n(ring.cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	int res = ring.cqes[head & *ring.cq_mask].res;
	__atomic_store_n(ring.cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

static struct sockaddr_in local(int port) {
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

int main(int argc, char **argv) {
	if (argc == 5 && !strcmp(argv[1], "self")) {
		if (confine(atoi(argv[2])) < 0) {
			say("confine", -1);
			return 1;
		}
		argv += 2;
		argc -= 2;
	}
	if (argc != 3)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	say("socket-mptcp", socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP));
	if (ring_setup() < 0) {
		say("io_uring", -1);
		return 0;
	}
	int s = uring_socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
	if (s < 0) {
		errno = -s;
		say("uring-socket", -1);
		return 0;
	}
	say("uring-socket", 0);
	struct sockaddr_in a = local(atoi(argv[1]));
	say("bind", bind(s, (struct sockaddr *)&a, sizeof a));
	say("listen", listen(s, 1));
	int c = uring_socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);
	if (c < 0) {
		errno = -c;
		say("uring-socket", -1);
		return 0;
	}
	a = local(atoi(argv[2]));
	say("connect", connect(c, (struct sockaddr *)&a, sizeof a));
	return 0;
}
