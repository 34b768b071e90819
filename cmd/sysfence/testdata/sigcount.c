/* Counts the SIGTERM, SIGHUP and SIGINT it receives: prints "ready",
 * and 300 ms after the first signal "signals received: N". */
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t count;

static void on(int sig) {
	(void)sig;
	count++;
}

int main(void) {
	struct sigaction sa = {0};
	sa.sa_handler = on;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (count == 0)
		pause();
	struct timespec ts = {0, 300 * 1000 * 1000};
	while (nanosleep(&ts, &ts) != 0)
		;
	printf("signals received: %d\n", (int)count);
	return 0;
}
