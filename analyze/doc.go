// Package analyze finds, without running them, the syscalls x86_64 ELF
// programs can make: a superset of what any run calls, with every place
// the analysis could not bound reported rather than dropped.
//
// # What is analysed
//
// Analyze takes programs (ELF executables, or #! scripts through their
// interpreter), finds the shared libraries the loader would map for each
// as ld.so does (internal/execdeps), and analyses every file once:
//
//   - Functions come from the symbol tables, the .eh_frame FDEs (present
//     in stripped files), Go's pclntab, and the targets of direct calls
//     and of code addresses taken with LEA.
//   - Each function is decoded (golang.org/x/arch/x86/x86asm) and its
//     syscall instructions resolved: the number in eax is found by
//     constant propagation within the function's basic block, and where
//     that fails by a dataflow analysis over the function's control flow
//     (registers, stack slots relative to the entry stack pointer, moves,
//     xor, lea, push/pop, a few constants per location). A number that
//     is the function's own parameter (libc's syscall(), Go's Syscall6,
//     glibc's cancellation wrappers, in a register or on the stack) makes
//     the function a wrapper, resolved at each call site, transitively.
//   - References: direct calls and tail jumps, PLT entries and GOT slots
//     (resolved by symbol name and version in the program's global scope
//     at link time), IFUNC resolvers, and addresses of functions stored in
//     data or taken in code.
//
// # Reachability
//
// Every function of a program is taken as reachable, and so is every
// function it imports: from those, each library's call graph is followed,
// across libraries through the PLT and GOT. The constructors of every
// loaded object, the IFUNC resolvers, the functions whose addresses are
// stored in an object's data (callable through any pointer read from
// there), and all of the ELF interpreter are roots. A Go binary is taken
// whole, since its method tables refer to code through offsets. Indirect
// calls are thus bounded by the address-taken functions, which are all
// reachable. The kernel's own part of a run is added: execve (every
// program starts with one) and restart_syscall.
//
// Each syscall in the Result carries the chain that makes it reachable
// (Syscall.Explain: "fchdir <- libc.so.6:fchdir <- /usr/bin/mkdir
// imports fchdir").
//
// # Findings
//
// What the analysis cannot bound is a Finding, with its object, function
// and address: a syscall number not found (glibc's setxid broadcast reads
// it from memory), a wrapper called with a number not found, a call of
// dlopen or dlsym (what they load is known only at run time: pass such
// libraries in Options.Libraries, as record --static does with the ones a
// recording saw mapped), a symbol no loaded object defines, a library the
// loader would not find.
//
// # Cache
//
// The analysis of each file depends on that file alone, and is cached by
// GNU build ID (by path, size, time and inode without one) under
// CacheVersion in the user's cache directory; concurrent writers rename
// complete files into place.
//
// Limits: x86_64 only; code generated at run time (JITs) and syscalls
// made by libraries loaded with dlopen that the caller does not name are
// outside the result; interposition by LD_PRELOAD is followed only as
// far as execdeps resolves it.
package analyze
