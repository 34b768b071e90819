// Package record holds what a syscall recorder observed and turns it into
// the rules of a seccomp profile.
//
// # Observations
//
// Observations are kept per ABI exactly as the kernel saw each call
// (seccomp_data.arch and .nr): a 64-bit process that uses int 0x80 makes
// x86 calls, an x32 call is numbered with the x32 bit. For each syscall
// they count the calls, the errors where the backend can see them, how
// many merged recordings saw it and, with --args, the raw values of the
// arguments that decide the risk (ArgSpecs). A number without a name on
// its ABI is kept by number; it never gets an empty or made-up name.
// Merge unions recordings (--merge).
//
// # From observations to rules
//
// Profile writes one entry per syscall name, sorted, with a comment such
// as "1234 calls, 2 errors (x86_64 1200, x86 34)". Docker and OCI
// profiles name syscalls, not (ABI, number) pairs, and apply every entry
// to every listed architecture, so a name seen on any ABI is allowed on
// all the ABIs listed; the architectures are the native one and the ones
// seen. Numbers without a name are returned as Unknown for a warning.
//
// With Args, the syscalls below get one entry per observed combination of
// their deciding arguments instead of one unconditional entry: as tight as
// what was seen, no tighter than needed. Bits that do not decide the risk
// are masked away (SOCK_CLOEXEC, exit signals, PROT_READ), and the upper
// half of C int arguments is never compared, because callers may leave
// anything there (an argument seen with such bits gets MASKED_EQ
// 0xffffffff instead of EQ).
//
//	syscall                  argument           rule per observed value
//	socket                   0 domain, 1 type   EQ domain; MASKED_EQ 0xf (SOCK_TYPE_MASK)
//	clone                    0 flags (1 s390)   MASKED_EQ 0x7E020000 (CLONE_NEW*), the value seen
//	unshare                  0 flags            MASKED_EQ 0x7E020080 (CLONE_NEW* and NEWTIME)
//	clone3                   clone_args.flags   ENOSYS, see below
//	personality              0 persona          EQ
//	prctl                    0 option           EQ
//	ioctl                    1 request          EQ
//	mmap mmap2 mprotect      2 prot             MASKED_EQ 0x4 (PROT_EXEC), 0 or 4
//	pkey_mprotect
//
// A masked field whose every possible value was seen (mmap with and
// without PROT_EXEC) needs no condition and gets one plain entry. clone3
// passes its flags in memory, which seccomp cannot read: when no clone3
// call needed a flag clone lacks (CLONE_NEWTIME), clone3 is answered with
// ENOSYS, libc falls back to clone (as under Docker's default profile),
// and clone's entries carry the namespace flags seen on clone3 too.
// Otherwise clone3 is allowed without conditions. A syscall whose values
// were not all recorded (a merged recording without --args, a full map)
// gets a plain entry.
//
// # Runtimes
//
// A runtime that loads the filter before it executes the command needs
// its own post-load syscalls in the profile (--for). RuntimeSyscalls holds
// these sets as data, with the sources they come from: sysfence run needs
// nothing extra; runc (and Docker, which runs runc) and crun need what
// they call between loading the filter and execve. A syscall the runtime
// needs is allowed without argument conditions.
package record
