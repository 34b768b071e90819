// A second thread calls execve while the main thread waits in
// pthread_join: the kernel kills the main thread and the exec'ing thread
// takes over the process id (de_thread). The new program (argv[1]) must
// still be recorded.
#include <pthread.h>
#include <unistd.h>

static char **args;

static void *run(void *arg) {
	(void)arg;
	execv(args[1], args + 1);
	return NULL;
}

int main(int argc, char **argv) {
	pthread_t t;
	(void)argc;
	args = argv;
	pthread_create(&t, NULL, run, NULL);
	pthread_join(t, NULL);
	return 1;
}
