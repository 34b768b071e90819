// tiocsti: the terminal-injection attack. A command that shares the
// user's terminal pushes a line into the terminal's input with TIOCSTI
// (or TIOCLINUX's paste): after the command ends, the program reading the
// terminal (the user's shell) reads and runs it, outside any sandbox.
// The ioctl command is passed with high bits set as well, which the
// kernel ignores (it is an unsigned int) and a filter comparing all 64
// bits would miss. Prints "TIOCSTI ok" or "TIOCSTI err ERRNO", and the
// same for the high-bits form and TIOCLINUX; with the argument "int80",
// also for the i386 ioctl made through int $0x80 (only where that works:
// elsewhere it faults).
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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

#if defined(__x86_64__)
// push80 is push through the i386 system call entry: ioctl is 54 there,
// and its pointer must fit in 32 bits.
static void push80(void) {
	char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED) {
		printf("TIOCSTI-int80 mmap failed\n");
		return;
	}
	strcpy(low, "echo INJECTED\n");
	for (char *p = low; *p; p++) {
		long ret;
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(54), "b"(0), "c"(TIOCSTI), "d"(p) : "memory");
		if (ret < 0) {
			printf("TIOCSTI-int80 err %s\n", strerrorname_np((int)-ret));
			return;
		}
	}
	printf("TIOCSTI-int80 ok\n");
}
#endif

int main(int argc, char **argv) {
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
#if defined(__x86_64__)
	if (argc > 1 && strcmp(argv[1], "int80") == 0)
		push80();
#endif
	return 0;
}
