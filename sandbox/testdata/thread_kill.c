/* A second thread makes a call the filter answers KILL_THREAD; the main
 * thread outlives it and reports. */
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *victim(void *arg) {
	(void)arg;
	syscall(SYS_getppid);
	return NULL;
}

int main(void) {
	pthread_t t;
	pthread_create(&t, NULL, victim, NULL);
	pthread_join(t, NULL);
	printf("main done\n");
	return 0;
}
