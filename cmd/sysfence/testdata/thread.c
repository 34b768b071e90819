/* Starts a thread and waits for it. glibc's pthread_create calls clone3
 * and falls back to clone when clone3 fails with ENOSYS. */
#include <pthread.h>
#include <stdio.h>

static void *run(void *arg) {
	(void)arg;
	printf("thread ran\n");
	return NULL;
}

int main(void) {
	pthread_t t;
	if (pthread_create(&t, NULL, run, NULL) != 0) {
		printf("pthread_create failed\n");
		return 1;
	}
	pthread_join(t, NULL);
	return 0;
}
