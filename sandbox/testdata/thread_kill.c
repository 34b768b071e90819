/* A second thread makes a call the filter answers KILL_THREAD; the main
 * thread outlives it and reports. With "uname", the main thread then
 * calls uname(NULL); with "alone", the main thread makes the call itself,
 * with no other thread. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *victim(void *arg) {
	(void)arg;
	syscall(SYS_getppid);
	return NULL;
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "alone") == 0) {
		syscall(SYS_getppid);
		printf("main survived\n");
		return 0;
	}
	pthread_t t;
	pthread_create(&t, NULL, victim, NULL);
	pthread_join(t, NULL);
	printf("main done\n");
	fflush(stdout);
	if (argc > 1 && strcmp(argv[1], "uname") == 0)
		syscall(SYS_uname, NULL);
	return 0;
}
