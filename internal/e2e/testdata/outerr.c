/* Writes a line to stdout and one to stderr, and reports on stdout how
 * the stderr write went. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
	if (write(1, "to stdout\n", 10) != 10)
		return 2;
	if (write(2, "to stderr\n", 10) < 0) {
		char buf[100];
		int n = snprintf(buf, sizeof buf, "stderr write: %s\n", strerror(errno));
		write(1, buf, n);
	}
	return 0;
}
