/* Installs a SIGUSR1 handler, sends itself the signal three times, and
 * prints how many times the handler ran: the recorder must deliver the
 * signals it stops for. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t n;

static void on_usr1(int sig) { (void)sig; n++; }

int main(void) {
	signal(SIGUSR1, on_usr1);
	for (int i = 0; i < 3; i++)
		kill(getpid(), SIGUSR1);
	printf("handled %d\n", (int)n);
	return 0;
}
