// Package filterdump reads the seccomp filters of running processes for
// `sysfence dump` and `sysfence diff PID`: per process, its threads
// grouped by identical filter stack (threads that differ are a finding:
// a filter installed without TSYNC), its command line and cgroup (so
// that a container's process is recognisable), and for the whole machine
// every process with a filter, grouped by identical stack.
//
// The kernel side (attaching, PTRACE_SECCOMP_GET_FILTER) is package
// seccomp's ReadFilters; this package only groups and describes.
package filterdump
