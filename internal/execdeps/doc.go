// Package execdeps computes what a command needs just to start, so that
// sysfence can allow it automatically under deny-by-default Landlock path
// rules (`sysfence run --allow-read /etc/hostname -- cat /etc/hostname`
// just works) and say why each file was added (--verbose).
//
// Resolve(CMD) follows what execve(2) and glibc's loader do:
//
//   - CMD is found through PATH as execvp(3) does (a name with a slash is
//     used as is). It needs execute and read (Landlock checks both on
//     execve).
//   - A "#!" script adds its interpreter (parsed as fs/binfmt_script.c
//     does, recursively up to the kernel's 5 levels), and for
//     "#!/usr/bin/env [-S] NAME" also NAME found through CMD's PATH.
//   - An ELF executable adds its PT_INTERP (executed by the kernel: execute
//     and read) and the shared libraries the loader maps (read only: the
//     loader opens them for reading and maps them itself), found the way
//     glibc's ld.so finds them: DT_NEEDED breadth first; already loaded
//     names and sonames reused; for a name without a slash, DT_RPATH of the
//     requester and its loaders (only if the requester has no DT_RUNPATH;
//     an object with DT_RUNPATH has its DT_RPATH ignored), the executable's
//     DT_RPATH, LD_LIBRARY_PATH, the requester's DT_RUNPATH,
//     /etc/ld.so.cache ("glibc-ld.so.cache1.1", parsed here), then the
//     system directories (multiarch, lib64, /lib, /usr/lib), skipping
//     DF_1_NODEFLIB objects' defaults. $ORIGIN is the executable's real
//     directory (glibc reads /proc/self/exe) or the directory a library was
//     found in; $PLATFORM and $LIB are expanded for common layouts.
//     Candidates must match the executable's ELF class, byte order and
//     machine, as open_verify checks. glibc-hwcaps variants found next to a
//     library or in the cache are added too: which one the loader picks
//     depends on the CPU.
//   - Files the loader reads for itself: /etc/ld.so.cache (when a lookup
//     reaches it) and /etc/ld.so.preload with the libraries it names (when
//     it exists); LD_PRELOAD's libraries.
//
// Every path is returned with its symlinks resolved: Landlock checks the
// file the kernel ends up opening, so the rule must name that file
// (allowing a symlink's own path would not help, and is not needed: path
// walks and symlink traversal are not restricted).
//
// Not added, on purpose: locale and gconv data (glibc falls back to the C
// locale when /usr/lib/locale is unreadable, and a command that needs
// another locale or iconv module can be given --allow-read for it),
// interpreters' own libraries (Python's stdlib, a shell's rc files): those
// are the command's data, not what it needs to start. Legacy hwcaps
// subdirectories (tls/, x86_64/; removed in glibc 2.37) and musl's exact
// search order are not modelled; musl's loader is approximated with its
// default path (or /etc/ld-musl-ARCH.path).
//
// A library the loader will not find is reported in Result.Missing rather
// than failing: the command would fail the same way without sysfence.
//
// The package is pure Go (debug/elf) and builds on every OS.
package execdeps
