// A workload with a known set of syscalls for the recorder tests.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void *thread_main(void *arg) {
	struct sysinfo si;
	(void)arg;
	syscall(SYS_sysinfo, &si); /* only the thread calls sysinfo */
	return NULL;
}

int main(int argc, char **argv) {
	long ret;
	pthread_t t;
	struct termios tio;

	/* i386 getuid32 (199) through int 0x80 from a 64-bit process: the
	   kernel sees an x86 syscall. Only with the argument "int80": where
	   int $0x80 faults (testenv.Int80Works), the tests go without. */
	if (argc > 1 && strcmp(argv[1], "int80") == 0)
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(199L) : "memory");

	pthread_create(&t, NULL, thread_main, NULL);
	pthread_join(t, NULL);

	/* A child that exits at once: its getpriority must be recorded. */
	pid_t pid = fork();
	if (pid == 0) {
		syscall(SYS_getpriority, 0, 0);
		_exit(0);
	}
	waitpid(pid, NULL, 0);

	/* vfork: the child's getsid runs in the parent's memory. */
	pid = vfork();
	if (pid == 0) {
		syscall(SYS_getsid, 0);
		_exit(0);
	}
	waitpid(pid, NULL, 0);

	socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socket(AF_UNIX, SOCK_STREAM, 0);
	personality(0xffffffff);
	prctl(PR_SET_NAME, "workload", 0, 0, 0);
	ioctl(0, TCGETS, &tio);
	mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	syscall(999); /* no such syscall: kept by number */
	return 0;
}
