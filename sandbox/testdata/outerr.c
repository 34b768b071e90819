/* Writes to stdout and to stderr and says how the stderr write went. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
	write(1, "to stdout\n", 10);
	if (write(2, "to stderr\n", 10) < 0) {
		char msg[128];
		int n = snprintf(msg, sizeof msg, "stderr write failed: %s\n", strerrorname_np(errno));
		write(1, msg, n);
	}
	return 0;
}
