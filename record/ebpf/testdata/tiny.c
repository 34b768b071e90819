// No libc: the only syscall is exit(0). A recording of it must hold just
// execve and exit, proving the launcher's own calls are left out.
void _start(void) {
	__asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
}
