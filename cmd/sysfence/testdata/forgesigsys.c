/* An attack on the reports: the command sends itself a SIGSYS whose
 * siginfo looks like a seccomp TRAP (si_code SYS_SECCOMP, the x86_64
 * arch, made-up filter data) for a call it never made (execve), and dies
 * of it. The kernel lets a thread send itself any si_code
 * (rt_tgsigqueueinfo to its own thread, rt_sigqueueinfo to its own
 * process); only signals to others need a negative one.
 *
 *   forgesigsys            thread-directed forged SIGSYS
 *   forgesigsys process    process-directed forged SIGSYS
 *   forgesigsys handled    first a real TRAP (getppid, if the filter traps
 *                          it) that a handler catches, then the forgery
 *   forgesigsys trap       a real TRAP of getppid, not handled (control)
 *   forgesigsys spin       a thread loops on read(0, buf, 0), which returns
 *                          0, read's own number: at that return its
 *                          registers look like those of a call a filter
 *                          refused (rax == orig_rax). The main thread,
 *                          blocking SIGSYS, sends the process a forged
 *                          SIGSYS naming read, which the spinning thread
 *                          takes, mostly right at such a return. (Under
 *                          --audit a profile that kills read lets it run.)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t trapped;

static void on_sigsys(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	trapped = si->si_code == 1 ? si->si_syscall : -1;
}

static void *spin(void *arg) {
	(void)arg;
	char b;
	for (;;)
		syscall(SYS_read, 0, &b, 0);
	return NULL;
}

int main(int argc, char **argv) {
	const char *mode = argc > 1 ? argv[1] : "";
	if (strcmp(mode, "spin") == 0) {
		sigset_t m;
		sigemptyset(&m);
		sigaddset(&m, SIGSYS);
		pthread_t t;
		pthread_create(&t, NULL, spin, NULL);
		pthread_sigmask(SIG_BLOCK, &m, NULL);
		usleep(100000);
		siginfo_t si;
		memset(&si, 0, sizeof si);
		si.si_signo = SIGSYS;
		si.si_code = 1;
		si.si_syscall = SYS_read;
		si.si_arch = 0xc000003e;
		printf("forging\n");
		fflush(stdout);
		syscall(SYS_rt_sigqueueinfo, getpid(), SIGSYS, &si);
		pause();
		return 0;
	}
	if (strcmp(mode, "trap") == 0) {
		printf("trapping\n");
		fflush(stdout);
		syscall(SYS_getppid);
		printf("still alive\n");
		return 0;
	}
	if (strcmp(mode, "handled") == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_sigsys;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSYS, &sa, NULL);
		syscall(SYS_getppid);
		printf("handled a trap of syscall %d\n", (int)trapped);
		signal(SIGSYS, SIG_DFL);
	}
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = SIGSYS;
	si.si_code = 1;   /* SYS_SECCOMP */
	si.si_errno = 42; /* the filter's data */
	si.si_call_addr = (void *)main;
	si.si_syscall = SYS_execve;
	si.si_arch = 0xc000003e; /* AUDIT_ARCH_X86_64 */
	printf("forging\n");
	fflush(stdout);
	long r;
	if (strcmp(mode, "process") == 0)
		r = syscall(SYS_rt_sigqueueinfo, getpid(), SIGSYS, &si);
	else
		r = syscall(SYS_rt_tgsigqueueinfo, getpid(), syscall(SYS_gettid), SIGSYS, &si);
	printf("still alive: %ld\n", r);
	return 0;
}
