// tiocsti: the terminal-injection attack. A command that shares the
// user's terminal pushes a line into the terminal's input with TIOCSTI
// (or TIOCLINUX's paste): after the command ends, the program reading the
// terminal (the user's shell) reads and runs it, outside any sandbox.
// The ioctl command is passed with high bits set as well, which the
// kernel ignores (it is an unsigned int) and a filter comparing all 64
// bits would miss. Prints "TIOCSTI ok" or "TIOCSTI err ERRNO", and the
// same for the high-bits form and TIOCLINUX.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static void push(const char *name, unsigned long cmd) {
	const char *line = "echo INJECTED\n";
	for (const char *p = line; *p; p++) {
		if (syscall(SYS_ioctl, 0, cmd, p) < 0) {
			printf("%s err %s\n", name, strerrorname_np(errno));
			return;
		}
	}
	printf("%s ok\n", name);
}

int main(void) {
	push("TIOCSTI", TIOCSTI);
	push("TIOCSTI-high", 0x100000000ul | TIOCSTI);
	// TIOCLINUX subcode 3 pastes the selection of a virtual console; on
	// a pseudo-terminal it fails whatever the filter says, so only the
	// filter's refusal (EPERM before the kernel looks) is telling.
	char sub = 3;
	if (syscall(SYS_ioctl, 0, (unsigned long)TIOCLINUX, &sub) < 0)
		printf("TIOCLINUX err %s\n", strerrorname_np(errno));
	else
		printf("TIOCLINUX ok\n");
	return 0;
}
