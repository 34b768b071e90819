/* Three calls that fail and two that succeed, for the errors column. */
#include <fcntl.h>
#include <unistd.h>

int main(void) {
	open("/nonexistent/a", O_RDONLY); /* ENOENT */
	open("/nonexistent/b", O_RDONLY); /* ENOENT */
	close(-1);                        /* EBADF */
	getpid();
	getppid();
	return 0;
}
