/* Makes argv[1] getppid() calls while an interval timer sends SIGALRM
 * every 100 us to a handler installed with SA_RESTART, then prints how
 * many signals it handled. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

static volatile long handled;
static void on_alarm(int sig) { (void)sig; handled++; }

int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 20;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 100}, {0, 100}};
	setitimer(ITIMER_REAL, &it, NULL);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	printf("signals %ld\n", handled);
	return 0;
}
